package engine

import (
	"slices"
	"strings"
)

// An Explanation says why a decision came out as it did.
type Explanation struct {
	Decision     Decision
	CrossAccount bool
	// Matched lists every statement that applied to the request, Allow
	// and Deny, in evaluation order.
	Matched []MatchedStatement
	// Verdicts gives what each policy type present said.
	Verdicts []Verdict
	// MissingKeys lists condition keys that a condition tested but the
	// request context lacked, sorted and without duplicates.
	MissingKeys []string
}

// A MatchedStatement identifies one statement that applied.
type MatchedStatement struct {
	Type     PolicyType
	Level    int // SCP level (0 = root); 0 for other types
	PolicyID string
	Sid      string
	Index    int
	Effect   Effect
}

// A Verdict is what one policy set said: whether an Allow and whether a
// Deny applied.
type Verdict struct {
	Type    PolicyType
	Level   int
	Allowed bool
	Denied  bool
}

// trace collects an explanation while evaluating. A nil *trace records
// nothing; the fast path passes nil.
type trace struct {
	matchedStmts []MatchedStatement
	verdicts     []Verdict
	missing      []string
	level        int
}

// The trace methods are kept out of line: only explanations call them,
// and inlined they would crowd the registers of the evaluation loops.

//go:noinline
func (t *trace) beginSet(_ *PolicySet, level int) { t.level = level }

//go:noinline
func (t *trace) endSet(ps *PolicySet, level int, res setResult) {
	t.verdicts = append(t.verdicts, Verdict{Type: ps.typ, Level: level, Allowed: res.allow, Denied: res.deny})
}

//go:noinline
func (t *trace) matched(ps *PolicySet, st *statement) {
	t.matchedStmts = append(t.matchedStmts, MatchedStatement{
		Type: ps.typ, Level: t.level, PolicyID: st.policy, Sid: st.sid,
		Index: int(st.index), Effect: st.effect,
	})
}

//go:noinline
func (t *trace) missingKey(name string) { t.missing = append(t.missing, name) }

func (t *trace) explanation(d Decision, crossAccount bool) *Explanation {
	seen := make(map[string]bool)
	var missing []string
	for _, k := range t.missing {
		if lk := strings.ToLower(k); !seen[lk] {
			seen[lk] = true
			missing = append(missing, k)
		}
	}
	slices.SortFunc(missing, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return &Explanation{Decision: d, CrossAccount: crossAccount, Matched: t.matchedStmts,
		Verdicts: t.verdicts, MissingKeys: missing}
}
