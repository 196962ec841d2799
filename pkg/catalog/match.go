package catalog

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// MatchActions returns the actions an IAM Action pattern covers, sorted by
// FullName, in a new slice (nil when none). The pattern is "prefix:Name": the
// prefix names one service exactly (case-insensitively; IAM takes no
// wildcards there) and the name is matched case-insensitively with IAM
// wildcards, '*' any run of characters including none and '?' exactly one.
// A pattern made only of '*' covers every action; one without a colon, or
// with a wildcard in the prefix, covers none. See
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html.
func (c *Catalog) MatchActions(pattern string) []*Action {
	return slices.Clone(c.ActionsMatching(pattern))
}

// maxMatchMemo bounds how many patterns ActionsMatching remembers. Policies
// use few distinct patterns; when hostile input fills the memo, it starts
// over.
const maxMatchMemo = 1024

// matchMemo remembers the answers of ActionsMatching for patterns with
// wildcards in the name. It is safe for concurrent use.
type matchMemo struct {
	m sync.Map // pattern → []*Action
	n atomic.Int32
}

// ActionsMatching is [Catalog.MatchActions] without the copy: the slice it
// returns is the catalog's and must not be modified. It remembers its
// answers for patterns with wildcards, so that validating many policies
// that use the same patterns matches each pattern against the service's
// actions once.
func (c *Catalog) ActionsMatching(pattern string) []*Action {
	if pattern != "" && strings.Trim(pattern, "*") == "" {
		return c.actions
	}
	if v, ok := c.matched.m.Load(pattern); ok {
		return v.([]*Action)
	}
	out := c.matchActions(pattern)
	if !hasWildcard(pattern) {
		return out
	}
	if c.matched.n.Add(1) > maxMatchMemo {
		c.matched.m.Clear()
		c.matched.n.Store(1)
	}
	// The pattern may be a slice of a whole policy's text: keep a copy.
	c.matched.m.Store(strings.Clone(pattern), out)
	return out
}

// matchActions finds the actions of a pattern that is not all stars.
func (c *Catalog) matchActions(pattern string) []*Action {
	prefix, name, ok := strings.Cut(pattern, ":")
	if !ok || name == "" || hasWildcard(prefix) {
		return nil
	}
	s, ok := c.Service(prefix)
	if !ok {
		return nil
	}
	if !hasWildcard(name) {
		if a, ok := s.Action(name); ok {
			return []*Action{a}
		}
		return nil
	}
	var out []*Action
	for _, a := range s.Actions { // sorted by Name, which is FullName order within one service
		if matchWildcardFold(name, a.Name) {
			out = append(out, a)
		}
	}
	return out
}

// MatchedBy reports whether the IAM Action pattern covers the action, by the
// rules of [Catalog.MatchActions]. It does not allocate.
func (a *Action) MatchedBy(pattern string) bool {
	if pattern != "" && strings.Trim(pattern, "*") == "" {
		return true
	}
	prefix, name, ok := strings.Cut(pattern, ":")
	return ok && !hasWildcard(prefix) && equalFoldASCII(prefix, a.Service.Prefix) && matchWildcardFold(name, a.Name)
}

func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }

// matchWildcardFold matches s against an IAM wildcard pattern ('*' any run,
// '?' one character) with ASCII case folding. It backtracks only to the last
// '*', which is enough because a later '*' can absorb whatever an earlier one
// would have, so it runs in O(len(pattern)·len(s)) without allocating.
func matchWildcardFold(pattern, s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) {
			switch c := pattern[p]; {
			case c == '*':
				starP, starI = p, i
				p++
				continue
			case c == '?' || lowerASCII(c) == lowerASCII(s[i]):
				p++
				i++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last '*' absorb one more character and retry after it.
		starI++
		p, i = starP+1, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
