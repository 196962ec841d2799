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
	// was created.
	Session *PolicySet
	// SCPs holds one set per level of the organization (root, OUs,
	// account); every level must allow the request.
	SCPs []*PolicySet
}

// evalReq is a request prepared once per decision.
type evalReq struct {
	actionID    int // -1 when the catalog does not know the action
	action      string
	resource    string
	ctx         *Context
	principal   principalInfo
	hasBoundary bool
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
		principal:   parsePrincipal(r.Principal),
		hasBoundary: p.Boundary != nil,
	}
	if cat := anyCatalog(p); cat != nil {
		if a, ok := cat.Action(r.Action); ok {
			q.actionID = a.ID
		}
	}
	crossAccount := r.resourceAccount(q.principal.account) != q.principal.account
	session := p.Session

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
	} else if !ps.scanList(ps.every, q, tr, &res) {
		ps.scanList(ps.index.lookup(q.actionID), q, tr, &res)
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
			if st := &d.statements[i]; st.matchesAction(q.action) && ps.scanOne(st, q, tr, res) {
				return
			}
		}
	}
}

// scanList evaluates the listed statements into res and reports whether it
// may stop (a Deny was found and nothing is being traced).
func (ps *PolicySet) scanList(list []*statement, q *evalReq, tr *trace, res *setResult) bool {
	for _, st := range list {
		if ps.scanOne(st, q, tr, res) {
			return true
		}
	}
	return false
}

// scanOne evaluates one statement whose action matched into res, and
// reports whether the scan may stop.
func (ps *PolicySet) scanOne(st *statement, q *evalReq, tr *trace, res *setResult) bool {
	if st.effect == EffectAllow && res.allow && tr == nil && (ps.typ != ResourcePolicy || res.grant == grantDirect) {
		return false // nothing more to learn from another Allow
	}
	g, ok := st.applies(q, tr)
	if !ok {
		return false
	}
	if tr != nil {
		tr.matched(ps, st)
	}
	if st.effect == EffectDeny {
		res.deny = true
		return tr == nil
	}
	res.allow = true
	res.grant = max(res.grant, g)
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

// applies checks principal, resource and conditions of a statement whose
// action already matched, returning how it names the caller.
func (st *statement) applies(q *evalReq, tr *trace) (grantKind, bool) {
	g := grantDirect
	if st.principal != nil {
		g = st.principal.match(&q.principal)
		if st.notPrinc {
			// A Deny with NotPrincipal applies to every principal that has a
			// permissions boundary, whatever it lists.
			// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
			if g != grantNone && !(st.effect == EffectDeny && q.hasBoundary) {
				return grantNone, false
			}
			g = grantDirect
		} else if g == grantNone {
			return grantNone, false
		}
	}
	if !st.matchesResource(q) {
		return grantNone, false
	}
	for i := range st.conds {
		if !st.conds[i].eval(q.ctx, tr) {
			return grantNone, false
		}
	}
	return g, true
}

func (st *statement) matchesResource(q *evalReq) bool {
	for i := range st.resources {
		if st.resources[i].match(q.resource, q.ctx, false) {
			return !st.notResource
		}
	}
	return st.notResource
}
