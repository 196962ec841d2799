package auth

import (
	"fmt"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/store"
)

// Global condition keys the admin API puts in every request context.
const (
	keyPrincipalArn     = "aws:PrincipalArn"
	keyPrincipalAccount = "aws:PrincipalAccount"
	keyCurrentTime      = "aws:CurrentTime"
	keyEpochTime        = "aws:EpochTime"
	keySecureTransport  = "aws:SecureTransport"
	keySourceIP         = "aws:SourceIp"
)

// adminKeys lists every condition key an admin API request can carry.
func adminKeys() []string {
	return []string{keyPrincipalArn, keyPrincipalAccount, keyCurrentTime, keyEpochTime, keySecureTransport,
		keySourceIP, KeyDryRun, KeyChangeOp}
}

func isAdminKey(name string) bool {
	for _, k := range adminKeys() {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// catalogCode reports whether findings of code c measure a document
// against the catalog of the services pdp decides (mobiletargeting,
// sms-voice), which the admin API is not: validateAdmin drops them and
// checks the same things against the admin API instead.
func catalogCode(c engine.Code) bool {
	switch c {
	case engine.CodeUnknownService, engine.CodeUnknownAction, engine.CodeResourceMismatch,
		engine.CodeWildcardOnlyAction, engine.CodeUnknownConditionKey, engine.CodeInvalidVariable:
		return true
	}
	return false
}

// validateAdmin checks a parsed admin policy: the engine's checks that do
// not depend on the service catalog, then its actions, resources, condition
// keys and policy variables against what the admin API has.
func validateAdmin(cat *catalog.Catalog, doc *engine.Document) engine.Errors {
	var out engine.Errors
	for _, e := range engine.Validate(cat, doc, engine.ValidateOptions{}) {
		if !catalogCode(e.Code) {
			out = append(out, e)
		}
	}
	for _, st := range doc.Statements {
		out = append(out, checkStatement(doc, st)...)
	}
	return out
}

func checkStatement(doc *engine.Document, st *engine.Statement) engine.Errors {
	var out engine.Errors
	add := func(field string, at engine.Pos, code engine.Code, format string, args ...any) {
		out = append(out, &engine.PolicyError{PolicyID: doc.ID, Statement: st.Index, Sid: st.Sid, Field: field,
			Line: at.Line, Col: at.Col, Code: code, Severity: engine.SeverityError, Msg: fmt.Sprintf(format, args...)})
	}
	acts, notA := st.Actions()
	for i, a := range acts {
		field := elemField(cond(notA, "NotAction", "Action"), i, len(acts))
		if code, msg := checkAction(a.Value); msg != "" {
			add(field, a.Pos, code, "%s", msg)
		}
	}
	res, notR := st.Resources()
	for i, r := range res {
		field := elemField(cond(notR, "NotResource", "Resource"), i, len(res))
		if !resourceCanMatch(r.Value) {
			add(field, r.Pos, engine.CodeResourceMismatch,
				"resource %q matches no resource of the admin API: want %s or %sKIND/ID, KIND one of %s",
				r.Value, StoreARN, entityARNPrefix, kindList())
		}
		if doc.Variables() {
			checkVariables(add, field, r)
		}
	}
	for _, c := range st.Conditions {
		field := "Condition." + c.Operator + "." + c.Key
		if !isAdminKey(c.Key) {
			add(field, c.KeyPos, engine.CodeUnknownConditionKey,
				"condition key %q is never in the context of an admin API call, which has %s%s",
				c.Key, strings.Join(adminKeys(), ", "), engine.Suggest(c.Key, adminKeys()))
		}
		if doc.Variables() {
			for _, v := range c.Values {
				checkVariables(add, field, engine.Text{Value: v.Text, Pos: v.Pos})
			}
		}
	}
	return out
}

// checkAction says what is wrong with one Action or NotAction value, if
// anything. The engine compares the prefix exactly and the name with
// wildcards, both without regard to case.
func checkAction(v string) (engine.Code, string) {
	if v != "" && strings.Trim(v, "*") == "" {
		return "", ""
	}
	prefix, name, ok := strings.Cut(v, ":")
	if !ok || !strings.EqualFold(prefix, "pdp") {
		return engine.CodeUnknownService, fmt.Sprintf("action %q is not an admin API action: those are pdp:%s",
			v, strings.Join(actionNames(), ", pdp:"))
	}
	for _, a := range actionNames() {
		if globMatch(strings.ToLower(name), strings.ToLower(a)) {
			return "", ""
		}
	}
	return engine.CodeUnknownAction, fmt.Sprintf("action %q matches no admin API action%s", v, engine.Suggest(v, Actions()))
}

// actionNames lists the admin actions without their "pdp:" prefix.
func actionNames() []string {
	acts := Actions()
	for i, a := range acts {
		acts[i] = strings.TrimPrefix(a, "pdp:")
	}
	return acts
}

// resourceCanMatch reports whether a Resource value can match an admin
// API resource: its text up to the first wildcard or policy variable must
// begin one, or (for an entity) begin with one's "entity/KIND/" prefix. A
// value without any wildcard must be a whole resource.
func resourceCanMatch(v string) bool {
	lit, wild := v, false
	if i := strings.IndexAny(v, "*?$"); i >= 0 {
		lit, wild = v[:i], true
	}
	if !wild {
		if v == StoreARN {
			return true
		}
		for _, k := range store.Kinds() {
			if p := entityARNPrefix + string(k) + "/"; strings.HasPrefix(v, p) && len(v) > len(p) {
				return true
			}
		}
		return false
	}
	if strings.HasPrefix(StoreARN, lit) {
		return true
	}
	for _, k := range store.Kinds() {
		if p := entityARNPrefix + string(k) + "/"; strings.HasPrefix(p, lit) || strings.HasPrefix(lit, p) {
			return true
		}
	}
	return false
}

func kindList() string {
	var names []string
	for _, k := range store.Kinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// checkVariables reports policy variables (${key} or ${key, 'default'})
// that name a key no admin API call has: such a variable has no value, so
// its pattern matches nothing, and a Deny holding it never applies. The
// special ${*}, ${?} and ${$} stand for literal characters.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
func checkVariables(add func(string, engine.Pos, engine.Code, string, ...any), field string, t engine.Text) {
	s := t.Value
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return
		}
		s = s[i+2:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			add(field, t.Pos, engine.CodeInvalidVariable, "unclosed policy variable in %q (want ${key})", t.Value)
			return
		}
		key, _, _ := strings.Cut(s[:j], ",")
		key = strings.TrimSpace(key)
		s = s[j+1:]
		if key == "*" || key == "?" || key == "$" || isAdminKey(key) {
			continue
		}
		add(field, t.Pos, engine.CodeInvalidVariable,
			"policy variable ${%s} names a key no admin API call has, so %q matches nothing; the keys are %s%s",
			key, t.Value, strings.Join(adminKeys(), ", "), engine.Suggest(key, adminKeys()))
	}
}

// elemField names element i of a list of n values: "Action" for a lone
// value, "Action[1]" in a list.
func elemField(name string, i, n int) string {
	if n == 1 {
		return name
	}
	return fmt.Sprintf("%s[%d]", name, i)
}

func cond[T any](ok bool, a, b T) T {
	if ok {
		return a
	}
	return b
}

// globMatch matches s against a pattern with '*' (any run of characters)
// and '?' (any one character), as IAM matches action names.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
