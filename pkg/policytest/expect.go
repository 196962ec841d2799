package policytest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// How an expectation's lists compare with the answer.
const (
	// MatchExact, the default, requires the allowed and conditional
	// entries of the answer to be exactly those listed: any other
	// principal (or action) the answer allows, outright or under
	// conditions, is unexpected.
	MatchExact = "exact"
	// MatchAtLeast requires every listed entry to have the listed answer
	// and says nothing of the others.
	MatchAtLeast = "at-least"
)

// The answers of an access question, as pdp who-can prints them.
const (
	VerdictAllowed      = "ALLOWED"
	VerdictConditional  = "CONDITIONAL"
	VerdictExplicitDeny = "EXPLICIT_DENY"
	VerdictImplicitDeny = "IMPLICIT_DENY"
)

// Expected is what an access expectation expects: the entries (principal
// ARNs or action names) allowed whatever the request, those allowed only
// under conditions on request keys, and how to compare them.
type Expected struct {
	Allowed     []string `json:"allowed"`
	Conditional []string `json:"conditional,omitempty"`
	Match       string   `json:"match,omitempty"`
}

// match gives the comparison, MatchExact when none was written.
func (e *Expected) match() string {
	if e.Match == "" {
		return MatchExact
	}
	return e.Match
}

// A WhoCan expectation names the principals of the model that may perform
// an action on a resource.
type WhoCan struct {
	Name     string                  `json:"name"`
	Action   string                  `json:"action"`
	Resource string                  `json:"resource"`
	Context  map[string]ContextValue `json:"context,omitempty"`
	Expected
	pos itemPos
}

// A WhatCan expectation names the actions a principal may perform on a
// resource ("*", for the actions without resource types, when none is
// written).
type WhatCan struct {
	Name      string                  `json:"name"`
	Principal string                  `json:"principal"`
	Resource  string                  `json:"resource,omitempty"`
	Context   map[string]ContextValue `json:"context,omitempty"`
	Expected
	pos itemPos
}

// On gives the resource the question is about.
func (q *WhatCan) On() string {
	if q.Resource == "" {
		return "*"
	}
	return q.Resource
}

// An Answer is the answer for one principal or action.
type Answer struct {
	Name    string // the principal's ARN or the action's name
	Verdict string // VerdictAllowed, …
	// Keys are, for a conditional answer, the request keys whose
	// conditions decide it.
	Keys []string
	// Deciding are, for an allowed or explicitly denied answer, the
	// statements that decide it.
	Deciding []StatementRef
}

// Answers are the answers of one question, denied ones included, at one
// revision.
type Answers struct {
	Revision int64
	List     []Answer
}

// An EntryDiff is one entry on which an answer and an expectation differ.
type EntryDiff struct {
	Name string `json:"name"`
	// Expected is the answer expected for a missing entry; "" for an
	// unexpected one.
	Expected string `json:"expected,omitempty"`
	Got      string `json:"got"`
	// Keys are the keys that decide a conditional answer.
	Keys []string `json:"keys,omitempty"`
}

func (d EntryDiff) String() string {
	got := d.Got
	if len(d.Keys) > 0 {
		got += " on " + strings.Join(d.Keys, ", ")
	}
	if d.Expected == "" {
		return fmt.Sprintf("%s (%s)", d.Name, got)
	}
	return fmt.Sprintf("%s (expected %s, got %s)", d.Name, d.Expected, got)
}

// comparison is how an answer meets an expectation.
type comparison struct {
	missing, unexpected []EntryDiff
	// unknown names the listed entries the answer does not hold.
	unknown []string
	// deciding are the statements that decided the answers the
	// expectation checks: every answer for MatchExact, the listed
	// entries' for MatchAtLeast.
	deciding             []StatementRef
	allowed, conditional int
}

// compare checks an answer against an expectation.
func compare(e *Expected, got Answers) comparison {
	want := map[string]string{}
	for _, n := range e.Allowed {
		want[n] = VerdictAllowed
	}
	for _, n := range e.Conditional {
		want[n] = VerdictConditional
	}
	var c comparison
	seen := map[string]bool{}
	for _, a := range got.List {
		seen[a.Name] = true
		switch a.Verdict {
		case VerdictAllowed:
			c.allowed++
		case VerdictConditional:
			c.conditional++
		}
		w, listed := want[a.Name]
		if listed || e.match() == MatchExact {
			c.deciding = append(c.deciding, a.Deciding...)
		}
		diff := EntryDiff{Name: a.Name, Got: a.Verdict, Keys: a.Keys}
		switch {
		case listed && w != a.Verdict:
			diff.Expected = w
			c.missing = append(c.missing, diff)
		case !listed && e.match() == MatchExact && (a.Verdict == VerdictAllowed || a.Verdict == VerdictConditional):
			c.unexpected = append(c.unexpected, diff)
		}
	}
	for _, n := range slices.Concat(e.Allowed, e.Conditional) {
		if !seen[n] {
			c.unknown = append(c.unknown, n)
		}
	}
	return c
}

// checkExpected checks the lists of an expectation; valid says whether one
// entry is well formed.
func checkExpected(e *Expected, p *itemPos, valid func(string) string, fail func(pos Pos, field, format string, args ...any)) {
	if !p.has("allowed") {
		fail(p.item, "allowed", "missing (write allowed: [] when nothing is)")
	}
	switch e.Match {
	case "", MatchExact:
	case MatchAtLeast:
		if len(e.Allowed)+len(e.Conditional) == 0 {
			fail(p.field("match"), "match", "%q with no entries checks nothing; list some, or use %q", MatchAtLeast, MatchExact)
		}
	default:
		fail(p.field("match"), "match", "must be %q or %q, got %q", MatchExact, MatchAtLeast, e.Match)
	}
	listedAs := map[string]string{}
	for _, l := range []struct {
		field   string
		entries []string
	}{{"allowed", e.Allowed}, {"conditional", e.Conditional}} {
		for i, n := range l.entries {
			field := fmt.Sprintf("%s[%d]", l.field, i)
			if msg := valid(n); msg != "" {
				fail(p.field(field), field, "%s", msg)
				continue
			}
			if prev, dup := listedAs[n]; dup {
				fail(p.field(field), field, "%q is also listed as %s", n, prev)
				continue
			}
			listedAs[n] = field
		}
	}
}

// validPrincipal says what is wrong with a principal entry, "" if nothing.
func validPrincipal(s string) string {
	if !engine.IsARN(s) {
		return fmt.Sprintf("%q is not an ARN: want the ARN of a user or role of the model", s)
	}
	return ""
}

// validAction says what is wrong with an action entry, "" if nothing.
func validAction(s string) string {
	service, name, ok := strings.Cut(s, ":")
	switch {
	case !ok || service == "" || name == "":
		return fmt.Sprintf("%q is not an action: want service:Action, e.g. mobiletargeting:GetApp", s)
	case strings.ContainsAny(s, "*?"):
		return fmt.Sprintf("%q has a wildcard: list the actions one by one", s)
	}
	return ""
}

func checkWhoCan(q *WhoCan, fail func(pos Pos, field, format string, args ...any)) {
	for _, f := range []struct{ field, value string }{{"name", q.Name}, {"action", q.Action}, {"resource", q.Resource}} {
		if f.value == "" {
			fail(q.pos.field(f.field), f.field, "missing")
		}
	}
	if msg := validAction(q.Action); q.Action != "" && msg != "" {
		fail(q.pos.field("action"), "action", "%s", msg)
	}
	checkExpected(&q.Expected, &q.pos, validPrincipal, fail)
}

func checkWhatCan(q *WhatCan, fail func(pos Pos, field, format string, args ...any)) {
	for _, f := range []struct{ field, value string }{{"name", q.Name}, {"principal", q.Principal}} {
		if f.value == "" {
			fail(q.pos.field(f.field), f.field, "missing")
		}
	}
	if msg := validPrincipal(q.Principal); q.Principal != "" && msg != "" {
		fail(q.pos.field("principal"), "principal", "%s", msg)
	}
	if q.Resource != "" && q.Resource != "*" && !engine.IsARN(q.Resource) {
		fail(q.pos.field("resource"), "resource", "%q is not an ARN: want an ARN, or * for the actions without resource types", q.Resource)
	}
	checkExpected(&q.Expected, &q.pos, validAction, fail)
}
