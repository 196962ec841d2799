package engine

import "strings"

// A cond is one compiled condition: one operator applied to one key.
type cond struct {
	key     string // lower case
	keyHash uint64
	keyName string // as written
	op      operator
	values  []condValue
	// literal is set when every value is compared as plain text, case
	// included (StringEquals and StringNotEquals without variables): test
	// is then a loop of string comparisons.
	literal bool
}

// A condValue is one policy value, parsed once for its operator family.
type condValue struct {
	text  string  // as written
	pat   pattern // String and Arn families, and values with variables
	valid bool    // the value parsed for its family; an invalid one matches nothing
	num   float64
	date  int64 // Unix nanoseconds
	ip    ipRange
	flag  bool
	arn   *arnPattern
}

// compileCond builds a cond from a parsed Condition. Values that do not
// parse for the operator are kept but never match; Validate reports them.
func compileCond(c *Condition, op operator, vars bool) cond {
	out := cond{key: strings.ToLower(c.Key), keyName: c.Key, op: op, values: make([]condValue, len(c.Values))}
	out.keyHash = keyHash(out.key)
	out.literal = op.fam == famString && !op.ignoreCase
	for i, v := range c.Values {
		out.values[i] = compileCondValue(v.Text, op.opInfo, vars)
		out.literal = out.literal && out.values[i].pat.exact
	}
	return out
}

func compileCondValue(text string, op opInfo, vars bool) condValue {
	cv := condValue{text: text}
	switch op.fam {
	case famString:
		cv.pat = compilePattern(text, patternOptions{wildcards: op.like, variables: vars})
		cv.valid = true
		return cv
	case famARN:
		cv.arn = compileARNPattern(text, vars)
		cv.valid = true
		return cv
	}
	// Other families take variables too; such a value is parsed per request.
	cv.pat = compilePattern(text, patternOptions{variables: vars})
	if cv.pat.hasVars {
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
		cv.num, cv.valid = parseNumber(text)
	case famDate:
		cv.date, cv.valid = parseDate(text)
	case famIP:
		cv.ip, cv.valid = parseIPRange(text)
	case famBool, famNull:
		cv.flag, cv.valid = parseBool(text)
	case famBinary:
		cv.valid = true
	}
}

// eval decides the condition for a request context. Absent keys follow IAM:
// ...IfExists is true (with a set operator too), then ForAllValues is true,
// ForAnyValue false, negated operators true, others false; Null tests
// presence itself. A key present with an empty set is present: IfExists
// does not apply, ForAllValues holds and ForAnyValue does not.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
//
// memo holds the values this decision has parsed already; nil parses each
// value where it is compared.
func (c *cond) eval(ctx *Context, memo *typedMemo, tr *trace) bool {
	e := ctx.lookup(c.key, c.keyHash)
	if c.op.fam == famNull {
		return c.evalNull(e != nil)
	}
	if e == nil {
		if tr != nil {
			tr.missingKey(c.keyName)
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
		// Every request value must satisfy the operator; an empty set does.
		for _, v := range e.values {
			if !c.test(v, tv, ctx) {
				return false
			}
		}
		return true
	case setForAny:
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

// evalNull: "true" holds when the key is absent, "false" when it is present.
// A key present with an empty list or an empty string is present.
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
			if c.values[i].pat.text == v {
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
		return cv.pat.match(v, ctx, op.ignoreCase), true
	case famARN:
		return cv.arn.match(v, ctx)
	}
	pv := cv
	if cv.pat.hasVars {
		resolved, ok := cv.resolved(op, ctx)
		if !ok {
			return false, false
		}
		pv = &resolved
	}
	switch op.fam {
	case famNumeric:
		n, ok, parsed := tv.number()
		if !parsed {
			n, ok = parseNumber(v)
		}
		return ok && compare(n, pv.num, op.cmp), ok
	case famDate:
		d, ok, parsed := tv.dateNanos()
		if !parsed {
			d, ok = parseDate(v)
		}
		return ok && compare(d, pv.date, op.cmp), ok
	case famIP:
		return pv.ip.contains(v, tv)
	case famBool:
		b, ok := parseBool(v)
		return ok && b == pv.flag, ok
	case famBinary:
		return v == pv.text, true
	}
	return false, false
}

// resolved substitutes the variables of a non-string value and parses it.
func (cv *condValue) resolved(op opInfo, ctx *Context) (condValue, bool) {
	text, ok := cv.pat.expand(ctx)
	if !ok {
		return condValue{}, false
	}
	out := condValue{text: text}
	out.parse(text, op)
	return out, out.valid
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
