package engine

import "github.com/pdp-dev/pdp/pkg/catalog"

// Decision is the answer to a Request.
type Decision uint8

// The three outcomes of the AWS evaluation logic.
const (
	ImplicitDeny Decision = iota // nothing allows the request
	Allow                        // allowed, and nothing denies it
	ExplicitDeny                 // a Deny statement applies
)

// String returns "Allow", "ExplicitDeny" or "ImplicitDeny".
func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

// Policies are the compiled policies that govern one request. A nil set
// means the policy type does not apply: no boundary, no session policy, no
// resource policy. An empty but non-nil Boundary or Session set allows
// nothing.
type Policies struct {
	Identity *PolicySet
	Resource *PolicySet
	Boundary *PolicySet
	// Session holds the session policies passed when the caller's session
	// was created. They apply to a role or role-session caller; an IAM user
	// has no session, and they are ignored for one.
	Session *PolicySet
	// SCPs holds one set per level of the organization (root, OUs,
	// account); every level must allow the request.
	SCPs []*PolicySet
}

// evalReq is a request prepared once per decision.
type evalReq struct {
	actionID int // -1 when the catalog does not know the action
	action   string
	resource string
	ctx      *Context
	account  string // the principal's account
	// principal is the principal ARN taken apart, which only statements
	// with a Principal element need: parsed on first use.
	principal       principalInfo
	principalParsed bool
	hasBoundary     bool
	// typed holds the request values parsed for this decision.
	typed typedMemo
}

// principalInfo returns the request's principal taken apart.
func (q *evalReq) principalInfo() *principalInfo {
	if !q.principalParsed {
		q.principal, q.principalParsed = parsePrincipal(q.principal.arn), true
	}
	return &q.principal
}

// setResult is what one policy set says about a request.
type setResult struct {
	allow, deny bool
	grant       grantKind // resource policies: how the best Allow names the caller
}

// Evaluate decides a request the way AWS does. It allocates nothing and
// takes no lock.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
func Evaluate(p *Policies, r *Request) Decision {
	d, _ := evaluate(p, r, nil)
	return d
}

// EvaluateExplain decides like Evaluate and also says why: the statements
// that matched, the verdict of each policy type and the condition keys the
// request lacked. It allocates.
func EvaluateExplain(p *Policies, r *Request) (Decision, *Explanation) {
	tr := &trace{}
	d, crossAccount := evaluate(p, r, tr)
	return d, tr.explanation(d, crossAccount)
}

func evaluate(p *Policies, r *Request, tr *trace) (Decision, bool) {
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
	session := p.sessionOf(&q)

	deny := false
	scpAllow := true
	for level, scp := range p.SCPs {
		res := scp.scan(&q, tr, level)
		deny = deny || res.deny
		scpAllow = scpAllow && res.allow
		if deny && tr == nil {
			return ExplicitDeny, crossAccount
		}
	}
	id := p.Identity.scan(&q, tr, 0)
	bnd := p.Boundary.scan(&q, tr, 0)
	ses := session.scan(&q, tr, 0)
	rp := p.Resource.scan(&q, tr, 0)
	if deny || id.deny || bnd.deny || ses.deny || rp.deny {
		return ExplicitDeny, crossAccount
	}
	if !scpAllow {
		return ImplicitDeny, crossAccount
	}
	// A boundary or session policy limits what the identity side grants;
	// absent, it limits nothing.
	boundaryOK := p.Boundary == nil || bnd.allow
	sessionOK := session == nil || ses.allow
	identityOK := id.allow && boundaryOK && sessionOK
	if crossAccount {
		// Cross-account: both the identity side and the resource policy
		// must allow.
		if identityOK && rp.grant != grantNone {
			return Allow, crossAccount
		}
		return ImplicitDeny, crossAccount
	}
	switch {
	case identityOK:
		return Allow, crossAccount
	case rp.grant == grantDirect:
		return Allow, crossAccount
	case rp.grant == grantRole && boundaryOK && sessionOK:
		return Allow, crossAccount
	}
	return ImplicitDeny, crossAccount
}

// sessionOf returns the session policies that apply to the caller. They
// belong to a session ("Session policies are advanced policies that you
// pass as a parameter when you programmatically create a temporary session
// for a role or federated user"): an IAM user calling with its own
// credentials has none, so they neither limit nor deny it.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
func (p *Policies) sessionOf(q *evalReq) *PolicySet {
	if p.Session == nil || q.principalInfo().kind == principalUser {
		return nil
	}
	return p.Session
}

// anyCatalog finds the catalog the sets were compiled with.
func anyCatalog(p *Policies) *catalog.Catalog {
	for _, ps := range [...]*PolicySet{p.Identity, p.Resource, p.Boundary, p.Session} {
		if ps != nil {
			return ps.cat
		}
	}
	for _, ps := range p.SCPs {
		if ps != nil {
			return ps.cat
		}
	}
	return nil
}

// scan looks at the statements of the set that cover the request's action.
// A nil set yields nothing. Without a trace it stops at the first Deny.
func (ps *PolicySet) scan(q *evalReq, tr *trace, level int) setResult {
	var res setResult
	if ps == nil {
		return res
	}
	if tr != nil {
		tr.beginSet(ps, level)
	}
	if q.actionID < 0 {
		ps.scanAll(q, tr, &res)
	} else if list := ps.index.lookup(q.actionID); ps.res != nil && tr == nil && len(ps.every)+len(list) >= resourceIndexMin {
		// Many statements cover the action: find those whose Resource can
		// match by the pieces of the resource instead.
		ps.scanIndexed(q, &res)
	} else if len(ps.every) == 0 || !ps.scanList(ps.every, q, tr, &res) {
		if len(list) > 0 {
			ps.scanList(list, q, tr, &res)
		}
	}
	if tr != nil {
		tr.endSet(ps, level, res)
	}
	return res
}

// scanAll evaluates every statement, matching actions by pattern: the slow
// path for an action the catalog does not know.
func (ps *PolicySet) scanAll(q *evalReq, tr *trace, res *setResult) {
	for _, d := range ps.docs {
		for i := range d.statements {
			if st := &d.statements[i]; st.matchesAction(q.action) && ps.scanList([]*statement{st}, q, tr, res) {
				return
			}
		}
	}
}

// scanList evaluates the listed statements, whose actions match, into res
// and reports whether it may stop (a Deny was found and nothing is being
// traced). It is the inner loop of every decision, so the checks of a
// statement are written out here rather than called.
func (ps *PolicySet) scanList(list []*statement, q *evalReq, tr *trace, res *setResult) bool {
	for _, st := range list {
		// Once an Allow is known, another can teach nothing unless it is
		// traced or, in a resource policy, names the caller more directly.
		if res.allow && st.effect == EffectAllow && tr == nil && (ps.typ != ResourcePolicy || res.grant == grantDirect) {
			continue
		}
		g := grantDirect
		if st.principal != nil {
			var ok bool
			if g, ok = st.matchesPrincipal(q); !ok {
				continue
			}
		}
		// "Resource": "*" is decided without a call.
		if rs := st.resources; !(len(rs) == 1 && rs[0].matchAll && !st.notResource) && !st.matchesResource(q) {
			continue
		}
		if len(st.conds) > 0 && !st.condsHold(q, tr) {
			continue
		}
		if tr != nil {
			tr.matched(ps, st)
		}
		if st.effect == EffectDeny {
			res.deny = true
			if tr == nil {
				return true
			}
			continue
		}
		res.allow = true
		res.grant = max(res.grant, g)
	}
	return false
}

func (st *statement) matchesAction(action string) bool {
	for i := range st.actions {
		if st.actions[i].match(action) {
			return !st.notAction
		}
	}
	return st.notAction
}

// condsHold reports whether every condition of a statement holds.
func (st *statement) condsHold(q *evalReq, tr *trace) bool {
	for i := range st.conds {
		if !st.conds[i].eval(q.ctx, &q.typed, tr) {
			return false
		}
	}
	return true
}

// matchesPrincipal checks the Principal or NotPrincipal of a statement that
// has one.
func (st *statement) matchesPrincipal(q *evalReq) (grantKind, bool) {
	if !st.notPrinc {
		g := st.principal.match(q.principalInfo())
		return g, g != grantNone
	}
	// A Deny with NotPrincipal applies to every principal that has a
	// permissions boundary, whatever it lists.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
	if st.principal.exempts(q.principalInfo()) && !(st.effect == EffectDeny && q.hasBoundary) {
		return grantNone, false
	}
	return grantDirect, true
}

func (st *statement) matchesResource(q *evalReq) bool {
	s := q.resource
	for i := range st.resources {
		// The commonest forms are decided here, without a call: "*", a
		// literal too long or whose probe differs, a literal then '*'.
		p := &st.resources[i]
		switch {
		case p.matchAll:
			return !st.notResource
		case len(s) < len(p.text) || (p.probeAt >= 0 && load64(s, p.probeAt) != p.probe):
			continue
		case p.prefixStar:
			if s[:len(p.text)] == p.text {
				return !st.notResource
			}
			continue
		}
		if p.match(s, q.ctx, false) {
			return !st.notResource
		}
	}
	return st.notResource
}
