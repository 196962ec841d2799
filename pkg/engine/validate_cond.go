package engine

import (
	"encoding/base64"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// conditions checks each condition: its operator, its key, its values, and
// whether the operator suits the key's type and number of values.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
func (v *validator) conditions(st *Statement, acts *actionSet) {
	for i, c := range st.Conditions {
		opField := plain("Condition").child(c.Operator)
		keyField := opField.child(c.Key)
		// Conditions come one per key; report an operator once.
		firstKey := i == 0 || st.Conditions[i-1].Operator != c.Operator || st.Conditions[i-1].OperatorPos != c.OperatorPos
		op, ok := parseOperator(c.Operator)
		switch {
		case !ok && firstKey:
			v.errorf(st, opField, c.OperatorPos, CodeUnknownOperator,
				"unknown condition operator %q%s", c.Operator, suggestOperator(c.Operator))
		case ok && firstKey && op.ifExists && op.set == setForAll:
			v.warnf(st, opField, c.OperatorPos, CodeMixedIfExists,
				"%q: IfExists has no effect here, since ForAllValues already holds when the key is absent; drop IfExists",
				c.Operator)
		case ok && firstKey && op.ifExists && op.set == setForAny:
			v.warnf(st, opField, c.OperatorPos, CodeMixedIfExists,
				"%q holds when the key is absent (IfExists), although ForAnyValue alone does not; "+
					"drop IfExists if an absent key should not match", c.Operator)
		}
		k := v.conditionKey(st, keyField, c, acts)
		if !ok {
			continue
		}
		v.conditionValues(st, keyField, c, op)
		if k != nil {
			v.operatorFitsKey(st, keyField, c, op, k)
		}
	}
}

// operatorNamesAll lists every operator parseOperator accepts, for suggestions.
func operatorNamesAll() []string {
	var out []string
	for _, base := range operatorNames() {
		forms := []string{base}
		if base != "Null" {
			forms = append(forms, base+"IfExists")
		}
		for _, f := range forms {
			out = append(out, f, "ForAllValues:"+f, "ForAnyValue:"+f)
		}
	}
	return out
}

func suggestOperator(s string) string {
	if strings.HasSuffix(s, "NullIfExists") {
		return ` (Null takes no IfExists: it tests whether the key exists; use "Null")`
	}
	return Suggest(s, operatorNamesAll())
}

// conditionKey checks a condition key name and returns its catalog entry,
// or nil when the catalog does not know it.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
func (v *validator) conditionKey(st *Statement, f field, c *Condition, acts *actionSet) *catalog.ConditionKey {
	if strings.Contains(c.Key, "${") {
		v.errorf(st, f, c.KeyPos, CodeVariableNotAllowed,
			"condition key %q cannot hold a policy variable: IAM expands variables in values, not in key names", c.Key)
		return nil
	}
	if k, ok := v.cat.ConditionKey(c.Key); ok {
		v.keySupported(st, f, c, acts)
		return k
	}
	prefix, _, hasPrefix := strings.Cut(c.Key, ":")
	switch {
	case !hasPrefix || prefix == "":
		v.errorf(st, f, c.KeyPos, CodeUnknownConditionKey,
			`condition key %q has no service prefix (want "aws:..." or "service:...")`, c.Key)
	case v.emptyFamilyKey(c.Key):
		v.errorf(st, f, c.KeyPos, CodeUnknownConditionKey, `condition key %q needs a tag key after the "/"`, c.Key)
	case strings.EqualFold(prefix, "aws"):
		v.errorf(st, f, c.KeyPos, CodeUnknownConditionKey,
			"unknown global condition key %q%s", c.Key, suggestKey(v.cat, c.Key))
	default:
		if svc, ok := v.cat.Service(prefix); ok {
			v.errorf(st, f, c.KeyPos, CodeUnknownConditionKey,
				"unknown condition key %q: %s defines no such key%s", c.Key, svc.Prefix, suggestKey(v.cat, c.Key))
			return nil
		}
		v.warnf(st, f, c.KeyPos, CodeUnknownConditionKey,
			"condition key %q belongs to service %q, which pdp does not decide: requests for %s never carry it",
			c.Key, prefix, v.servicesText())
	}
	return nil
}

// emptyFamilyKey reports whether name is a key family's prefix alone, such
// as "aws:ResourceTag/".
func (v *validator) emptyFamilyKey(name string) bool {
	for _, k := range v.allKeys() {
		if k.IsFamily() && strings.EqualFold(k.Prefix, name) {
			return true
		}
	}
	return false
}

func (v *validator) allKeys() []*catalog.ConditionKey {
	keys := append([]*catalog.ConditionKey(nil), v.cat.GlobalConditionKeys()...)
	for _, s := range v.cat.Services() {
		keys = append(keys, s.ConditionKeys...)
	}
	return keys
}

// suggestKey returns a "did you mean" for an unknown key name. A family is
// offered with the tag key of name, so "aws:ResorceTag/team" suggests
// "aws:ResourceTag/team".
func suggestKey(cat *catalog.Catalog, name string) string {
	var names []string
	add := func(k *catalog.ConditionKey) {
		if !k.IsFamily() {
			names = append(names, k.Name)
		} else if _, tag, ok := strings.Cut(name, "/"); ok && tag != "" {
			names = append(names, k.Prefix+tag)
		}
	}
	for _, k := range cat.GlobalConditionKeys() {
		add(k)
	}
	for _, s := range cat.Services() {
		for _, k := range s.ConditionKeys {
			add(k)
		}
	}
	return Suggest(name, names)
}

// keySupported warns about a key that the services of the statement's
// actions define (aws:RequestTag/…, aws:TagKeys, aws:ResourceTag/…) when no
// action of the statement supports it: requests for those actions never
// carry the key. It says nothing when the actions are not all known.
func (v *validator) keySupported(st *Statement, f field, c *Condition, acts *actionSet) {
	if !acts.complete || acts.not || len(acts.actions) == 0 {
		return
	}
	var svc *catalog.Service // the service sk was looked up in
	var sk *catalog.ConditionKey
	for _, a := range acts.actions {
		if a.Service != svc {
			svc = a.Service
			sk, _ = svc.ConditionKey(c.Key)
		}
		if sk == nil || actionSupportsKey(a, sk.Name) {
			return
		}
	}
	what := "any of the statement's actions, so their requests never carry it"
	if len(acts.actions) == 1 {
		what = acts.actions[0].FullName + ", so its requests never carry it"
	}
	v.warnf(st, f, c.KeyPos, CodeUnknownConditionKey, "condition key %q is not supported by %s", c.Key, what)
}

func actionSupportsKey(a *catalog.Action, name string) bool {
	if slices.Contains(a.ConditionKeys, name) {
		return true
	}
	for _, ar := range a.ResourceTypes {
		if slices.Contains(ar.ConditionKeys, name) || slices.Contains(ar.Type.ConditionKeys, name) {
			return true
		}
	}
	return false
}

// conditionValues checks that a condition has values and that each parses
// for the operator. Values with policy variables are checked per request.
func (v *validator) conditionValues(st *Statement, f field, c *Condition, op operator) {
	if len(c.Values) == 0 {
		v.errorf(st, f, c.KeyPos, CodeInvalidCondition, "%s on %q lists no value; give at least one", c.Operator, c.Key)
		return
	}
	for i, cv := range c.Values {
		vf := f.elem(i, len(c.Values))
		substituted := variablesSupported(op.fam)
		if substituted && v.variablesIn(st, vf, Text{Value: cv.Text, Pos: cv.Pos}) {
			continue // checked per request, once the variables have values
		}
		if msg, sev := valueProblem(cv.Text, op); msg != "" {
			note := ""
			if !substituted && strings.Contains(cv.Text, "${") {
				note = "; it takes no policy variables, so this is literal text, which matches nothing"
			}
			v.add(st, vf, cv.Pos, sev, CodeInvalidCondition, "%s %s, not %q%s", c.Operator, msg, cv.Text, note)
		}
	}
}

// valueProblem says what a value of the operator's family must be, or ""
// when s is one.
func valueProblem(s string, op operator) (string, Severity) {
	ok := true
	switch op.fam {
	case famNumeric:
		_, ok = parseNumber(s)
		return unless(ok, "needs a number"), SeverityError
	case famDate:
		_, ok = parseDate(s)
		return unless(ok, `needs a date (ISO 8601 such as "2026-01-31T00:00:00Z", or epoch seconds)`), SeverityError
	case famIP:
		_, ok = parseIPRange(s)
		return unless(ok, `needs an IP address or CIDR block such as "203.0.113.0/24"`), SeverityError
	case famBool:
		_, ok = parseBool(s)
		return unless(ok, `needs "true" or "false"`), SeverityError
	case famNull:
		_, ok = parseBool(s)
		return unless(ok, `needs "true" (the key is absent) or "false" (the key is present)`), SeverityError
	case famBinary:
		_, err := base64.StdEncoding.DecodeString(s)
		return unless(err == nil, "needs a base64-encoded value"), SeverityError
	case famARN:
		ok = strings.HasPrefix(s, "arn:") || strings.Trim(s, "*?") == ""
		return unless(ok, `compares ARNs and needs one such as "arn:aws:iam::111122223333:role/admin"`), SeverityWarning
	}
	return "", SeverityError
}

func unless(ok bool, msg string) string {
	if ok {
		return ""
	}
	return msg
}

// operatorFitsKey warns when the operator's family does not suit the key's
// type, or its set qualifier does not suit the key's number of values.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
func (v *validator) operatorFitsKey(st *Statement, f field, c *Condition, op operator, k *catalog.ConditionKey) {
	base := k.Type.Base()
	if !familyFits(op, base, k.Name) {
		v.warnf(st, f, c.KeyPos, CodeOperatorKeyMismatch,
			"%s does not suit %q, a key of type %s; use %s", c.Operator, c.Key, k.Type, operatorsFor(base))
	}
	if op.fam == famNull {
		return
	}
	plain := op.name
	if op.ifExists {
		plain += "IfExists"
	}
	switch {
	case op.set == setForAll && !k.Multivalued:
		risk := ""
		if st.Effect == EffectAllow {
			risk = " is overly permissive: it"
		}
		v.warnf(st, f, c.KeyPos, CodeSetOperatorOnSingle,
			"ForAllValues on the single-valued key %q%s also holds when the key is absent; use %q", c.Key, risk, plain)
	case op.set == setForAny && !k.Multivalued:
		v.warnf(st, f, c.KeyPos, CodeSetOperatorOnSingle,
			"%q is single-valued: use %q instead of ForAnyValue", c.Key, plain)
	case op.set == setNone && k.Multivalued:
		v.warnf(st, f, c.KeyPos, CodeSingleOperatorOnSet,
			"%q is multivalued (%s); test it with %q or %q", c.Key, k.Type, "ForAnyValue:"+plain, "ForAllValues:"+plain)
	}
}

// familyFits is deliberately lenient: String operators suit every key but
// numbers, dates and addresses, and Arn operators suit String keys whose
// name says they hold an ARN (aws:SourceVpcArn).
func familyFits(op operator, t catalog.KeyType, name string) bool {
	switch op.fam {
	case famString:
		return t != catalog.Numeric && t != catalog.Date && t != catalog.IPAddress
	case famNumeric:
		// aws:EpochTime is typed Date but holds epoch seconds; AWS documents
		// Numeric operators for it too.
		return t == catalog.Numeric || strings.EqualFold(name, "aws:EpochTime")
	case famDate:
		return t == catalog.Date
	case famIP:
		return t == catalog.IPAddress
	case famBool:
		return t == catalog.Bool
	case famBinary:
		return t == catalog.Binary
	case famARN:
		return t == catalog.ARN || t == catalog.String && strings.HasSuffix(strings.ToLower(name), "arn")
	}
	return true
}

// operatorsFor names the operators meant for a key type.
func operatorsFor(t catalog.KeyType) string {
	switch t {
	case catalog.Numeric:
		return "a Numeric operator such as NumericLessThan"
	case catalog.Date:
		return "a Date operator such as DateGreaterThan"
	case catalog.IPAddress:
		return "IpAddress or NotIpAddress"
	case catalog.Bool:
		return "Bool"
	case catalog.Binary:
		return "BinaryEquals"
	case catalog.ARN:
		return "an Arn operator such as ArnLike, or a String operator"
	}
	return "a String operator such as StringEquals"
}
