package snapshot

import (
	"fmt"
	"maps"
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
// that holds no change (see [shardmap.Map]).
type Snapshot struct {
	revision   int64
	resolved   *entity.Resolved                 // what it was compiled from
	principals shardmap.Map[string, *Principal] // by principalKey
	// The resources are resolved's; see snapshot_resources.go.
	governors  governorIndex
	ungoverned map[uintptr]*Resource // the listed resources no policy governs, by tag map
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
// per governing policy and tag map (see snapshot_resources.go).
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
	scps       map[string][]*engine.PolicySet
	scpDocs    map[string][][]*engine.Document

	// The sets the principals, the resources and the accounts need; each
	// part of the build has its own, as the parts run at the same time.
	principalSets, resourceSets, scpSets *setCompiler

	// The governors of the resources and the entries of those no policy
	// governs (see snapshot_resources.go); fresh marks the governors this
	// build made, which it may still change, and ungovernedOwn whether
	// ungoverned is this build's copy.
	governorE     *governorEdit
	ungoverned    map[uintptr]*Resource
	ungovernedOwn bool
	fresh         map[*governor]bool
}

func newSnapshotBuilder(cat *catalog.Catalog, res *entity.Resolved, prev *Snapshot) *snapshotBuilder {
	b := &snapshotBuilder{cat: cat, prev: prev, principalSets: newSetCompiler(cat, res),
		resourceSets: newSetCompiler(cat, res), scpSets: newSetCompiler(cat, res), fresh: make(map[*governor]bool)}
	if prev != nil && prev.resolved == nil {
		b.prev = nil
	}
	if b.prev != nil {
		b.prevRes = prev.resolved
		b.principalE = prev.principals.Edit()
	} else {
		b.principalE = shardmap.New[string, *Principal](shardmap.String, res.NumPrincipals()).Edit()
	}
	return b
}

func (b *snapshotBuilder) finish(res *entity.Resolved, revision int64) *Snapshot {
	return &Snapshot{revision: revision, resolved: res, principals: b.principalE.Done(),
		governors: b.governorE.done(), ungoverned: b.ungoverned, scps: b.scps, scpDocs: b.scpDocs}
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
		var old *Principal
		if b.prev != nil { // a build from nothing has no entry to keep
			old, _ = b.principalE.Get(key)
		}
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
		b.principalSets.setTo(&e.identity, ref)
	}
	switch {
	case pp.Boundary == nil:
	case old != nil && old.boundaryDoc == pp.Boundary:
		e.boundary = old.boundary
	default:
		ref := b.principalSets.add(owner{what: "boundary", name: pp.ARN}, []*engine.Document{pp.Boundary})
		b.principalSets.setTo(&e.boundary, ref)
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
			b.scpSets.setTo(&sets[i], ref)
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
