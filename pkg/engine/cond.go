package engine

import "strings"

// A cond is one compiled condition: one operator applied to one key.
type cond struct {
	key     string // lower case
	keyName string // as written
	op      operator
	values  []condValue
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
	for i, v := range c.Values {
		out.values[i] = compileCondValue(v.Text, op.opInfo, vars)
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
// ForAllValues is true, ForAnyValue false, ...IfExists and negated operators
// true, others false; Null tests presence itself.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
func (c *cond) eval(ctx *Context, tr *trace) bool {
	e, present := ctx.lookup(c.key)
	if c.op.fam == famNull {
		return c.evalNull(present)
	}
	if !present || (c.op.set != setNone && len(e.values) == 0) {
		if !present && tr != nil {
			tr.missingKey(c.keyName)
		}
		switch {
		case c.op.set == setForAll:
			return true
		case c.op.set == setForAny:
			return false
		}
		return c.op.ifExists || c.op.negated
	}
	switch c.op.set {
	case setForAll:
		for _, v := range e.values {
			if c.matchesAny(v, ctx) == c.op.negated {
				return false
			}
		}
		return true
	case setForAny:
		for _, v := range e.values {
			if c.matchesAny(v, ctx) != c.op.negated {
				return true
			}
		}
		return false
	}
	// A single-valued operator: a positive one holds when some request value
	// matches some policy value, a negated one when none does.
	for _, v := range e.values {
		if c.matchesAny(v, ctx) {
			return !c.op.negated
		}
	}
	return c.op.negated
}

// evalNull: "true" holds when the key is absent, "false" when it is present.
func (c *cond) evalNull(present bool) bool {
	for i := range c.values {
		cv := &c.values[i]
		if cv.valid && cv.flag != present {
			return true
		}
	}
	return false
}

// matchesAny reports whether the request value v matches any policy value
// under the base (un-negated) operator.
func (c *cond) matchesAny(v string, ctx *Context) bool {
	for i := range c.values {
		if c.values[i].matches(v, c.op.opInfo, ctx) {
			return true
		}
	}
	return false
}

func (cv *condValue) matches(v string, op opInfo, ctx *Context) bool {
	if !cv.valid {
		return false
	}
	switch op.fam {
	case famString:
		return cv.pat.match(v, ctx, op.ignoreCase)
	case famARN:
		return cv.arn.match(v, ctx)
	}
	pv := cv
	if cv.pat.hasVars {
		resolved, ok := cv.resolved(op, ctx)
		if !ok {
			return false
		}
		pv = &resolved
	}
	switch op.fam {
	case famNumeric:
		n, ok := parseNumber(v)
		return ok && compare(n, pv.num, op.cmp)
	case famDate:
		d, ok := parseDate(v)
		return ok && compare(d, pv.date, op.cmp)
	case famIP:
		return pv.ip.contains(v)
	case famBool:
		b, ok := parseBool(v)
		return ok && b == pv.flag
	case famBinary:
		return v == pv.text
	}
	return false
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
