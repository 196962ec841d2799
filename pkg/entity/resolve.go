package entity

import (
	"iter"
	"slices"
	"strings"
	"sync"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/shardmap"
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
	return s.ResolveCached(cat, nil)
}

// ResolveCached is Resolve with the documents parsed, and their
// validation findings kept, through cache (a new one when nil), so that
// resolving again a Set that changed little parses and validates only what
// changed, and unchanged documents keep their *engine.Document. One cache
// is for one catalog at a time.
func (s *Set) ResolveCached(cat *catalog.Catalog, cache *DocCache) (*Resolved, error) {
	if cache == nil {
		cache = NewDocCache()
	}
	c := newChecker(s, cat, cache)
	c.run()
	warnings, errs := c.rep.probs.split()
	if len(errs) > 0 {
		return nil, errs
	}
	res, err := s.link(cache)
	if err != nil {
		return nil, err
	}
	res.warnings = warnings
	return res, nil
}

// Resolved is a Set with its documents parsed, indexed for the lookups a
// decision needs. It is immutable and safe for concurrent use; callers
// must not modify what it returns.
type Resolved struct {
	principals shardmap.Map[principalKey, *PrincipalPolicies] // by account, kind and exact name
	resources  shardmap.Map[string, *resolvedResource]
	scps       map[string][][]*engine.Document // by account
	accounts   []string
	warnings   Problems
	cache      *DocCache // what the documents were parsed through

	// The sorted lists of ARNs, made on first use.
	principalOnce, resourceOnce sync.Once
	principalARNs, resourceARNs []string
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
	pp, ok := r.principals.Get(principalKey{ref.account, ref.kind, ref.name})
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
	if e, found := r.resources.Get(arn); found {
		policy, tags, ok = e.policy, e.tags, true
	}
	for p := arn; policy == nil; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
		if e, found := r.resources.Get(p); found && e.policy != nil {
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

// ListedResource returns the resource-based policy of the resource arn
// itself (nil for none, whatever its ancestors have) and its tags, and
// whether the Set lists it.
func (r *Resolved) ListedResource(arn string) (policy *engine.Document, tags map[string]string, ok bool) {
	e, ok := r.resources.Get(arn)
	if !ok {
		return nil, nil, false
	}
	return e.policy, e.tags, true
}

// Compile returns a document of the resolution compiled against cat, for
// [engine.NewPolicySet]. Each document is compiled once per catalog and
// kept, with its parse, by the [DocCache] it was parsed through, so that
// the sets of the principals that share a document share its compilation,
// and a later resolution through the same cache finds it compiled.
func (r *Resolved) Compile(cat *catalog.Catalog, doc *engine.Document) (*engine.CompiledDocument, error) {
	if r.cache == nil {
		return engine.CompileDocument(cat, doc)
	}
	return r.cache.Compile(cat, doc)
}

// EachResource calls f for every listed resource, in no particular order,
// with its own resource-based policy (nil for none, whatever its
// ancestors have) and its tags, as ListedResource returns them, until f
// returns false.
func (r *Resolved) EachResource(f func(arn string, policy *engine.Document, tags map[string]string) bool) {
	r.resources.All(func(arn string, e *resolvedResource) bool { return f(arn, e.policy, e.tags) })
}

// EachResourceUnder calls f as EachResource does for every listed
// resource under prefix, a resource ARN: those whose ARN starts with
// prefix followed by '/'. Resources are kept by their root (see
// [ResourceRoot]), so for a prefix that holds a '/' only the resources
// with its root are read; for another, all.
func (r *Resolved) EachResourceUnder(prefix string, f func(arn string, policy *engine.Document, tags map[string]string) bool) {
	visit := func(arn string, e *resolvedResource) bool {
		if len(arn) > len(prefix) && arn[len(prefix)] == '/' && strings.HasPrefix(arn, prefix) {
			return f(arn, e.policy, e.tags)
		}
		return true
	}
	if !strings.Contains(prefix, "/") {
		r.resources.All(visit)
		return
	}
	r.resources.Shard(prefix, visit)
}

// Principals returns the ARNs of every user and role, sorted.
func (r *Resolved) Principals() []string {
	r.principalOnce.Do(func() {
		r.principalARNs = make([]string, 0, r.principals.Len())
		r.principals.All(func(_ principalKey, pp *PrincipalPolicies) bool {
			r.principalARNs = append(r.principalARNs, pp.ARN)
			return true
		})
		slices.Sort(r.principalARNs)
	})
	return slices.Clone(r.principalARNs)
}

// Resources returns the ARNs of every resource, sorted.
func (r *Resolved) Resources() []string {
	r.resourceOnce.Do(func() {
		r.resourceARNs = make([]string, 0, r.resources.Len())
		r.resources.All(func(arn string, _ *resolvedResource) bool {
			r.resourceARNs = append(r.resourceARNs, arn)
			return true
		})
		slices.Sort(r.resourceARNs)
	})
	return slices.Clone(r.resourceARNs)
}

// NumPrincipals returns the number of users and roles.
func (r *Resolved) NumPrincipals() int { return r.principals.Len() }

// NumResources returns the number of resources.
func (r *Resolved) NumResources() int { return r.resources.Len() }

// Accounts returns the IDs of the declared accounts, sorted.
func (r *Resolved) Accounts() []string { return slices.Clone(r.accounts) }

// Warnings returns the warnings Validate would return.
func (r *Resolved) Warnings() Problems { return slices.Clone(r.warnings) }

// ChangedPrincipals yields, in no particular order, the principals whose
// policies differ between prev and r: added or changed ones with their
// policies in r, removed ones with their ARN in prev and nil policies.
// With prev nil it yields every principal of r. A principal is a name in an
// account: one whose path changed yields once, with its ARN in r. When r
// was linked from
// prev by a [Linker] (directly or after several Links), only the parts
// that changed are read; otherwise r and prev are compared in full.
//
// A principal linked again yields even when its policies came out the
// same; compare the documents by pointer to find out.
func (r *Resolved) ChangedPrincipals(prev *Resolved) iter.Seq2[string, *PrincipalPolicies] {
	return func(yield func(string, *PrincipalPolicies) bool) {
		var pm *shardmap.Map[principalKey, *PrincipalPolicies]
		if prev != nil {
			pm = &prev.principals
		}
		shardmap.DiffKeys(&r.principals, pm, func(k principalKey) bool {
			if pp, ok := r.principals.Get(k); ok {
				return yield(pp.ARN, pp)
			}
			old, _ := pm.Get(k)
			return yield(old.ARN, nil)
		})
	}
}

// ChangedResources yields, in no particular order, the ARNs of the
// resources added, removed or linked again between prev and r (every
// resource of r when prev is nil), as ChangedPrincipals does; look them up
// with ListedResource.
func (r *Resolved) ChangedResources(prev *Resolved) iter.Seq[string] {
	return func(yield func(string) bool) {
		var pm *shardmap.Map[string, *resolvedResource]
		if prev != nil {
			pm = &prev.resources
		}
		shardmap.DiffKeys(&r.resources, pm, yield)
	}
}
