package access

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// A Model is a resolved policy model compiled for access questions: every
// principal with the policy sets that govern it, every listed resource
// with its governing policy, tags and resource type. It is immutable and
// safe for concurrent use.
type Model struct {
	cat        *catalog.Catalog
	revision   int64
	principals []*Principal // sorted by ARN
	byARN      map[string]*Principal
	resources  []*Resource // sorted by ARN
	byResource map[string]*Resource
	byType     map[*catalog.ResourceType][]*Resource
	resolved   *entity.Resolved
}

// A Principal is one IAM user or role of the model.
type Principal struct {
	ARN     string
	Kind    string // entity.KindUser or entity.KindRole
	Account string
	Name    string
	Tags    map[string]string
	derived [][2]string // the context keys derived from it
	// policies holds the identity set, the boundary and the SCP chain; the
	// resource policy is the request's.
	policies engine.Policies
	// docs are what the sets were compiled from: identity documents, then
	// the boundary, then each SCP level; change detection compares them.
	identity []*engine.Document
	boundary *engine.Document
	scps     [][]*engine.Document
}

// A Resource is one resource the model lists.
type Resource struct {
	ARN  string
	Type *catalog.ResourceType // nil when no catalog type fits the ARN
	Tags map[string]string
	// policy governs the resource: its own, or its nearest listed
	// ancestor's; nil for none. doc is what it was compiled from.
	policy *engine.PolicySet
	doc    *engine.Document
}

// Revision returns the revision the model was compiled at.
func (m *Model) Revision() int64 { return m.revision }

// Catalog returns the catalog the model was compiled against.
func (m *Model) Catalog() *catalog.Catalog { return m.cat }

// Principals returns the principals, sorted by ARN.
func (m *Model) Principals() []*Principal { return m.principals }

// Resources returns the listed resources, sorted by ARN.
func (m *Model) Resources() []*Resource { return m.resources }

// Principal finds a principal by its ARN (as the model spells it).
func (m *Model) Principal(arn string) (*Principal, bool) {
	p, ok := m.byARN[arn]
	return p, ok
}

// Resource finds a listed resource by its ARN.
func (m *Model) Resource(arn string) (*Resource, bool) {
	r, ok := m.byResource[arn]
	return r, ok
}

// setCache compiles each distinct list of documents into one set, shared
// by every principal (or resource) that has the same list, as the
// snapshot does.
type setCache struct {
	cat  *catalog.Catalog
	res  *entity.Resolved
	ids  map[*engine.Document]int
	sets map[string]*engine.PolicySet
}

func (c *setCache) set(docs []*engine.Document) (*engine.PolicySet, error) {
	var key strings.Builder
	for _, d := range docs {
		id, ok := c.ids[d]
		if !ok {
			id = len(c.ids)
			c.ids[d] = id
		}
		key.WriteString(strconv.Itoa(id))
		key.WriteByte(',')
	}
	if ps, ok := c.sets[key.String()]; ok {
		return ps, nil
	}
	cds := make([]*engine.CompiledDocument, len(docs))
	for i, d := range docs {
		cd, err := c.res.Compile(c.cat, d)
		if err != nil {
			return nil, err
		}
		cds[i] = cd
	}
	ps, err := engine.NewPolicySet(c.cat, cds...)
	if err != nil {
		return nil, err
	}
	c.sets[key.String()] = ps
	return ps, nil
}

// NewModel compiles a resolved model at a revision.
func NewModel(cat *catalog.Catalog, res *entity.Resolved, revision int64) (*Model, error) {
	m := &Model{cat: cat, revision: revision, resolved: res, byARN: make(map[string]*Principal, res.NumPrincipals()),
		byResource: make(map[string]*Resource, res.NumResources()), byType: make(map[*catalog.ResourceType][]*Resource)}
	sc := &setCache{cat: cat, res: res, ids: make(map[*engine.Document]int), sets: make(map[string]*engine.PolicySet)}
	scps := make(map[string][]*engine.PolicySet)
	for _, acct := range res.Accounts() {
		chain, _ := res.SCPChain(acct)
		levels := make([]*engine.PolicySet, len(chain))
		for i, docs := range chain {
			ps, err := sc.set(docs)
			if err != nil {
				return nil, fmt.Errorf("account %q: SCP level %d: %w", acct, i, err)
			}
			levels[i] = ps
		}
		scps[acct] = levels
	}
	for _, arn := range res.Principals() {
		pp, _ := res.Principal(arn)
		id, err := sc.set(pp.Identity)
		if err != nil {
			return nil, fmt.Errorf("principal %q: %w", arn, err)
		}
		p := &Principal{ARN: pp.ARN, Kind: pp.Kind, Account: pp.Account, Name: arn[strings.LastIndexByte(arn, '/')+1:],
			Tags: pp.Tags, identity: pp.Identity, boundary: pp.Boundary}
		p.policies.Identity = id
		p.derived = derivedPairs(p)
		if pp.Boundary != nil {
			if p.policies.Boundary, err = sc.set([]*engine.Document{pp.Boundary}); err != nil {
				return nil, fmt.Errorf("principal %q: boundary: %w", arn, err)
			}
		}
		p.policies.SCPs = scps[pp.Account]
		p.scps, _ = res.SCPChain(pp.Account)
		m.principals = append(m.principals, p)
		m.byARN[p.ARN] = p
	}
	for _, arn := range res.Resources() {
		doc, tags, _ := res.Resource(arn)
		r := &Resource{ARN: arn, Tags: tags, doc: doc, Type: resourceType(cat, arn)}
		if doc != nil {
			ps, err := sc.set([]*engine.Document{doc})
			if err != nil {
				return nil, fmt.Errorf("resource %q: %w", arn, err)
			}
			r.policy = ps
		}
		m.resources = append(m.resources, r)
		m.byResource[arn] = r
		for _, rt := range cat.ResourceTypes() {
			if rt.Matches(arn) {
				m.byType[rt] = append(m.byType[rt], r)
			}
		}
	}
	return m, nil
}

// resourceType finds the catalog resource type whose ARN format fits arn,
// preferring the one with the longest format (the most specific).
func resourceType(cat *catalog.Catalog, arn string) *catalog.ResourceType {
	var best *catalog.ResourceType
	for _, rt := range cat.ResourceTypes() {
		if rt.Matches(arn) && (best == nil || len(rt.ARNFormat) > len(best.ARNFormat)) {
			best = rt
		}
	}
	return best
}

// governing returns what governs a resource ARN: the listed resource, or
// for one the model does not list, the policy of its nearest listed
// ancestor that has one.
func (m *Model) governing(arn string) (policy *engine.PolicySet, tags map[string]string, listed bool) {
	if r, ok := m.byResource[arn]; ok {
		return r.policy, r.Tags, true
	}
	for p := arn; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return nil, nil, false
		}
		p = p[:i]
		if r, ok := m.byResource[p]; ok && r.policy != nil && r.doc != nil {
			if own, _, _ := m.resolved.ListedResource(p); own != nil {
				return r.policy, nil, false
			}
		}
	}
}

// resourcesFor lists the listed resources an action can act on: those of
// its resource types, sorted by ARN.
func (m *Model) resourcesFor(a *catalog.Action) []*Resource {
	if len(a.ResourceTypes) == 1 {
		return m.byType[a.ResourceTypes[0].Type]
	}
	var out []*Resource
	for _, ar := range a.ResourceTypes {
		out = append(out, m.byType[ar.Type]...)
	}
	slices.SortFunc(out, func(a, b *Resource) int { return strings.Compare(a.ARN, b.ARN) })
	return slices.CompactFunc(out, func(a, b *Resource) bool { return a == b })
}
