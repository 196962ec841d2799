package engine

import "strings"

// An arnPattern is the value of an Arn condition operator. ArnEquals and
// ArnLike behave identically: they compare partition, service, region,
// account and resource separately, each with '*' and '?' wildcards, so a
// wildcard never spans a colon except inside the resource. The leading "arn"
// is not compared. A value with fewer than five fields is not an ARN and
// matches nothing, under negated operators too. Policy variables may stand
// in any field (arn:aws:iam::${aws:PrincipalAccount}:user/*): the colon
// inside "${aws:...}" does not separate fields, and a variable's value is
// matched within its field.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
type arnPattern struct {
	fields [5]pattern // partition, service, region, account, resource
	valid  bool
}

func compileARNPattern(text string, vars bool) *arnPattern {
	ap := &arnPattern{}
	parts := splitARNPattern(text, vars)
	if len(parts) < 5 {
		return ap
	}
	ap.valid = true
	o := patternOptions{wildcards: true, variables: vars}
	for i := range ap.fields {
		if i+1 < len(parts) {
			ap.fields[i] = compilePattern(parts[i+1], o)
		} else {
			ap.fields[i] = compilePattern("", o)
		}
	}
	return ap
}

// match compares a request ARN field by field; ok is false when either side
// is not an ARN.
func (ap *arnPattern) match(v string, ctx *Context) (match, ok bool) {
	f, isARN := arnFields(v)
	if !ap.valid || !isARN {
		return false, false
	}
	for i := range f {
		if !ap.fields[i].match(f[i], ctx, false) {
			return false, true
		}
	}
	return true, true
}

// arnFields splits "arn:partition:service:region:account[:resource]" without
// allocating; the resource keeps any further colons.
func arnFields(v string) (f [5]string, ok bool) {
	_, rest, ok := strings.Cut(v, ":") // the leading "arn" is not compared
	if !ok {
		return f, false
	}
	for i := range 3 {
		if f[i], rest, ok = strings.Cut(rest, ":"); !ok {
			return f, false
		}
	}
	f[3], f[4], _ = strings.Cut(rest, ":")
	return f, true
}

// splitARNPattern splits an Arn condition value into at most six fields at
// the colons outside policy variables (when the policy has variables), so
// that "${aws:PrincipalAccount}" stays whole in the account field.
func splitARNPattern(text string, vars bool) []string {
	if !vars || !strings.Contains(text, "${") {
		return strings.SplitN(text, ":", 6)
	}
	parts := make([]string, 0, 6)
	start := 0
	for i := 0; i < len(text) && len(parts) < 5; i++ {
		switch text[i] {
		case '$':
			if _, n, ok := scanVariable(text[i:]); ok {
				i += n - 1
			}
		case ':':
			parts = append(parts, text[start:i])
			start = i + 1
		}
	}
	return append(parts, text[start:])
}
