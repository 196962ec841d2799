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
	docs       map[*engine.Document]*docInfo // every document the model holds
	nsets      int                           // how many distinct sets the principals have
	principals []*Principal                  // sorted by ARN
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
	derived [][2]string // the context keys derived from it, by name
	// policies holds the identity set, the boundary and the SCP chain; the
	// resource policy is the request's.
	policies engine.Policies
	// acctKey is the ARN up to its account ("arn:aws:iam::111122223333"),
	// what a decision reads of the principal besides its documents, its
	// derived keys and whether a Principal element names it.
	acctKey string
	// The documents of policies as the verdict cache sees them, shared by
	// the principals that have the same lists.
	idSet   *setInfo
	bndSet  *setInfo // nil without a boundary
	scpDocs [][]*docInfo
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
	polDoc *docInfo // doc as the verdict cache sees it
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
// snapshot does, and describes each document once for the verdict cache.
type setCache struct {
	cat   *catalog.Catalog
	res   *entity.Resolved
	infos map[*engine.Document]*docInfo
	sets  map[string]*setInfo
}

// A setInfo is one compiled set of the model with its documents
// described.
type setInfo struct {
	idx  int32 // dense in the model
	ps   *engine.PolicySet
	docs []*docInfo
}

func (c *setCache) info(d *engine.Document) (*docInfo, error) {
	if di, ok := c.infos[d]; ok {
		return di, nil
	}
	cd, err := c.res.Compile(c.cat, d)
	if err != nil {
		return nil, err
	}
	di := newDocInfo(int32(len(c.infos)), d, cd)
	c.infos[d] = di
	return di, nil
}

func (c *setCache) set(docs []*engine.Document) (*setInfo, error) {
	var key strings.Builder
	infos := make([]*docInfo, len(docs))
	for i, d := range docs {
		di, err := c.info(d)
		if err != nil {
			return nil, err
		}
		infos[i] = di
		key.WriteString(strconv.Itoa(int(di.id)))
		key.WriteByte(',')
	}
	if s, ok := c.sets[key.String()]; ok {
		return s, nil
	}
	cds := make([]*engine.CompiledDocument, len(docs))
	for i, di := range infos {
		cds[i] = di.cd
	}
	ps, err := engine.NewPolicySet(c.cat, cds...)
	if err != nil {
		return nil, err
	}
	s := &setInfo{idx: int32(len(c.sets)), ps: ps, docs: infos}
	c.sets[key.String()] = s
	return s, nil
}

// NewModel compiles a resolved model at a revision.
func NewModel(cat *catalog.Catalog, res *entity.Resolved, revision int64) (*Model, error) {
	m := &Model{cat: cat, revision: revision, resolved: res, byARN: make(map[string]*Principal, res.NumPrincipals()),
		byResource: make(map[string]*Resource, res.NumResources()), byType: make(map[*catalog.ResourceType][]*Resource)}
	sc := &setCache{cat: cat, res: res, infos: make(map[*engine.Document]*docInfo), sets: make(map[string]*setInfo)}
	type chain struct {
		sets []*engine.PolicySet
		docs [][]*docInfo
	}
	scps := make(map[string]chain)
	for _, acct := range res.Accounts() {
		levels, _ := res.SCPChain(acct)
		ch := chain{sets: make([]*engine.PolicySet, len(levels)), docs: make([][]*docInfo, len(levels))}
		for i, docs := range levels {
			set, err := sc.set(docs)
			if err != nil {
				return nil, fmt.Errorf("account %q: SCP level %d: %w", acct, i, err)
			}
			ch.sets[i], ch.docs[i] = set.ps, set.docs
		}
		scps[acct] = ch
	}
	for _, arn := range res.Principals() {
		pp, _ := res.Principal(arn)
		id, err := sc.set(pp.Identity)
		if err != nil {
			return nil, fmt.Errorf("principal %q: %w", arn, err)
		}
		p := &Principal{ARN: pp.ARN, Kind: pp.Kind, Account: pp.Account, Name: arn[strings.LastIndexByte(arn, '/')+1:],
			Tags: pp.Tags, identity: pp.Identity, boundary: pp.Boundary, idSet: id, acctKey: accountKey(pp.ARN)}
		p.policies.Identity = id.ps
		p.derived = derivedPairs(p)
		if pp.Boundary != nil {
			b, err := sc.set([]*engine.Document{pp.Boundary})
			if err != nil {
				return nil, fmt.Errorf("principal %q: boundary: %w", arn, err)
			}
			p.policies.Boundary, p.bndSet = b.ps, b
		}
		ch := scps[pp.Account]
		p.policies.SCPs, p.scpDocs = ch.sets, ch.docs
		p.scps, _ = res.SCPChain(pp.Account)
		m.principals = append(m.principals, p)
		m.byARN[p.ARN] = p
	}
	for _, arn := range res.Resources() {
		doc, tags, _ := res.Resource(arn)
		r := &Resource{ARN: arn, Tags: tags, doc: doc, Type: resourceType(cat, arn)}
		if doc != nil {
			set, err := sc.set([]*engine.Document{doc})
			if err != nil {
				return nil, fmt.Errorf("resource %q: %w", arn, err)
			}
			r.policy, r.polDoc = set.ps, set.docs[0]
		}
		m.resources = append(m.resources, r)
		m.byResource[arn] = r
		for _, rt := range cat.ResourceTypes() {
			if rt.Matches(arn) {
				m.byType[rt] = append(m.byType[rt], r)
			}
		}
	}
	m.docs, m.nsets = sc.infos, len(sc.sets)
	return m, nil
}

// accountKey returns an ARN up to the end of its account field; the whole
// ARN when it has fewer fields.
func accountKey(arn string) string {
	n := 0
	for i := 0; i < len(arn); i++ {
		if arn[i] == ':' {
			if n++; n == 5 {
				return arn[:i]
			}
		}
	}
	return arn
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
func (m *Model) governing(arn string) (policy *engine.PolicySet, doc *docInfo, tags map[string]string, listed bool) {
	if r, ok := m.byResource[arn]; ok {
		return r.policy, r.polDoc, r.Tags, true
	}
	for p := arn; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return nil, nil, nil, false
		}
		p = p[:i]
		if r, ok := m.byResource[p]; ok && r.policy != nil && r.doc != nil {
			if own, _, _ := m.resolved.ListedResource(p); own != nil {
				return r.policy, r.polDoc, nil, false
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
