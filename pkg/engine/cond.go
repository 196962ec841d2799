package engine

import (
	"math"
	"strings"
)

// A cond is one compiled condition: one operator applied to one key.
type cond struct {
	key    *condKey // shared by the conditions on the same key
	op     operator
	values []condValue
	// literal is set when every value is compared as plain text, case
	// included (StringEquals and StringNotEquals without variables): test
	// is then a loop of string comparisons.
	literal bool
}

// A condKey is the key of a condition: as written, in lower case, and the
// hash of the lower-case form, which finds it in a Context.
type condKey struct {
	name  string
	lower string
	hash  uint64
}

// A condValue is one policy value, parsed once for its operator family.
// Its fields are per family and only those of its family are set; the
// larger forms (patterns, ARN patterns, address ranges) are pointers, so
// that a policy set of ten thousand conditions holds each value in a few
// words: a plain string, the commonest value, is its text alone.
type condValue struct {
	text string // as written
	// pat is the value compiled as a pattern: a String value with
	// wildcards or variables, or a value of another family with variables
	// (substituted and parsed per request). It is nil for a plain string,
	// which is compared as text.
	pat *pattern
	arn *arnPattern // Arn family
	ip  *ipRange    // IpAddress family
	// scalar holds a Numeric value (the bits of a float64) or a Date (Unix
	// nanoseconds).
	scalar uint64
	valid  bool // the value parsed for its family; an invalid one matches nothing
	flag   bool // Bool and Null
}

// cond builds a cond from a parsed Condition, sharing its strings and
// values with the conditions compiled before it. Values that do not parse
// for the operator are kept but never match; Validate reports them.
func (sh *sharer) cond(c *Condition, op operator, vars bool) cond {
	out := cond{op: op}
	out.key = sh.condKey(c.Key)
	out.op.name = sh.text(op.name)
	out.values = sh.condValues(c.Values, op.opInfo, vars)
	out.literal = op.fam == famString && !op.ignoreCase
	for i := range out.values {
		out.literal = out.literal && out.values[i].pat == nil
	}
	return out
}

func compileCondValue(text string, op opInfo, vars bool) condValue {
	cv := condValue{text: text}
	switch op.fam {
	case famString:
		p := compilePattern(text, patternOptions{wildcards: op.like, variables: vars})
		if !p.exact || p.text != text {
			cv.pat = &p
		}
		cv.valid = true
		return cv
	case famARN:
		cv.arn = compileARNPattern(text, vars)
		cv.valid = true
		return cv
	}
	// Of the other families only Bool takes policy variables: the condition
	// operators page says "Policy variables – Not supported" for the
	// Numeric, Date, Binary and IP address operators, and "You can not use
	// a policy variable with the Null condition operator", so there
	// "${...}" is literal text, which is no number, date, address, base64
	// value or boolean and matches nothing. A Bool value with variables is
	// parsed per request.
	if !variablesSupported(op.fam) {
		vars = false
	}
	if p := compilePattern(text, patternOptions{variables: vars}); p.hasVars {
		cv.pat = &p
		cv.valid = true
		return cv
	}
	cv.parse(text, op)
	return cv
}

// parse reads a literal value of a non-string family.
func (cv *condValue) parse(text string, op opInfo) {
	switch op.fam {
	case famNumeric:
		n, ok := parseNumber(text)
		cv.scalar, cv.valid = math.Float64bits(n), ok
	case famDate:
		d, ok := parseDate(text)
		cv.scalar, cv.valid = uint64(d), ok
	case famIP:
		if r, ok := parseIPRange(text); ok {
			cv.ip, cv.valid = &r, true
		}
	case famBool, famNull:
		cv.flag, cv.valid = parseBool(text)
	case famBinary:
		cv.valid = true
	}
}

// variablesSupported reports whether an operator family substitutes policy
// variables in its values: String, ARN and Bool do; Numeric, Date, Binary,
// IP address and Null do not.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
func variablesSupported(fam opFamily) bool {
	switch fam {
	case famString, famARN, famBool:
		return true
	}
	return false
}

// number returns a Numeric value.
func (cv *condValue) number() float64 { return math.Float64frombits(cv.scalar) }

// dateNanos returns a Date value as Unix nanoseconds.
func (cv *condValue) dateNanos() int64 { return int64(cv.scalar) }

// eval decides the condition for a request context. Absent keys follow IAM:
// ...IfExists is true (with a set operator too), then ForAllValues is true,
// ForAnyValue false, negated operators true, others false; Null tests
// presence itself.
//
// A key present with a null data set — an empty list, or an empty string —
// is present for IfExists, but the set operators and Null treat it as the
// multivalued-keys page says: ForAllValues "also returns true if there are
// no context keys in the request or if the context key value resolves to a
// null dataset, such as an empty string", ForAnyValue returns false "for no
// matching context key or a null dataset", and Null with false is how a
// policy checks "that the context key exists and its value is not null"
// (so Null is true for such a key, as for an absent one).
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
//
// memo holds the values this decision has parsed already; nil parses each
// value where it is compared.
func (c *cond) eval(ctx *Context, memo *typedMemo, tr *trace) bool {
	e := ctx.lookup(c.key.lower, c.key.hash)
	if c.op.fam == famNull {
		return c.evalNull(e != nil && !e.nullData())
	}
	if e == nil {
		if tr != nil {
			tr.missingKey(c.key.name)
		}
		// IfExists may qualify any operator but Null, set operators
		// included: "If the key is not present, evaluate the condition
		// element as true."
		if c.op.ifExists {
			return true
		}
		switch c.op.set {
		case setForAll:
			return true
		case setForAny:
			return false
		}
		return c.op.negated
	}
	var tv *typedValue // the parsed forms of a single value
	if !e.multi && memo != nil {
		tv = memo.of(e, c.op.fam)
	}
	switch c.op.set {
	case setForAll:
		// Every request value must satisfy the operator; a null data set
		// does.
		if e.nullData() {
			return true
		}
		for _, v := range e.values {
			if !c.test(v, tv, ctx) {
				return false
			}
		}
		return true
	case setForAny:
		if e.nullData() {
			return false
		}
		for _, v := range e.values {
			if c.test(v, tv, ctx) {
				return true
			}
		}
		return false
	}
	// A multivalued key needs a set operator: a single-valued operator on
	// one is false, whatever its sense.
	if e.multi || len(e.values) != 1 {
		return false
	}
	return c.test(e.values[0], tv, ctx)
}

// evalNull: "true" holds when the key is absent or its value a null data
// set, "false" when it has a value (see eval).
func (c *cond) evalNull(present bool) bool {
	for i := range c.values {
		cv := &c.values[i]
		if cv.valid && cv.flag != present {
			return true
		}
	}
	return false
}

// test applies the operator to one request value: a positive operator holds
// when some policy value matches, a negated one when none does. A value that
// cannot be compared (a policy or request value that does not parse for the
// operator) matches nothing and makes a negated operator false too: it is
// neither equal nor unequal. tv, when not nil, holds v's parsed forms.
func (c *cond) test(v string, tv *typedValue, ctx *Context) bool {
	if c.literal {
		for i := range c.values {
			if c.values[i].text == v {
				return !c.op.negated
			}
		}
		return c.op.negated
	}
	invalid := false
	for i := range c.values {
		m, ok := c.values[i].matches(v, tv, c.op.opInfo, ctx)
		if !ok {
			invalid = true
			continue
		}
		if m {
			return !c.op.negated
		}
	}
	return c.op.negated && !invalid
}

// matches compares a request value with one policy value under the base
// (un-negated) operator; ok is false when the two cannot be compared.
func (cv *condValue) matches(v string, tv *typedValue, op opInfo, ctx *Context) (match, ok bool) {
	if !cv.valid {
		return false, false
	}
	switch op.fam {
	case famString:
		// A variable with no value matches nothing, so a negated operator
		// holds: IAM's inverted operators match against a missing value.
		if cv.pat == nil {
			if op.ignoreCase {
				return strings.EqualFold(v, cv.text), true
			}
			return v == cv.text, true
		}
		return cv.pat.match(v, ctx, op.ignoreCase), true
	case famARN:
		return cv.arn.match(v, ctx)
	}
	if cv.pat != nil {
		// A Bool value with variables (no other family here takes them):
		// substituted and parsed per request.
		text, ok := cv.pat.expand(ctx)
		if !ok {
			return false, false
		}
		flag, ok := parseBool(text)
		if !ok {
			return false, false
		}
		b, ok := parseBool(v)
		return ok && b == flag, ok
	}
	switch op.fam {
	case famNumeric:
		return matchNumber(v, tv, op, cv.number())
	case famDate:
		return matchDate(v, tv, op, cv.dateNanos())
	case famIP:
		return cv.ip.contains(v, tv)
	case famBool:
		b, ok := parseBool(v)
		return ok && b == cv.flag, ok
	case famBinary:
		return v == cv.text, true
	}
	return false, false
}

// matchNumber compares a request value with a Numeric policy value.
func matchNumber(v string, tv *typedValue, op opInfo, policy float64) (match, ok bool) {
	n, ok, parsed := tv.number()
	if !parsed {
		n, ok = parseNumber(v)
	}
	return ok && compare(n, policy, op.cmp), ok
}

// matchDate compares a request value with a Date policy value.
func matchDate(v string, tv *typedValue, op opInfo, policy int64) (match, ok bool) {
	d, ok, parsed := tv.dateNanos()
	if !parsed {
		d, ok = parseDate(v)
	}
	return ok && compare(d, policy, op.cmp), ok
}

func compare[T int64 | float64](a, b T, op cmpOp) bool {
	switch op {
	case cmpLt:
		return a < b
	case cmpLe:
		return a <= b
	case cmpGt:
		return a > b
	case cmpGe:
		return a >= b
	}
	return a == b
}
