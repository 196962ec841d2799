package engine

import "strings"

// opFamily groups the condition operators that compare values the same way.
type opFamily uint8

const (
	famString opFamily = iota
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famARN
	famNull
)

// cmpOp is the comparison of a Numeric or Date operator: request value
// <cmp> policy value.
type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

// opInfo describes one base condition operator (without set qualifier or
// IfExists).
type opInfo struct {
	name       string
	fam        opFamily
	cmp        cmpOp
	negated    bool // true when the key is absent; values are NOR-ed
	ignoreCase bool
	like       bool // '*' and '?' are wildcards
}

// operators is the constant table of the base operators.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
var operators = map[string]opInfo{
	"StringEquals":              {fam: famString},
	"StringNotEquals":           {fam: famString, negated: true},
	"StringEqualsIgnoreCase":    {fam: famString, ignoreCase: true},
	"StringNotEqualsIgnoreCase": {fam: famString, negated: true, ignoreCase: true},
	"StringLike":                {fam: famString, like: true},
	"StringNotLike":             {fam: famString, negated: true, like: true},
	"NumericEquals":             {fam: famNumeric, cmp: cmpEq},
	"NumericNotEquals":          {fam: famNumeric, cmp: cmpEq, negated: true},
	"NumericLessThan":           {fam: famNumeric, cmp: cmpLt},
	"NumericLessThanEquals":     {fam: famNumeric, cmp: cmpLe},
	"NumericGreaterThan":        {fam: famNumeric, cmp: cmpGt},
	"NumericGreaterThanEquals":  {fam: famNumeric, cmp: cmpGe},
	"DateEquals":                {fam: famDate, cmp: cmpEq},
	"DateNotEquals":             {fam: famDate, cmp: cmpEq, negated: true},
	"DateLessThan":              {fam: famDate, cmp: cmpLt},
	"DateLessThanEquals":        {fam: famDate, cmp: cmpLe},
	"DateGreaterThan":           {fam: famDate, cmp: cmpGt},
	"DateGreaterThanEquals":     {fam: famDate, cmp: cmpGe},
	"Bool":                      {fam: famBool},
	"BinaryEquals":              {fam: famBinary},
	"IpAddress":                 {fam: famIP},
	"NotIpAddress":              {fam: famIP, negated: true},
	"ArnEquals":                 {fam: famARN, like: true},
	"ArnLike":                   {fam: famARN, like: true},
	"ArnNotEquals":              {fam: famARN, like: true, negated: true},
	"ArnNotLike":                {fam: famARN, like: true, negated: true},
	"Null":                      {fam: famNull},
}

// setQualifier is the ForAllValues / ForAnyValue prefix of an operator.
type setQualifier uint8

const (
	setNone setQualifier = iota
	setForAll
	setForAny
)

// operator is a whole operator as written: qualifier, base and IfExists.
type operator struct {
	opInfo
	set      setQualifier
	ifExists bool
}

// parseOperator splits "ForAnyValue:StringLikeIfExists" into its parts.
// Operator names are case-sensitive, as in IAM.
func parseOperator(s string) (operator, bool) {
	var op operator
	rest := s
	switch {
	case strings.HasPrefix(rest, "ForAllValues:"):
		op.set, rest = setForAll, rest[len("ForAllValues:"):]
	case strings.HasPrefix(rest, "ForAnyValue:"):
		op.set, rest = setForAny, rest[len("ForAnyValue:"):]
	}
	if base, ok := strings.CutSuffix(rest, "IfExists"); ok && base != "Null" {
		if info, ok := operators[base]; ok {
			info.name = base
			op.opInfo, op.ifExists = info, true
			return op, true
		}
	}
	info, ok := operators[rest]
	if !ok {
		return operator{}, false
	}
	info.name = rest
	op.opInfo = info
	return op, true
}

// operatorNames lists the base operator names, for suggestions.
func operatorNames() []string {
	names := make([]string, 0, len(operators))
	for n := range operators {
		names = append(names, n)
	}
	return names
}
