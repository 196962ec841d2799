package entity

import (
	"maps"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// PrincipalPolicies are the documents that apply to one principal.
type PrincipalPolicies struct {
	ARN     string // the IAM ARN of the user or role, with its path
	Kind    string // "User" or "Role"
	Account string
	// Identity lists the identity-based policies in a fixed order: the
	// principal's managed policies as listed, its inline policies by name,
	// then for each of a user's groups as listed, the group's managed
	// policies as listed and its inline policies by name. All have
	// engine.IdentityPolicy type.
	Identity []*engine.Document
	// Boundary is the permissions boundary, of engine.BoundaryPolicy type,
	// or nil for none.
	Boundary *engine.Document
	// Tags are the principal's tags, the values of aws:PrincipalTag/KEY.
	Tags map[string]string
}

// Principal kinds.
const (
	KindUser = "User"
	KindRole = "Role"
)

// Resolve validates the Set as Validate does and, when there is no error,
// returns its documents parsed (each once) and indexed for lookups. The
// error is a [Problems]; warnings are kept in [Resolved.Warnings].
//
// Document IDs, which explanations show, say where a policy comes from:
//
//	managed:NAME                  a managed policy attached to the principal
//	inline:user/NAME:POLICY       an inline policy of a user (inline:role/… of a role)
//	group:GROUP:managed:NAME      a managed policy attached to one of a user's groups
//	group:GROUP:inline:POLICY     an inline policy of one of a user's groups
//	boundary:NAME                 the managed policy NAME used as a permissions boundary
//	scp:NAME                      a service control policy
//	resource:ARN                  the resource-based policy of the resource ARN
func (s *Set) Resolve(cat *catalog.Catalog) (*Resolved, error) {
	c := newChecker(s, cat)
	c.run()
	warnings, errs := c.rep.probs.split()
	if len(errs) > 0 {
		return nil, errs
	}
	res := c.link()
	res.warnings = warnings
	return res, nil
}

// Resolved is a validated Set with its documents parsed, indexed for the
// lookups a decision needs. It is immutable and safe for concurrent use;
// callers must not modify what it returns.
type Resolved struct {
	principals    map[principalKey]*PrincipalPolicies // by account, kind and exact name
	principalARNs []string
	resources     map[string]*resolvedResource
	resourceARNs  []string
	scps          map[string][][]*engine.Document // by account
	accounts      []string
	warnings      Problems
}

type resolvedResource struct {
	policy *engine.Document
	tags   map[string]string
}

// Principal returns the policies of the user or role that arn names: an IAM
// user ARN (arn:aws:iam::ACCOUNT:user/PATH/NAME), an IAM role ARN, or an
// assumed-role session ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION),
// which resolves to its role. Names match exactly and paths are ignored: IAM
// names are unique in an account whatever their path, and session ARNs
// carry no path.
func (r *Resolved) Principal(arn string) (*PrincipalPolicies, bool) {
	ref, ok := parsePrincipalRef(arn)
	if !ok {
		return nil, false
	}
	pp, ok := r.principals[principalKey{ref.account, ref.kind, ref.name}]
	if !ok || !strings.HasPrefix(pp.ARN, "arn:"+ref.partition+":") {
		return nil, false
	}
	return pp, true
}

// Resource returns the resource-based policy (nil for none) and the tags
// (the values of aws:ResourceTag/KEY) of the resource arn, and whether the
// Set knows anything of it.
//
// A resource without a policy of its own is governed by the policy of its
// nearest ancestor that has one: the resource whose ARN is arn cut at a
// '/', as an app's policy governs its campaigns, segments and journeys
// (arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/campaigns/c1
// is governed by the policy of …:apps/growth-app). Tags are never inherited.
func (r *Resolved) Resource(arn string) (policy *engine.Document, tags map[string]string, ok bool) {
	if e, found := r.resources[arn]; found {
		policy, tags, ok = e.policy, e.tags, true
	}
	for p := arn; policy == nil; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
		if e, found := r.resources[p]; found && e.policy != nil {
			policy, ok = e.policy, true
		}
	}
	return policy, tags, ok
}

// SCPChain returns the SCPs that apply to principals of account, one list
// per level of its organization from the root down to the account, and
// whether the Set declares the account. A declared account in no
// organization has no levels.
func (r *Resolved) SCPChain(account string) ([][]*engine.Document, bool) {
	chain, ok := r.scps[account]
	return chain, ok
}

// Principals returns the ARNs of every user and role, sorted.
func (r *Resolved) Principals() []string { return slices.Clone(r.principalARNs) }

// Resources returns the ARNs of every resource, sorted.
func (r *Resolved) Resources() []string { return slices.Clone(r.resourceARNs) }

// Accounts returns the IDs of the declared accounts, sorted.
func (r *Resolved) Accounts() []string { return slices.Clone(r.accounts) }

// Warnings returns the warnings Validate would return.
func (r *Resolved) Warnings() Problems { return slices.Clone(r.warnings) }

// link builds the Resolved of a Set that has no errors.
func (c *checker) link() *Resolved {
	res := &Resolved{
		principals: make(map[principalKey]*PrincipalPolicies, len(c.s.Users)+len(c.s.Roles)),
		resources:  make(map[string]*resolvedResource, len(c.s.Resources)),
		scps:       make(map[string][][]*engine.Document, len(c.s.Accounts)),
	}
	l := &linker{c: c, derived: make(map[string]*engine.Document)}
	for _, a := range c.s.Accounts {
		var chain [][]*engine.Document
		for _, level := range a.SCPs {
			docs := make([]*engine.Document, len(level))
			for j, name := range level {
				docs[j] = c.scps[name]
			}
			chain = append(chain, docs)
		}
		res.scps[a.ID] = chain
		res.accounts = append(res.accounts, a.ID)
	}
	for i := range c.s.Users {
		u := &c.s.Users[i]
		a, _ := parseIAMARN(u.ARN, "user")
		pp := l.principal(KindUser, a, u.ARN, u.ManagedPolicies, c.userInline[i], u.PermissionsBoundary, u.Tags)
		for _, name := range u.Groups {
			pp.Identity = append(pp.Identity, l.group(c.groups[groupKey{a.account, name}])...)
		}
		res.principals[principalKey{a.account, a.kind, a.name}] = pp
		res.principalARNs = append(res.principalARNs, u.ARN)
	}
	for i := range c.s.Roles {
		ro := &c.s.Roles[i]
		a, _ := parseIAMARN(ro.ARN, "role")
		pp := l.principal(KindRole, a, ro.ARN, ro.ManagedPolicies, c.roleInline[i], ro.PermissionsBoundary, ro.Tags)
		res.principals[principalKey{a.account, a.kind, a.name}] = pp
		res.principalARNs = append(res.principalARNs, ro.ARN)
	}
	for i, rs := range c.s.Resources {
		res.resources[rs.ARN] = &resolvedResource{policy: c.resourcePolicy[i], tags: maps.Clone(rs.Tags)}
		res.resourceARNs = append(res.resourceARNs, rs.ARN)
	}
	slices.Sort(res.principalARNs)
	slices.Sort(res.resourceARNs)
	slices.Sort(res.accounts)
	return res
}

// linker assembles the documents of principals.
type linker struct {
	c *checker
	// derived holds the documents that reuse a managed policy's parse
	// under another ID or type, made once each.
	derived map[string]*engine.Document
}

// as returns doc under another ID and type: a boundary is a managed policy
// with the same grammar as an identity policy, so its parse is shared.
func (l *linker) as(doc *engine.Document, id string, typ engine.PolicyType) *engine.Document {
	if d, ok := l.derived[id]; ok {
		return d
	}
	d := *doc
	d.ID, d.Type = id, typ
	l.derived[id] = &d
	return &d
}

func (l *linker) principal(kind string, a iamARN, arn string, managed []string, inline []*engine.Document,
	boundary string, tags map[string]string) *PrincipalPolicies {
	pp := &PrincipalPolicies{ARN: arn, Kind: kind, Account: a.account, Tags: maps.Clone(tags)}
	for _, name := range managed {
		pp.Identity = append(pp.Identity, l.c.managed[name].doc)
	}
	pp.Identity = append(pp.Identity, inline...)
	if boundary != "" {
		pp.Boundary = l.as(l.c.managed[boundary].doc, "boundary:"+boundary, engine.BoundaryPolicy)
	}
	return pp
}

// group returns the identity documents a user gets from a group.
func (l *linker) group(e *groupEntry) []*engine.Document {
	var out []*engine.Document
	for _, name := range e.g.ManagedPolicies {
		out = append(out, l.as(l.c.managed[name].doc, "group:"+e.g.Name+":managed:"+name, engine.IdentityPolicy))
	}
	return append(out, e.inline...)
}
