package engine

import "slices"

// Partial evaluation decides a request whose context is only partly known:
// condition keys the caller leaves open may take any value, or be absent,
// so a condition on one is neither true nor false but unknown. Conditions,
// statements and the evaluation logic are computed in Kleene's
// three-valued logic, which is sound: a True or False outcome holds for
// every value of the open keys. An Unknown outcome may, rarely, be
// constant too (two conditions on one key that together always hold);
// callers who need certainty look for witnesses among concrete contexts.

// Tri is a truth value of three-valued logic.
type Tri uint8

// The three truth values.
const (
	False Tri = iota
	True
	Unknown
)

// String returns "false", "true" or "unknown".
func (t Tri) String() string {
	switch t {
	case True:
		return "true"
	case Unknown:
		return "unknown"
	}
	return "false"
}

func triAnd(a, b Tri) Tri {
	switch {
	case a == False || b == False:
		return False
	case a == True && b == True:
		return True
	}
	return Unknown
}

func triOr(a, b Tri) Tri {
	switch {
	case a == True || b == True:
		return True
	case a == False && b == False:
		return False
	}
	return Unknown
}

func triNot(a Tri) Tri {
	switch a {
	case True:
		return False
	case False:
		return True
	}
	return Unknown
}

// OpenKeys reports whether a condition key, given in lower case, is open:
// when the request context lacks it, the request may still carry any value
// of it. Keys the context has are never open.
type OpenKeys func(lowerKey string) bool

// A ConditionTerm is one condition of a policy, as written.
type ConditionTerm struct {
	Operator string // "ForAnyValue:StringLikeIfExists"
	Key      string
	Values   []string
}

// A PartialStatement is a statement that applies to a request for some or
// all values of the open keys.
type PartialStatement struct {
	MatchedStatement
	// Outcome is True when the statement applies whatever the open keys
	// are, Unknown when it depends on them.
	Outcome Tri
	// Open lists the statement's conditions on open keys, which decide
	// whether it applies; empty when Outcome is True.
	Open []ConditionTerm
}

// A PartialResult is the outcome of a partial evaluation.
type PartialResult struct {
	// Allowed says whether the request is allowed: True for every value of
	// the open keys, False for none, Unknown when it depends on them.
	Allowed Tri
	// Denied says whether a Deny statement applies.
	Denied Tri
	// Statements lists the statements that apply or may apply, in
	// evaluation order.
	Statements []PartialStatement
}

// partialSet is what one policy set says about a request, three-valued.
type partialSet struct {
	allow, deny           Tri
	direct, role, account Tri // resource policies: an Allow naming the caller directly, its role, or its account
}

// EvaluatePartial decides a request as Evaluate does, with the condition
// keys that open reports, and r.Context lacks, left open. With open nil it
// agrees with Evaluate: Allowed is True exactly when Evaluate allows.
func EvaluatePartial(p *Policies, r *Request, open OpenKeys) PartialResult {
	var out PartialResult
	out.Allowed, out.Denied = evaluatePartial(p, r, open, &out.Statements)
	return out
}

// PartialVerdict decides like EvaluatePartial without listing statements;
// it allocates nothing.
func PartialVerdict(p *Policies, r *Request, open OpenKeys) (allowed, denied Tri) {
	return evaluatePartial(p, r, open, nil)
}

// evaluatePartial appends the statements that may apply to stmts, unless
// it is nil.
func evaluatePartial(p *Policies, r *Request, open OpenKeys, stmts *[]PartialStatement) (allowed, denied Tri) {
	q := evalReq{
		actionID:    -1,
		action:      r.Action,
		resource:    r.Resource,
		ctx:         r.Context,
		account:     arnAccount(r.Principal),
		principal:   principalInfo{arn: r.Principal},
		hasBoundary: p.Boundary != nil,
	}
	if cat := anyCatalog(p); cat != nil {
		if a, ok := cat.Action(r.Action); ok {
			q.actionID = a.ID
		}
	}
	crossAccount := r.resourceAccount(q.account) != q.account
	deny, scpAllow := False, True
	for level, scp := range p.SCPs {
		res := scp.scanPartial(&q, open, level, stmts)
		deny = triOr(deny, res.deny)
		scpAllow = triAnd(scpAllow, res.allow)
	}
	id := p.Identity.scanPartial(&q, open, 0, stmts)
	bnd := p.Boundary.scanPartial(&q, open, 0, stmts)
	session := p.sessionOf(&q)
	ses := session.scanPartial(&q, open, 0, stmts)
	rp := p.Resource.scanPartial(&q, open, 0, stmts)
	deny = triOr(deny, triOr(triOr(id.deny, bnd.deny), triOr(ses.deny, rp.deny)))
	boundaryOK, sessionOK := True, True
	if p.Boundary != nil {
		boundaryOK = bnd.allow
	}
	if session != nil {
		sessionOK = ses.allow
	}
	identityOK := triAnd(id.allow, triAnd(boundaryOK, sessionOK))
	var grant Tri
	if crossAccount {
		grant = triAnd(identityOK, triOr(rp.direct, triOr(rp.role, rp.account)))
	} else {
		grant = triOr(identityOK, triOr(rp.direct, triAnd(rp.role, triAnd(boundaryOK, sessionOK))))
	}
	return triAnd(triNot(deny), triAnd(scpAllow, grant)), deny
}

// scanPartial evaluates, three-valued, the statements of the set that
// cover the request's action, appending those that may apply to stmts
// unless it is nil. A nil set yields nothing.
func (ps *PolicySet) scanPartial(q *evalReq, open OpenKeys, level int, stmts *[]PartialStatement) partialSet {
	res := partialSet{}
	if ps == nil {
		return res
	}
	visit := func(st *statement) {
		g := grantDirect
		if st.principal != nil {
			var ok bool
			if g, ok = st.matchesPrincipal(q); !ok {
				return
			}
		}
		if rs := st.resources; !(len(rs) == 1 && rs[0].matchAll && !st.notResource) && !st.matchesResource(q) {
			return
		}
		outcome := st.condsPartial(q.ctx, open, nil)
		if outcome == False {
			return
		}
		if stmts != nil {
			e := PartialStatement{MatchedStatement: MatchedStatement{Type: ps.typ, Level: level, PolicyID: st.policy,
				Sid: st.sid, Index: int(st.index), Effect: st.effect}, Outcome: outcome}
			st.condsPartial(q.ctx, open, &e.Open)
			*stmts = append(*stmts, e)
		}
		if st.effect == EffectDeny {
			res.deny = triOr(res.deny, outcome)
			return
		}
		res.allow = triOr(res.allow, outcome)
		switch g {
		case grantDirect:
			res.direct = triOr(res.direct, outcome)
		case grantRole:
			res.role = triOr(res.role, outcome)
		case grantAccount:
			res.account = triOr(res.account, outcome)
		}
	}
	if q.actionID < 0 {
		for _, d := range ps.docs {
			for i := range d.statements {
				if st := &d.statements[i]; st.matchesAction(q.action) {
					visit(st)
				}
			}
		}
		return res
	}
	for _, st := range ps.every {
		visit(st)
	}
	for _, st := range ps.index.lookup(q.actionID) {
		visit(st)
	}
	return res
}

// condsPartial decides a statement's conditions three-valued and, when
// terms is not nil, lists those on open keys there.
func (st *statement) condsPartial(ctx *Context, open OpenKeys, terms *[]ConditionTerm) Tri {
	outcome := True
	var memo typedMemo
	for i := range st.conds {
		c := &st.conds[i]
		if open != nil && ctx.lookup(c.key.lower, c.key.hash) == nil && open(c.key.lower) {
			outcome = Unknown
			if terms != nil {
				*terms = append(*terms, c.term())
			}
			continue
		}
		if !c.eval(ctx, &memo, nil) {
			return False
		}
	}
	return outcome
}

// term returns the condition as written.
func (c *cond) term() ConditionTerm {
	op := c.op.name
	if c.op.ifExists {
		op += "IfExists"
	}
	switch c.op.set {
	case setForAll:
		op = "ForAllValues:" + op
	case setForAny:
		op = "ForAnyValue:" + op
	}
	t := ConditionTerm{Operator: op, Key: c.key.name, Values: make([]string, len(c.values))}
	for i := range c.values {
		t.Values[i] = c.values[i].text
	}
	return t
}

// A StatementInfo describes one statement of a set: what it grants or
// denies, on which resources, under which conditions.
type StatementInfo struct {
	MatchedStatement
	Resources    []string // the Resource (or NotResource) patterns as written
	NotResource  bool
	HasPrincipal bool // the statement has a Principal or NotPrincipal element
	Conditions   []ConditionTerm
}

// StatementsFor lists the statements of the set whose Action (or
// NotAction) covers action, in evaluation order; nil for a nil set.
func (ps *PolicySet) StatementsFor(action string) []StatementInfo {
	if ps == nil {
		return nil
	}
	var out []StatementInfo
	for _, d := range ps.docs {
		for i := range d.statements {
			st := &d.statements[i]
			if !st.matchesAction(action) {
				continue
			}
			si := StatementInfo{
				MatchedStatement: MatchedStatement{Type: ps.typ, PolicyID: st.policy, Sid: st.sid,
					Index: int(st.index), Effect: st.effect},
				NotResource: st.notResource, HasPrincipal: st.principal != nil,
			}
			si.Resources = slices.Clone(st.resourceSrc)
			for j := range st.conds {
				si.Conditions = append(si.Conditions, st.conds[j].term())
			}
			out = append(out, si)
		}
	}
	return out
}

// Documents returns the compiled documents of the set, in compile order.
func (ps *PolicySet) Documents() []*CompiledDocument {
	if ps == nil {
		return nil
	}
	return ps.docs
}

// Actions returns the IDs of the catalog actions some statement of the
// document covers, sorted, or nil and true when one covers them all.
func (cd *CompiledDocument) Actions() (ids []int32, all bool) {
	seen := make(map[int32]bool)
	for i := range cd.statements {
		if cd.statements[i].coversAll {
			return nil, true
		}
		for _, id := range cd.statements[i].covers {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids, false
}

// Covers reports whether some statement of the set covers action: when
// none does, the set neither allows nor denies it. A nil set covers
// nothing.
func (ps *PolicySet) Covers(action string) bool {
	if ps == nil {
		return false
	}
	if a, ok := ps.cat.Action(action); ok {
		return len(ps.every) > 0 || len(ps.index.lookup(a.ID)) > 0
	}
	for _, d := range ps.docs {
		for i := range d.statements {
			if d.statements[i].matchesAction(action) {
				return true
			}
		}
	}
	return false
}

// Reaches reports whether some statement of the document covers action
// and names resource in its Resource (or leaves it out of its
// NotResource), whatever its conditions and Principal. A statement that
// does not reach a request plays no part in deciding it. A pattern with
// policy variables, whose value depends on the request, counts as
// naming every resource.
func (cd *CompiledDocument) Reaches(action, resource string) bool {
	for i := range cd.statements {
		st := &cd.statements[i]
		if !st.matchesAction(action) {
			continue
		}
		if len(st.resources) == 0 {
			return true
		}
		named := false
		for j := range st.resources {
			p := &st.resources[j]
			if p.hasVars || p.match(resource, nil, false) {
				named = true
				break
			}
		}
		if named != st.notResource || (st.notResource && anyVars(st.resources)) {
			return true
		}
	}
	return false
}

func anyVars(ps []pattern) bool {
	for i := range ps {
		if ps[i].hasVars {
			return true
		}
	}
	return false
}
