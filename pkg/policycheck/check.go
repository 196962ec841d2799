package policycheck

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// Result is the outcome of a check, as Access Analyzer names it.
type Result string

// The two results of a custom policy check.
const (
	Pass Result = "PASS"
	Fail Result = "FAIL"
)

// A Reason is one statement that makes a check fail, in the shape of
// Access Analyzer's ReasonSummary, with the statement's position.
type Reason struct {
	Description    string `json:"description"`
	StatementIndex int    `json:"statementIndex"`
	StatementID    string `json:"statementId,omitempty"`
	Line           int    `json:"line,omitempty"`
	Column         int    `json:"column,omitempty"`
	// Conditional is set when the statement has conditions: it grants the
	// access only when they hold, and the check counts it as granting.
	Conditional bool `json:"conditional,omitempty"`
}

// A Report is the answer to one check.
type Report struct {
	Result  Result   `json:"result"`
	Message string   `json:"message"`
	Reasons []Reason `json:"reasons"`
	// Notes say what the check did not decide: actions of services outside
	// the catalog, and statements whose conditions were taken at their worst.
	Notes []string `json:"notes,omitempty"`
}

// Access is what CheckAccessNotGranted must find not granted: actions
// (names or patterns), resources (ARNs or patterns), or both. With only
// actions, they must be granted on no resource; with only resources, no
// action may be granted on them.
type Access struct {
	Actions   []string `json:"actions,omitempty"`
	Resources []string `json:"resources,omitempty"`
}

// A Checker runs the checks against one catalog.
type Checker struct {
	cat *catalog.Catalog
	// The bounds of one check's work (see budget.go).
	maxCheckWork  int64
	maxQueryWords int
}

// New returns a Checker for the catalog's actions.
func New(cat *catalog.Catalog) *Checker {
	return &Checker{cat: cat, maxCheckWork: defaultMaxCheckWork, maxQueryWords: defaultMaxQueryWords}
}

// An AccessError is a problem with the Access of CheckAccessNotGranted;
// Field is its path, e.g. "access.actions[0]".
type AccessError struct {
	Field, Msg string
}

func (e *AccessError) Error() string { return e.Field + ": " + e.Msg }

// ErrPolicyType is returned for a policy type the checks do not take.
var ErrPolicyType = errors.New("policy type must be IDENTITY_POLICY or RESOURCE_POLICY")

// ParsePolicyType reads Access Analyzer's policyType values
// (IDENTITY_POLICY, RESOURCE_POLICY) and pdp's (identity, resource).
func ParsePolicyType(s string) (engine.PolicyType, error) {
	switch strings.ToUpper(s) {
	case "IDENTITY_POLICY", "IDENTITY":
		return engine.IdentityPolicy, nil
	case "RESOURCE_POLICY", "RESOURCE":
		return engine.ResourcePolicy, nil
	}
	return 0, fmt.Errorf("%w, got %q", ErrPolicyType, s)
}

func (c *Checker) parse(id string, src []byte, typ engine.PolicyType) (*engine.Document, error) {
	if typ != engine.IdentityPolicy && typ != engine.ResourcePolicy {
		return nil, fmt.Errorf("%w, got %s", ErrPolicyType, typ)
	}
	return engine.Parse(src, engine.ParseOptions{ID: id, Type: typ})
}

// CheckNoNewAccess reports whether newPolicy grants access that existing
// does not. It FAILs when the new policy might grant new access: each
// reason is an Allow statement of the new policy with an example of the
// access it adds.
//
// https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckNoNewAccess.html
//
// The work grows with the statements times the catalog's actions; ctx ends
// it early, with ctx's error.
func (c *Checker) CheckNoNewAccess(ctx context.Context, existing, newPolicy []byte, typ engine.PolicyType) (*Report, error) {
	oldDoc, err := c.parse("existing", existing, typ)
	if err != nil {
		return nil, err
	}
	newDoc, err := c.parse("new", newPolicy, typ)
	if err != nil {
		return nil, err
	}
	var notes []string
	olds := c.statements(oldDoc, typ, &notes)
	notes = notes[:0]
	news := c.statements(newDoc, typ, &notes)
	rep := &Report{Result: Pass, Reasons: []Reason{}, Notes: notes}
	bud := c.newBudget()
	for _, n := range news {
		if n.deny {
			continue
		}
		r, ok, err := c.newAccess(ctx, bud, n, news, olds)
		if err != nil {
			return nil, err
		}
		if ok {
			rep.Reasons = append(rep.Reasons, r)
		}
	}
	if len(rep.Reasons) > 0 {
		rep.Result = Fail
		rep.Message = "The modified permissions grant new access compared to your existing policy."
	} else {
		rep.Message = "The modified permissions do not grant new access compared to your existing policy."
	}
	return rep, nil
}

// newAccess looks, action by action, for access the Allow statement n of
// the new policy grants that the existing policy does not, after the new
// policy's own Deny statements.
func (c *Checker) newAccess(ctx context.Context, bud *budget, n *stmt, news, olds []*stmt) (Reason, bool, error) {
	var found []string
	var example string
	var undecided, condOnly bool
	memo := map[string]answer{}
	ov := newOverlaps()
	for _, a := range c.cat.Actions() {
		if !n.actions[a.ID] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return Reason{}, false, err
		}
		// Actions with the same resource types named by the same
		// statements ask the same question.
		key := actionKey(a, news, olds)
		ans, seen := memo[key]
		if !seen {
			q, vs := &query{}, &vars{}
			q.e = c.newAccessExpr(ctx, bud, q, vs, a, n, news, olds, ov, &ans.gated)
			ans.w, ans.ok, ans.decided = q.witness(ctx, bud, vs)
			if bud.err != nil {
				return Reason{}, false, bud.err
			}
			memo[key] = ans
		}
		w, ok, decided, gated := ans.w, ans.ok, ans.decided, ans.gated
		switch {
		case !decided:
			undecided = true
			found = append(found, a.FullName)
		case ok:
			found = append(found, a.FullName)
			condOnly = condOnly || gated
			if example == "" {
				example = fmt.Sprintf("%s on %s", a.FullName, w)
			}
		}
	}
	if len(found) == 0 {
		return Reason{}, false, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s grants access the existing policy does not", stmtName(n.src))
	if example != "" {
		fmt.Fprintf(&b, ", for example %s", example)
	}
	if len(found) > 1 {
		fmt.Fprintf(&b, " (%d actions: %s)", len(found), listText(found))
	}
	if condOnly {
		b.WriteString("; the existing policy grants some of it only under conditions this statement does not carry")
	}
	if undecided {
		b.WriteString("; some resource patterns were too complex to compare, which counts as new access")
	}
	return reasonFor(n, b.String()), true, nil
}

// An answer is the outcome of one query, kept for actions that ask the
// same one.
type answer struct {
	w                  string
	ok, decided, gated bool
}

// actionKey identifies the question a check asks about an action: its
// resource types and which statements name it.
func actionKey(a *catalog.Action, lists ...[]*stmt) string {
	var b strings.Builder
	b.WriteString(typesKey(a))
	b.WriteByte('|')
	for _, l := range lists {
		for _, s := range l {
			if s.actions[a.ID] {
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		}
		b.WriteByte('|')
	}
	return b.String()
}

// newAccessExpr builds, for one action, the ARNs that n grants, minus the
// new policy's unconditional denies, that the existing policy does not
// grant for certain. gated is set when an existing Allow names the action
// but was left out for its conditions.
func (c *Checker) newAccessExpr(ctx context.Context, bud *budget, q *query, vs *vars, a *catalog.Action, n *stmt, news, olds []*stmt,
	ov *overlaps, gated *bool) *expr {
	parts := []*expr{universe(q, a), n.resourceExpr(q, varSymbol, vs)}
	var denies []*expr
	for _, d := range news {
		if d.deny && d.actions[a.ID] && len(d.conds) == 0 && narrowPrincipals(d).covers(n.principals) && ov.meet(ctx, bud, n, d) {
			denies = append(denies, d.resourceExpr(q, varSymbol, vs))
		}
	}
	parts = append(parts, notExpr(orExpr(denies...)))

	var grants, revoked []*expr
	for _, e := range olds {
		if !e.actions[a.ID] || !ov.meet(ctx, bud, n, e) {
			continue
		}
		if e.deny {
			revoked = append(revoked, c.existingDenyExpr(q, vs, a, e, news))
			continue
		}
		if !condsWithin(e.conds, n.conds) || !narrowPrincipals(e).covers(n.principals) {
			*gated = *gated || len(e.conds) > 0
			continue
		}
		grants = append(grants, e.resourceExpr(q, varSymbol, vs))
	}
	parts = append(parts, orExpr(notExpr(orExpr(grants...)), orExpr(revoked...)))
	return andExpr(parts...)
}

// existingDenyExpr is what an existing Deny e takes away for certain: its
// ARNs, unless a Deny of the new policy covers them in every case e does
// (its conditions are among e's). A Deny with conditions may apply at any
// time, so it is taken to apply always.
func (c *Checker) existingDenyExpr(q *query, vs *vars, a *catalog.Action, e *stmt, news []*stmt) *expr {
	var kept []*expr
	for _, d := range news {
		if d.deny && d.actions[a.ID] && condsWithin(d.conds, e.conds) && narrowPrincipals(d).covers(e.principals) {
			kept = append(kept, d.resourceExpr(q, varSymbol, vs))
		}
	}
	return andExpr(e.resourceExpr(q, varSymbol, vs), notExpr(orExpr(kept...)))
}

// CheckAccessNotGranted reports whether policy grants any of the access.
// It FAILs when the policy might grant it: each reason is an Allow
// statement that grants some of it, with an example.
//
// https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckAccessNotGranted.html
//
// ctx ends the work early, as for CheckNoNewAccess.
func (c *Checker) CheckAccessNotGranted(ctx context.Context, policy []byte, access Access, typ engine.PolicyType) (*Report, error) {
	doc, err := c.parse("policy", policy, typ)
	if err != nil {
		return nil, err
	}
	want, notes, err := c.accessActions(access)
	if err != nil {
		return nil, err
	}
	stmts := c.statements(doc, typ, &notes)
	rep := &Report{Result: Pass, Reasons: []Reason{}, Notes: notes}
	bud := c.newBudget()
	for _, s := range stmts {
		if s.deny {
			continue
		}
		r, ok, err := c.grants(ctx, bud, s, stmts, want, access.Resources)
		if err != nil {
			return nil, err
		}
		if ok {
			rep.Reasons = append(rep.Reasons, r)
		}
	}
	if len(rep.Reasons) > 0 {
		rep.Result = Fail
		rep.Message = "The policy document grants access to perform one or more of the listed actions or resources."
	} else {
		rep.Message = "The policy document does not grant access to perform the listed actions or resources."
	}
	return rep, nil
}

// accessActions resolves the actions of an Access against the catalog:
// every action when none is given.
func (c *Checker) accessActions(access Access) (want []bool, notes []string, err error) {
	if len(access.Actions) == 0 && len(access.Resources) == 0 {
		return nil, nil, &AccessError{Field: "access", Msg: "give at least one action or resource"}
	}
	want = make([]bool, c.cat.NumActions())
	if len(access.Actions) == 0 {
		for i := range want {
			want[i] = true
		}
		return want, nil, nil
	}
	for i, p := range access.Actions {
		prefix, _, _ := strings.Cut(p, ":")
		if _, known := c.cat.Service(prefix); !known {
			notes = append(notes, fmt.Sprintf("access action %q is outside pdp's domain (%s) and is not checked", p, c.servicesText()))
			continue
		}
		matched := c.cat.MatchActions(p)
		if len(matched) == 0 {
			msg := fmt.Sprintf("unknown action %q", p)
			if s, ok := c.cat.SuggestAction(p); ok {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return nil, nil, &AccessError{Field: fmt.Sprintf("access.actions[%d]", i), Msg: msg}
		}
		for _, a := range matched {
			want[a.ID] = true
		}
	}
	return want, notes, nil
}

// grants looks for access of the Access that the Allow statement s grants
// and no unconditional Deny of its policy removes.
func (c *Checker) grants(ctx context.Context, bud *budget, s *stmt, stmts []*stmt, want []bool, resources []string) (Reason, bool, error) {
	var found []string
	var example string
	var undecided bool
	memo := map[string]answer{}
	for _, a := range c.cat.Actions() {
		if !s.actions[a.ID] || !want[a.ID] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return Reason{}, false, err
		}
		key := actionKey(a, stmts)
		ans, seen := memo[key]
		if !seen {
			ans.w, ans.ok, ans.decided = c.grantQuery(ctx, bud, a, s, stmts, resources)
			if bud.err != nil {
				return Reason{}, false, bud.err
			}
			memo[key] = ans
		}
		w, ok, decided := ans.w, ans.ok, ans.decided
		if !ok && decided {
			continue
		}
		undecided = undecided || !decided
		found = append(found, a.FullName)
		if example == "" && ok {
			example = fmt.Sprintf("%s on %s", a.FullName, w)
		}
	}
	if len(found) == 0 {
		return Reason{}, false, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s grants the access", stmtName(s.src))
	if example != "" {
		fmt.Fprintf(&b, ", for example %s", example)
	}
	if len(found) > 1 {
		fmt.Fprintf(&b, " (%d actions: %s)", len(found), listText(found))
	}
	if undecided {
		b.WriteString("; some resource patterns were too complex to compare, which counts as granting")
	}
	return reasonFor(s, b.String()), true, nil
}

// grantQuery looks for an ARN of the access on which s grants action a and
// no unconditional Deny of the policy takes it back.
func (c *Checker) grantQuery(ctx context.Context, bud *budget, a *catalog.Action, s *stmt, stmts []*stmt, resources []string) (w string, ok, decided bool) {
	q, vs := &query{}, &vars{}
	parts := []*expr{universe(q, a), s.resourceExpr(q, varAny, vs)}
	if len(resources) > 0 {
		rs := make([]*expr, len(resources))
		for i, r := range resources {
			rs[i] = leafExpr(q.add(patternLang(r, varLiteral, vs)))
		}
		parts = append(parts, orExpr(rs...))
	}
	var denies []*expr
	for _, d := range stmts {
		if d.deny && d.actions[a.ID] && len(d.conds) == 0 && narrowPrincipals(d).covers(s.principals) {
			denies = append(denies, d.resourceExpr(q, varNone, vs))
		}
	}
	q.e = andExpr(append(parts, notExpr(orExpr(denies...)))...)
	return q.witness(ctx, bud, vs)
}

func reasonFor(s *stmt, desc string) Reason {
	r := Reason{
		Description: desc, StatementIndex: s.src.Index, StatementID: s.src.Sid,
		Line: s.src.Pos.Line, Column: s.src.Pos.Col, Conditional: len(s.conds) > 0,
	}
	if r.Conditional {
		r.Description += "; it has conditions, and access it may grant counts as granted"
	}
	return r
}

func stmtName(s *engine.Statement) string {
	n := fmt.Sprintf("Statement[%d]", s.Index)
	if s.Sid != "" {
		n += fmt.Sprintf(" (Sid %q)", s.Sid)
	}
	return n
}

// listText lists up to five names and says how many more there are.
func listText(names []string) string {
	const max = 5
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:max], ", "), len(names)-max)
}

// overlaps remembers which pairs of statements name a common ARN, so
// that a query leaves out the statements that cannot change its answer: a
// statement whose resources miss those of the statement under test adds
// nothing to it, and only slows the search.
type overlaps struct {
	known map[[2]*stmt]bool
}

func newOverlaps() *overlaps { return &overlaps{known: map[[2]*stmt]bool{}} }

// meet reports whether x and y may both apply to one ARN (of any action:
// the pair is tested once); variables count as anything, and an undecided
// search as a yes.
func (o *overlaps) meet(ctx context.Context, bud *budget, x, y *stmt) bool {
	k := [2]*stmt{x, y}
	if v, ok := o.known[k]; ok {
		return v
	}
	q, vs := &query{}, &vars{}
	q.e = andExpr(x.resourceExpr(q, varAny, vs), y.resourceExpr(q, varAny, vs))
	_, found, decided := q.witness(ctx, bud, vs)
	v := found || !decided
	o.known[k] = v
	return v
}

// typesKey names the resource types of an action and whether each is
// required: what universe builds from.
func typesKey(a *catalog.Action) string {
	var b strings.Builder
	for _, r := range a.ResourceTypes {
		fmt.Fprintf(&b, "%s/%s/%t,", r.Type.Service.Prefix, r.Type.Name, r.Required)
	}
	return b.String()
}
