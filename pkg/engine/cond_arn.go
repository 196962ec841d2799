package engine

import "strings"

// An arnPattern is the value of an Arn condition operator. ArnEquals and
// ArnLike compare the six colon-separated fields of an ARN separately, each
// with '*' and '?' wildcards, so a wildcard never spans a colon except
// inside the last field.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
type arnPattern struct {
	fields    [6]pattern
	segmented bool
	whole     pattern // a value with fewer than six fields, matched as one string
}

func compileARNPattern(text string, vars bool) *arnPattern {
	o := patternOptions{wildcards: true, variables: vars}
	ap := &arnPattern{}
	parts := strings.SplitN(text, ":", 6)
	if len(parts) < 6 {
		ap.whole = compilePattern(text, o)
		return ap
	}
	ap.segmented = true
	for i, p := range parts {
		ap.fields[i] = compilePattern(p, o)
	}
	return ap
}

// match compares a request ARN field by field.
func (ap *arnPattern) match(v string, ctx *Context) bool {
	if !ap.segmented {
		return ap.whole.match(v, ctx, false)
	}
	rest := v
	for i := range 5 {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return false
		}
		if !ap.fields[i].match(rest[:j], ctx, false) {
			return false
		}
		rest = rest[j+1:]
	}
	return ap.fields[5].match(rest, ctx, false)
}
