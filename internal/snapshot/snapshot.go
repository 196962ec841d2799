package snapshot

import (
	"fmt"
	"maps"
	"reflect"
	"strings"
	"sync"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/shardmap"
)

// A Snapshot is the policy model at one revision, compiled: for every
// principal its identity policies and boundary, for every resource its
// policy and tags, for every account its SCP chain. It is immutable and
// shared by all requests.
//
// A snapshot compiled from the previous one shares with it every entry
// whose documents and tags did not change, and every shard of its maps
// that holds no change (see snapshot_shards.go).
type Snapshot struct {
	revision   int64
	resolved   *entity.Resolved                 // what it was compiled from
	principals shardmap.Map[string, *Principal] // by principalKey
	resources  shardmap.Map[string, *Resource]  // by ARN, sharded by root
	scps       map[string][]*engine.PolicySet
	scpDocs    map[string][][]*engine.Document // what each level of scps was compiled from
}

// Revision returns the revision the snapshot was compiled from.
func (s *Snapshot) Revision() int64 { return s.revision }

// Principals returns the number of IAM users and roles the snapshot knows:
// zero for an empty store, whose every decision is an implicit deny.
func (s *Snapshot) Principals() int { return s.principals.Len() }

// Principal is what the model says of one IAM user or role.
type Principal struct {
	arn      string // the user's or role's ARN, the value of aws:PrincipalArn
	kind     engine.PrincipalKind
	account  string
	name     string
	identity *engine.PolicySet
	boundary *engine.PolicySet // nil without a permissions boundary
	tags     map[string]string

	// What identity and boundary were compiled from.
	identityDocs []*engine.Document
	boundaryDoc  *engine.Document
}

// Resource is what the model says of one resource. Entries are
// immutable: the resources without a policy of their own share one entry
// per governing policy and tag map (see sharedEntry).
type Resource struct {
	// policy governs the resource: its own policy, or that of its nearest
	// listed ancestor that has one; nil for none.
	policy *engine.PolicySet
	tags   map[string]string

	own    *engine.PolicySet // the resource's own policy, compiled from doc
	doc    *engine.Document
	passed *Resource // {policy: policy}, what governs unlisted resources under this one
}

// principalKey indexes users by account and name, and roles by account and
// name without regard to case, so that a session ARN, which carries the
// role's name but not its path, finds its role.
func principalKey(p engine.PrincipalARN) string {
	if p.Kind == engine.PrincipalUser {
		return "user:" + p.Account + ":" + p.Name
	}
	return "role:" + p.Account + ":" + strings.ToLower(p.Name)
}

// Principal finds the model's entry for a caller. Entries are found by
// account and name; use Names to check that the caller's ARN is the
// entry's own.
func (s *Snapshot) Principal(p engine.PrincipalARN) (*Principal, bool) {
	key := principalKey(p)
	return s.principals.GetHashed(shardmap.String(s.principals.Seed(), key), key)
}

// Names reports whether arn, parsed as p, names this principal: the same
// partition and, for a user or a role, the same ARN, path included (a
// role's without regard to case, as IAM keeps role names unique that
// way). A session names its role by name alone. An ARN that finds an
// entry by account and name but is not the entry's own (another partition,
// another path) is not the modelled principal, and is decided as unknown.
func (e *Principal) Names(arn string, p engine.PrincipalARN) bool {
	if !strings.HasPrefix(e.arn, "arn:"+p.Partition+":") {
		return false
	}
	switch p.Kind {
	case engine.PrincipalUser:
		return arn == e.arn
	case engine.PrincipalRole:
		return strings.EqualFold(arn, e.arn)
	}
	return true
}

// Resource finds what governs a resource: its own entry, or for a resource
// the model does not list, the policy of its nearest listed ancestor (an
// app's policy governs its campaigns and segments). known is true only for
// a listed resource, whose tags are then authoritative.
func (s *Snapshot) Resource(arn string) (e *Resource, known bool) {
	if e, ok := s.resources.Get(arn); ok {
		return e, true
	}
	for p := arn; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return nil, false
		}
		p = p[:i]
		if e, ok := s.resources.Get(p); ok && e.passed != nil {
			return e.passed, false
		}
	}
}

// Compile compiles a resolved model at a revision: every
// principal's identity policies and boundary, every resource's policy, and
// every account's SCP chain.
//
// With prev, the snapshot of an earlier resolution, it compiles only what
// changed: the principals, resources and accounts whose documents (by
// pointer, as a [entity.DocCache] keeps them) or tags differ keep prev's
// entries, and the maps share prev's unchanged shards. When res was linked
// from prev's resolution by an [entity.Linker], finding the changes reads
// only the parts that changed; otherwise every entry is compared. prev is
// not modified.
//
// Principals, resources and accounts are compiled at the same time: they
// share no entry and no set, only the documents' compilations, which the
// resolution's cache keeps.
func Compile(cat *catalog.Catalog, res *entity.Resolved, revision int64, prev *Snapshot) (*Snapshot, error) {
	b := newSnapshotBuilder(cat, res, prev)
	var resErr, accErr error
	var wg sync.WaitGroup
	wg.Go(func() { resErr = b.resources(res) })
	wg.Go(func() { accErr = b.accounts(res) })
	err := b.principals(res)
	wg.Wait()
	for _, err := range []error{err, resErr, accErr} {
		if err != nil {
			return nil, err
		}
	}
	return b.finish(res, revision), nil
}

// snapshotBuilder makes one snapshot.
type snapshotBuilder struct {
	cat        *catalog.Catalog
	prev       *Snapshot
	prevRes    *entity.Resolved
	principalE *shardmap.Edit[string, *Principal]
	resourceE  *shardmap.Edit[string, *Resource]
	scps       map[string][]*engine.PolicySet
	scpDocs    map[string][][]*engine.Document

	// The sets the principals, the resources and the accounts need; each
	// part of the build has its own, as the parts run at the same time.
	principalSets, resourceSets, scpSets *setCompiler
	// changed holds the resources this build lists anew (added, or with
	// another policy or other tags); ownMoved those whose own policy came,
	// went or changed, under which other resources may be governed by
	// another policy now.
	changed  []resourceChange
	ownMoved []string
	// The entries of resources without a policy of their own, shared by
	// all those with the same tags and governing policy, and the entries
	// passed down by each policy.
	shared map[sharedKey]*Resource
	passed map[*engine.PolicySet]*Resource
}

// resourceChange is a resource to list anew.
type resourceChange struct {
	arn  string
	tags map[string]string
	doc  *engine.Document
	own  *engine.PolicySet // kept from prev when doc did not change
	ref  *setRef           // to compile own from otherwise
}

type sharedKey struct {
	policy *engine.PolicySet
	tags   uintptr // the tag map, by identity
}

func newSnapshotBuilder(cat *catalog.Catalog, res *entity.Resolved, prev *Snapshot) *snapshotBuilder {
	b := &snapshotBuilder{cat: cat, prev: prev, principalSets: newSetCompiler(cat, res),
		resourceSets: newSetCompiler(cat, res), scpSets: newSetCompiler(cat, res),
		shared: make(map[sharedKey]*Resource), passed: make(map[*engine.PolicySet]*Resource)}
	if prev != nil && prev.resolved == nil {
		b.prev = nil
	}
	if b.prev != nil {
		b.prevRes = prev.resolved
		b.principalE, b.resourceE = prev.principals.Edit(), prev.resources.Edit()
	} else {
		b.principalE = shardmap.New[string, *Principal](shardmap.String, res.NumPrincipals()).Edit()
		b.resourceE = shardmap.New[string, *Resource](hashResourceRoot, res.NumResources()).Edit()
	}
	return b
}

func (b *snapshotBuilder) finish(res *entity.Resolved, revision int64) *Snapshot {
	return &Snapshot{revision: revision, resolved: res, principals: b.principalE.Done(),
		resources: b.resourceE.Done(), scps: b.scps, scpDocs: b.scpDocs}
}

// principals updates the entries of the principals that changed and
// compiles their sets.
func (b *snapshotBuilder) principals(res *entity.Resolved) error {
	for arn, pp := range res.ChangedPrincipals(b.prevRes) {
		pa, err := engine.ParsePrincipalARN(arn)
		if err != nil {
			return fmt.Errorf("principal %q: %w", arn, err)
		}
		key := principalKey(pa)
		old, _ := b.principalE.Get(key)
		if pp == nil {
			if old != nil && old.arn == arn {
				b.principalE.Delete(key)
			}
			continue
		}
		b.principalE.Put(key, b.principal(pa, pp, old))
	}
	return b.principalSets.compileAll()
}

// principal returns the entry of a principal: old when nothing it holds
// changed, otherwise a new one that keeps what it can of old.
func (b *snapshotBuilder) principal(pa engine.PrincipalARN, pp *entity.PrincipalPolicies, old *Principal) *Principal {
	e := &Principal{arn: pp.ARN, kind: pa.Kind, account: pa.Account, name: pa.Name, tags: pp.Tags,
		identityDocs: pp.Identity, boundaryDoc: pp.Boundary}
	if old != nil && sameDocs(old.identityDocs, pp.Identity) {
		e.identity = old.identity
	} else {
		ref := b.principalSets.add(owner{what: "principal", name: pp.ARN}, pp.Identity)
		b.principalSets.then(func() { e.identity = ref.ps })
	}
	switch {
	case pp.Boundary == nil:
	case old != nil && old.boundaryDoc == pp.Boundary:
		e.boundary = old.boundary
	default:
		ref := b.principalSets.add(owner{what: "boundary", name: pp.ARN}, []*engine.Document{pp.Boundary})
		b.principalSets.then(func() { e.boundary = ref.ps })
	}
	if old != nil && e.identity == old.identity && e.boundary == old.boundary && e.identity != nil &&
		old.arn == e.arn && old.kind == e.kind && old.name == e.name && maps.Equal(old.tags, e.tags) {
		return old
	}
	return e
}

func sameDocs(a, b []*engine.Document) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// resources notes the resources that changed, compiling their own
// policies, and drops those removed; then it makes their entries and finds
// again the policy that governs each resource a change may affect
// (governAll).
func (b *snapshotBuilder) resources(res *entity.Resolved) error {
	if b.prev == nil {
		b.changed = make([]resourceChange, 0, res.NumResources())
		res.EachResource(func(arn string, doc *engine.Document, tags map[string]string) bool {
			c := resourceChange{arn: arn, tags: tags, doc: doc}
			if doc != nil {
				c.ref = b.resourceSets.add(owner{what: "resource", name: arn}, []*engine.Document{doc})
			}
			b.changed = append(b.changed, c)
			return true
		})
		return b.govern()
	}
	for arn := range res.ChangedResources(b.prevRes) {
		doc, tags, ok := res.ListedResource(arn)
		old, had := b.resourceE.Get(arn)
		var oldDoc *engine.Document
		if had {
			oldDoc = old.doc
		}
		if !ok {
			if had {
				b.resourceE.Delete(arn)
				b.ownChanged(arn, oldDoc, nil)
			}
			continue
		}
		if had && oldDoc == doc && maps.Equal(old.tags, tags) {
			continue
		}
		c := resourceChange{arn: arn, tags: tags, doc: doc}
		switch {
		case doc == nil:
		case oldDoc == doc:
			c.own = old.own
		default:
			c.ref = b.resourceSets.add(owner{what: "resource", name: arn}, []*engine.Document{doc})
		}
		b.changed = append(b.changed, c)
		b.ownChanged(arn, oldDoc, doc)
	}
	return b.govern()
}

// govern compiles the own policies of the resources listed anew, then
// makes their entries and finds again the policy that governs each
// resource a change may affect.
func (b *snapshotBuilder) govern() error {
	if err := b.resourceSets.compileAll(); err != nil {
		return err
	}
	b.governAll()
	return nil
}

// ownChanged notes a resource whose own policy went from oldDoc to doc:
// the resources under it may be governed by another policy now.
func (b *snapshotBuilder) ownChanged(arn string, oldDoc, doc *engine.Document) {
	if oldDoc != doc && b.prev != nil {
		b.ownMoved = append(b.ownMoved, arn)
	}
}

// governAll makes the entries of the resources listed anew, then finds
// again the policy that governs each of them that has none of its own and
// each resource under one whose own policy moved. The own policies must be
// compiled.
func (b *snapshotBuilder) governAll() {
	if b.prev == nil {
		b.governFull()
		return
	}
	// Every own policy first, so that finding a governing policy sees the
	// new ones.
	for i := range b.changed {
		c := &b.changed[i]
		if c.ref != nil {
			c.own = c.ref.ps
		}
		if c.own != nil {
			b.resourceE.Put(c.arn, &Resource{policy: c.own, tags: c.tags, own: c.own, doc: c.doc, passed: b.passedBy(c.own)})
		} else {
			b.resourceE.Put(c.arn, b.sharedEntry(nil, c.tags))
		}
	}
	for i := range b.changed {
		if c := &b.changed[i]; c.own == nil {
			b.regovern(c.arn)
		}
	}
	var under []string
	for _, arn := range b.ownMoved {
		resourcesUnder(b.resourceE, arn, func(k string, _ *Resource) { under = append(under, k) })
	}
	for _, k := range under {
		b.regovern(k)
	}
}

// governFull makes the entry of every resource of a build without prev.
// Few resources have a policy of their own, so the governing policies are
// found among those rather than in the map of all.
func (b *snapshotBuilder) governFull() {
	owners := make(map[string]*engine.PolicySet)
	for i := range b.changed {
		c := &b.changed[i]
		if c.ref != nil {
			c.own = c.ref.ps
			owners[c.arn] = c.own
		}
	}
	for i := range b.changed {
		c := &b.changed[i]
		if c.own != nil {
			b.resourceE.Insert(c.arn, &Resource{policy: c.own, tags: c.tags, own: c.own, doc: c.doc, passed: b.passedBy(c.own)})
			continue
		}
		var policy *engine.PolicySet
		for p := c.arn; policy == nil; {
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				break
			}
			p = p[:i]
			policy = owners[p]
		}
		b.resourceE.Insert(c.arn, b.sharedEntry(policy, c.tags))
	}
}

// regovern sets again the policy that governs a listed resource without a
// policy of its own: that of its nearest listed ancestor with one.
func (b *snapshotBuilder) regovern(arn string) {
	e, ok := b.resourceE.Get(arn)
	if !ok || e.own != nil {
		return
	}
	if policy := b.inherited(arn); policy != e.policy {
		b.resourceE.Put(arn, b.sharedEntry(policy, e.tags))
	}
}

// sharedEntry returns the entry of the resources with tags and no policy
// of their own that policy governs. Entries are immutable, so one serves
// them all: a million resources with a few dozen distinct tag sets need a
// few dozen entries.
func (b *snapshotBuilder) sharedEntry(policy *engine.PolicySet, tags map[string]string) *Resource {
	k := sharedKey{policy: policy, tags: reflect.ValueOf(tags).Pointer()}
	e, ok := b.shared[k]
	if !ok {
		e = &Resource{policy: policy, tags: tags, passed: b.passedBy(policy)}
		b.shared[k] = e
	}
	return e
}

// passedBy returns the entry of the unlisted resources policy governs; nil
// for none.
func (b *snapshotBuilder) passedBy(policy *engine.PolicySet) *Resource {
	if policy == nil {
		return nil
	}
	e, ok := b.passed[policy]
	if !ok {
		e = &Resource{policy: policy}
		b.passed[policy] = e
	}
	return e
}

// inherited returns the own policy of the nearest listed ancestor of arn
// that has one.
func (b *snapshotBuilder) inherited(arn string) *engine.PolicySet {
	for p := arn; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return nil
		}
		p = p[:i]
		if e, ok := b.resourceE.Get(p); ok && e.own != nil {
			return e.own
		}
	}
}

// accounts compiles the SCP chain of every account, keeping the levels of
// prev whose documents did not change.
func (b *snapshotBuilder) accounts(res *entity.Resolved) error {
	b.scps = make(map[string][]*engine.PolicySet)
	b.scpDocs = make(map[string][][]*engine.Document)
	same := b.prev != nil
	for _, account := range res.Accounts() {
		chain, _ := res.SCPChain(account)
		var old [][]*engine.Document
		if b.prev != nil {
			old = b.prev.scpDocs[account]
		}
		sets := make([]*engine.PolicySet, len(chain))
		for i, level := range chain {
			if i < len(old) && sameDocs(old[i], level) {
				sets[i] = b.prev.scps[account][i]
				continue
			}
			same = false
			ref := b.scpSets.add(owner{what: "account", name: account, level: i}, level)
			b.scpSets.then(func() { sets[i] = ref.ps })
		}
		if len(chain) != len(old) {
			same = false
		}
		if len(chain) > 0 {
			b.scps[account], b.scpDocs[account] = sets, chain
		}
	}
	if same && len(b.scps) == len(b.prev.scps) {
		b.scps, b.scpDocs = b.prev.scps, b.prev.scpDocs
	}
	return b.scpSets.compileAll()
}
