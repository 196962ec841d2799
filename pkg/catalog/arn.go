package catalog

import (
	"fmt"
	"strings"
)

// An ARN format such as "arn:${Partition}:mobiletargeting:${Region}:${Account}:apps/${AppId}"
// compiles to a sequence of tokens, each matching one character (a literal)
// or a non-empty run of characters from a class (a placeholder or a literal
// '*'). Load turns the tokens into a formatAutomaton that both Matches and
// Overlaps run, so they never backtrack, whatever the input.
type formatToken struct {
	kind formatKind
	ch   byte // the character of a fmtLiteral
}

type formatKind uint8

const (
	fmtLiteral     formatKind = iota // exactly ch
	fmtPlaceholder                   // ${Name}: one or more characters other than '/' and ':'
	fmtStar                          // literal '*' in a format: one or more characters other than ':'
)

// accepts reports whether c may appear in the run of a class token.
func (t formatToken) accepts(c byte) bool {
	switch t.kind {
	case fmtPlaceholder:
		return c != '/' && c != ':'
	case fmtStar:
		return c != ':'
	}
	return c == t.ch
}

// compileFormat turns an ARN format of the Service Authorization Reference
// into tokens. A placeholder never matches ':' or '/', so matching the whole
// string is the same as comparing partition, service, region, account and
// resource part by part, which is how check-conformance.mjs matches.
func compileFormat(format string) ([]formatToken, error) {
	if !strings.HasPrefix(format, "arn:") || strings.Count(format, ":") < 5 {
		return nil, fmt.Errorf("ARN format %q: want arn:partition:service:region:account:resource", format)
	}
	var toks []formatToken
	for i := 0; i < len(format); i++ {
		switch {
		case strings.HasPrefix(format[i:], "${"):
			end := strings.IndexByte(format[i:], '}')
			if end < 3 { // "${}" or no closing brace
				return nil, fmt.Errorf("ARN format %q: bad placeholder at offset %d", format, i)
			}
			toks = append(toks, formatToken{kind: fmtPlaceholder})
			i += end
		case format[i] == '*':
			toks = append(toks, formatToken{kind: fmtStar})
		default:
			toks = append(toks, formatToken{kind: fmtLiteral, ch: format[i]})
		}
	}
	return toks, nil
}

// Matches reports whether a concrete ARN fits the resource type's format.
// The parts (partition, service, region, account, resource) compare
// case-sensitively, as AWS compares ARNs; a ${Placeholder} stands for one or
// more characters other than '/' and ':'. A literal '*' in the format
// ("…:apps/*" of the apps and recommenders types) stands for one or more
// characters other than ':', because AWS uses it to mean every resource under
// the path; so "…:apps/abc123" fits both "app" and "apps", and "…:apps/*"
// fits "apps". '*' and '?' in arn are ordinary characters here. Matches does
// not allocate.
func (rt *ResourceType) Matches(arn string) bool {
	a := &rt.auto
	s := start()
	n, alive := s.literals(a, &a.index, arn)
	return alive && n == len(arn) && s.done(a)
}

// A patternToken is one element of an IAM Resource pattern.
type patternToken struct {
	kind patternKind
	ch   byte // the character of a patLiteral
}

type patternKind uint8

const (
	patLiteral patternKind = iota // exactly ch
	patAny                        // '?': exactly one character
	patStar                       // '*': any run of characters, including none
)

// nextPatternToken returns the token of an IAM Resource pattern at index i
// and the index after it. A policy variable (${aws:username},
// ${aws:PrincipalTag/team, 'none'}) is a '*': its value is unknown until a
// request arrives, and '*' covers every value, which keeps Overlaps
// conservative. ${*}, ${?} and ${$} stand for the literal characters, as in
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html.
//
// *closeAt caches the index of the first '}' at or after i (len(pattern)
// when there is none), so that a pattern of many "${" without a closing
// brace is still read in linear time; start it at -1.
func nextPatternToken(pattern string, i int, closeAt *int) (patternToken, int) {
	c := pattern[i]
	if c == '$' && i+1 < len(pattern) && pattern[i+1] == '{' {
		if *closeAt < i {
			*closeAt = len(pattern)
			if j := strings.IndexByte(pattern[i:], '}'); j >= 0 {
				*closeAt = i + j
			}
		}
		if end := *closeAt; end < len(pattern) && end-i > 2 {
			switch v := pattern[i+2 : end]; v {
			case "*", "?", "$":
				return patternToken{kind: patLiteral, ch: v[0]}, end + 1
			default:
				return patternToken{kind: patStar}, end + 1
			}
		}
	}
	switch c {
	case '*':
		return patternToken{kind: patStar}, i + 1
	case '?':
		return patternToken{kind: patAny}, i + 1
	}
	return patternToken{kind: patLiteral, ch: c}, i + 1
}

// Overlaps reports whether some concrete ARN could match both the IAM
// Resource pattern and the resource type's format, that is whether the
// pattern can ever grant or deny something on a resource of this type. Policy
// validation uses it to find a Resource that fits no resource type of an
// action.
//
// The pattern follows IAM semantics: '*' matches any run of characters
// (including ':' and none at all) and '?' exactly one, over the whole ARN,
// case-sensitively; policy variables match anything. The answer is exact for
// these rules (the intersection of the two languages is checked for
// emptiness) and errs towards true only for variables, whose values are
// unknown. "*" overlaps every resource type. Overlaps reads the pattern once,
// in O(len(pattern)) steps of a few machine words each, and does not
// allocate.
func (rt *ResourceType) Overlaps(pattern string) bool {
	a := &rt.auto
	s := start()
	closeAt := -1 // index of the next '}' at or after i; see nextPatternToken
	for i := 0; i < len(pattern); {
		n, alive := s.literals(a, &a.patIndex, pattern[i:])
		if i += n; !alive {
			return false
		}
		if i == len(pattern) {
			break
		}
		var t patternToken
		t, i = nextPatternToken(pattern, i, &closeAt)
		switch t.kind {
		case patLiteral:
			alive = s.stepByte(a, t.ch)
		case patAny:
			alive = s.step(a, a.valid)
		default:
			alive = s.closeStar(a)
		}
		if !alive {
			return false
		}
	}
	return s.done(a)
}
