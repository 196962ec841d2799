package catalog

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// An ARN format such as "arn:${Partition}:mobiletargeting:${Region}:${Account}:apps/${AppId}"
// compiles to a sequence of tokens, each matching one character (a literal)
// or a non-empty run of characters from a class (a placeholder or a literal
// '*'). Both Matches and Overlaps run these tokens as an automaton, so they
// never backtrack, whatever the input.
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
// not allocate for formats of up to 255 tokens.
func (rt *ResourceType) Matches(arn string) bool {
	return matchFormat(rt.format, arn)
}

// matchFormat simulates the format's automaton over s. State 2j means "token
// j is next", state 2j+1 "inside the run of class token j" (which may end,
// moving to state 2(j+1), or go on).
func matchFormat(f []formatToken, s string) bool {
	words := (2*(len(f)+1) + 63) / 64
	var bufA, bufB [8]uint64
	cur, next := bufA[:], bufB[:]
	if words > len(bufA) {
		cur, next = make([]uint64, words), make([]uint64, words)
	}
	cur, next = cur[:words], next[:words]
	setBit(cur, 0)
	for i := range len(s) {
		clear(next)
		live := false
		for w, word := range cur {
			for word != 0 {
				st := w*64 + bits.TrailingZeros64(word)
				word &= word - 1
				j := st / 2
				if j == len(f) || !f[j].accepts(s[i]) {
					continue
				}
				live = true
				if f[j].kind == fmtLiteral {
					setBit(next, 2*(j+1))
				} else {
					setBit(next, 2*j+1)   // the run goes on,
					setBit(next, 2*(j+1)) // or ends here
				}
			}
		}
		if !live {
			return false
		}
		cur, next = next, cur
	}
	return hasBit(cur, 2*len(f))
}

func setBit(set []uint64, i int)      { set[i/64] |= 1 << (uint(i) % 64) }
func hasBit(set []uint64, i int) bool { return set[i/64]&(1<<(uint(i)%64)) != 0 }

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

// compilePattern splits an IAM Resource pattern into tokens. A policy
// variable (${aws:username}, ${aws:PrincipalTag/team, 'none'}) becomes '*':
// its value is unknown until a request arrives, and '*' covers every value,
// which keeps Overlaps conservative. ${*}, ${?} and ${$} stand for the
// literal characters, as in
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html.
func compilePattern(pattern string) []patternToken {
	toks := make([]patternToken, 0, len(pattern))
	push := func(t patternToken) {
		// Adjacent stars add nothing but states.
		if t.kind == patStar && len(toks) > 0 && toks[len(toks)-1].kind == patStar {
			return
		}
		toks = append(toks, t)
	}
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c == '$' && strings.HasPrefix(pattern[i:], "${") {
			if end := strings.IndexByte(pattern[i:], '}'); end > 2 {
				switch v := pattern[i+2 : i+end]; v {
				case "*", "?", "$":
					push(patternToken{kind: patLiteral, ch: v[0]})
				default:
					push(patternToken{kind: patStar})
				}
				i += end
				continue
			}
		}
		switch c {
		case '*':
			push(patternToken{kind: patStar})
		case '?':
			push(patternToken{kind: patAny})
		default:
			push(patternToken{kind: patLiteral, ch: c})
		}
	}
	return toks
}

// errTooLarge stops Overlaps from building a product automaton it cannot
// afford; see maxOverlapStates.
var errTooLarge = errors.New("pattern too large")

// maxOverlapStates bounds the product automaton of Overlaps (about 4 MiB of
// visited set). IAM limits a policy to a few thousand characters, so only
// hostile input reaches it, and Overlaps then answers true.
const maxOverlapStates = 1 << 25

// Overlaps reports whether some concrete ARN could match both the IAM
// Resource pattern and the resource type's format, that is whether the
// pattern can ever grant or deny something on a resource of this type. Policy
// validation uses it to find a Resource that fits no resource type of an
// action.
//
// The pattern follows IAM semantics: '*' matches any run of characters
// (including ':' and none at all) and '?' exactly one, over the whole ARN,
// case-sensitively; policy variables match anything. The answer is exact for
// these rules (the intersection of two automata is checked for emptiness),
// and errs towards true where the rules are unknown: for variables, and for
// patterns too large to check. "*" overlaps every resource type.
func (rt *ResourceType) Overlaps(pattern string) bool {
	p := compilePattern(pattern)
	if len(p) == 1 && p[0].kind == patStar {
		return true
	}
	ok, err := overlap(p, rt.format)
	return ok || err != nil
}

// overlap searches the product of the pattern automaton (position i in p)
// and the format automaton (position j in f, in == 1 inside the run of class
// token j) for a path from the start to both ends. Every state is visited at
// most once, so the search takes O(len(p)·len(f)) time.
func overlap(p []patternToken, f []formatToken) (bool, error) {
	cols := 2 * (len(f) + 1)
	n := (len(p) + 1) * cols
	if n > maxOverlapStates {
		return false, errTooLarge
	}
	seen := make([]uint64, (n+63)/64)
	var stack []int
	push := func(i, j, in int) {
		st := i*cols + 2*j + in
		if !hasBit(seen, st) {
			setBit(seen, st)
			stack = append(stack, st)
		}
	}
	push(0, 0, 0)
	for len(stack) > 0 {
		st := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		i, j, in := st/cols, (st%cols)/2, st%2
		if i == len(p) && j == len(f) {
			return true, nil
		}
		if i < len(p) && p[i].kind == patStar {
			push(i+1, j, in) // the star matches nothing more
		}
		if in == 1 {
			push(i, j+1, 0) // the class run ends
		}
		if i == len(p) || j == len(f) || !compatible(p[i], f[j]) {
			continue
		}
		ni := i + 1
		if p[i].kind == patStar {
			ni = i // the star goes on
		}
		if f[j].kind == fmtLiteral {
			push(ni, j+1, 0)
		} else {
			push(ni, j, 1)
		}
	}
	return false, nil
}

// compatible reports whether one character exists that both tokens accept.
// Wildcards accept every character, and every format token accepts at least
// one, so only a pattern literal can fail.
func compatible(pt patternToken, ft formatToken) bool {
	if pt.kind != patLiteral {
		return true
	}
	return ft.accepts(pt.ch)
}
