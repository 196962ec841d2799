package entity

import (
	"errors"
	"fmt"
	"sync"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/shardmap"
)

// An Entity is one entity of a Set: an *Account, *ManagedPolicy, *SCP,
// *Group, *User, *Role or *Resource.
type Entity interface {
	entityKey() entityKey
}

// entityKey names an entity within its kind, as the store does: an account
// ID, a policy or SCP name, "ACCOUNT/NAME" for a group, an ARN otherwise.
type entityKey struct {
	kind string
	id   string
}

func (a *Account) entityKey() entityKey       { return entityKey{"account", a.ID} }
func (m *ManagedPolicy) entityKey() entityKey { return entityKey{"managed policy", m.Name} }
func (p *SCP) entityKey() entityKey           { return entityKey{"scp", p.Name} }
func (g *Group) entityKey() entityKey         { return entityKey{"group", g.Account + "/" + g.Name} }
func (u *User) entityKey() entityKey          { return entityKey{"user", u.ARN} }
func (r *Role) entityKey() entityKey          { return entityKey{"role", r.ARN} }
func (r *Resource) entityKey() entityKey      { return entityKey{"resource", r.ARN} }

// ErrDuplicate: a Linker already holds an entity with the key of the one
// put.
var ErrDuplicate = errors.New("duplicate entity")

// Link resolves the Set without validating it: the documents are parsed
// (through cache, when not nil, so that unchanged documents keep their
// parse from an earlier resolution) but not validated, and entities are
// not checked beyond what linking needs. It is for a Set that was
// validated before it was stored, such as the one a server follows; Link
// fails with a [Problems], never panics, on what it cannot link: a
// document that does not parse, or a reference (an attached policy, a
// boundary, a group, an SCP) to an entity the Set does not hold, or two
// entities with one key. The Resolved has no warnings.
//
// cat is the catalog the documents will be compiled against; Link, which
// does not validate, does not read it.
func (s *Set) Link(cat *catalog.Catalog, cache *DocCache) (*Resolved, error) {
	_ = cat
	return s.link(cache)
}

// link resolves the Set with a new Linker, copying its tags.
func (s *Set) link(cache *DocCache) (*Resolved, error) {
	if cache == nil {
		cache = NewDocCache()
	}
	l := NewLinker(cache)
	l.copyTags = true
	var probs Problems
	put := func(e Entity) {
		if err := l.Put(e); err != nil {
			probs = append(probs, &Problem{Entity: keyLabel(e.entityKey()), Err: err})
		}
	}
	for i := range s.Accounts {
		put(&s.Accounts[i])
	}
	for i := range s.ManagedPolicies {
		put(&s.ManagedPolicies[i])
	}
	for i := range s.SCPs {
		put(&s.SCPs[i])
	}
	for i := range s.Groups {
		put(&s.Groups[i])
	}
	for i := range s.Users {
		put(&s.Users[i])
	}
	for i := range s.Roles {
		put(&s.Roles[i])
	}
	for i := range s.Resources {
		put(&s.Resources[i])
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return l.Link()
}

func keyLabel(k entityKey) string { return fmt.Sprintf("%s %q", k.kind, k.id) }

// A Linker holds the entities of a policy model and links them into a
// [Resolved] as [Set.Link] does, but again after a change links only what
// the change touches: the entities put or removed, the principals that
// attach a changed managed policy (directly, as a boundary or through a
// group) or join a changed group, and the accounts whose organization uses
// a changed SCP. Each Resolved it returns shares what did not change with
// the one before, so that [Resolved.ChangedPrincipals] and
// [Resolved.ChangedResources] find the difference without reading all of
// it.
//
// A Linker keeps the entities it is given, which must not be modified
// afterwards; it shares their tag maps with the Resolved it returns. A
// Linker has a single owner: it is not safe for concurrent use, though the
// Resolved values it returns are.
type Linker struct {
	cache    *DocCache
	copyTags bool

	accounts   map[string]*Account
	managed    map[string]*managedRec
	scps       map[string]*scpRec
	groups     map[groupKey]*groupRec
	principals map[string]*principalRec    // users and roles, by ARN
	resPolicy  map[string]*engine.Document // the policy of each resource that has one, for sweeps

	// The resources go straight into an edit of those of the last
	// Resolved (live), which the next Link that succeeds publishes: a
	// resource without a policy needs nothing more, so a first read of a
	// million resources puts each in one table, once. Those with a policy
	// wait in pending for Link to parse it.
	live      shardmap.Map[string, *resolvedResource]
	resEdit   *shardmap.Edit[string, *resolvedResource] // nil when no resource changed since the last Link
	pending   map[string]*Resource
	policied  map[string]*Resource          // the resources with a policy, as put (HoldsResource)
	resShared map[uintptr]*resolvedResource // the entries of the edit's resources without a policy, by tag map
	resHint   int                           // the resources a first read is to put (Grow)

	// Who uses what, to find what a change touches: the principals that
	// attach each managed policy (directly or as their boundary), the
	// groups that attach each, and the users of each group.
	attachedBy refIndex[*principalRec] // by the record, half the size of an ARN
	groupsOf   refIndex[groupKey]
	members    map[groupKey]map[*principalRec]struct{}

	dirty linkDirty
	res   *Resolved // the last Resolved, nil before the first
	kept  int       // documents in the cache after its last sweep
}

type managedRec struct {
	m   *ManagedPolicy
	doc *engine.Document // nil until parsed
}

type scpRec struct {
	p   *SCP
	doc *engine.Document
}

type groupRec struct {
	g       *Group
	inline  []*engine.Document // by policy name
	managed []*engine.Document // the attached policies as group:NAME:managed:POLICY
}

type principalRec struct {
	kind     string // KindUser or KindRole
	arn      iamARN
	arnErr   error
	user     *User // for a user
	role     *Role // for a role
	inline   []*engine.Document
	boundary *engine.Document
}

// arnText returns the ARN of the user or role, as it was put.
func (p *principalRec) arnText() string {
	if p.user != nil {
		return p.user.ARN
	}
	return p.role.ARN
}

func (p *principalRec) managed() []string {
	if p.user != nil {
		return p.user.ManagedPolicies
	}
	return p.role.ManagedPolicies
}

func (p *principalRec) boundaryName() string {
	if p.user != nil {
		return p.user.PermissionsBoundary
	}
	return p.role.PermissionsBoundary
}

// linkDirty names what changed since the last successful Link.
type linkDirty struct {
	accounts   map[string]bool
	managed    map[string]bool
	scps       map[string]bool
	groups     map[groupKey]bool
	principals map[string]bool // ARNs
}

func newLinkDirty() linkDirty {
	return linkDirty{accounts: make(map[string]bool), managed: make(map[string]bool), scps: make(map[string]bool),
		groups: make(map[groupKey]bool), principals: make(map[string]bool)}
}

func (d *linkDirty) empty() bool {
	return len(d.accounts)+len(d.managed)+len(d.scps)+len(d.groups)+len(d.principals) == 0
}

// NewLinker returns a Linker with no entities that parses documents
// through cache (a new cache when nil).
func NewLinker(cache *DocCache) *Linker {
	if cache == nil {
		cache = NewDocCache()
	}
	return &Linker{
		cache:      cache,
		accounts:   make(map[string]*Account),
		managed:    make(map[string]*managedRec),
		scps:       make(map[string]*scpRec),
		groups:     make(map[groupKey]*groupRec),
		principals: make(map[string]*principalRec),
		resPolicy:  make(map[string]*engine.Document),
		pending:    make(map[string]*Resource),
		policied:   make(map[string]*Resource),
		live:       shardmap.New[string, *resolvedResource](hashResourceRoot, 0),
		attachedBy: make(refIndex[*principalRec]),
		groupsOf:   make(refIndex[groupKey]),
		members:    make(map[groupKey]map[*principalRec]struct{}),
		dirty:      newLinkDirty(),
	}
}

// Grow makes room for about principals more users and roles and
// resources more resources to be put before the next Link, as the first
// read of a large model puts them: a hint that saves growing the Linker's
// tables step by step.
func (l *Linker) Grow(principals, resources int) {
	if len(l.principals) == 0 && principals > 0 {
		l.principals = make(map[string]*principalRec, principals)
	}
	if l.res == nil && l.resEdit == nil {
		l.resHint = resources
	}
}

// Put adds an entity, to be linked by the next Link. It fails with
// ErrDuplicate when the Linker holds an entity with the same key (an
// account ID, a policy, SCP or group name, an ARN): Remove that first.
func (l *Linker) Put(e Entity) error {
	if r, ok := e.(*Resource); ok { // the most numerous: one look into the table, not two
		if !l.putResource(r) {
			return fmt.Errorf("%w: %s", ErrDuplicate, keyLabel(e.entityKey()))
		}
		return nil
	}
	if l.has(e) {
		return fmt.Errorf("%w: %s", ErrDuplicate, keyLabel(e.entityKey()))
	}
	switch e := e.(type) {
	case *Account:
		l.accounts[e.ID] = e
		l.dirty.accounts[e.ID] = true
	case *ManagedPolicy:
		l.managed[e.Name] = &managedRec{m: e}
		l.dirty.managed[e.Name] = true
	case *SCP:
		l.scps[e.Name] = &scpRec{p: e}
		l.dirty.scps[e.Name] = true
	case *Group:
		k := groupKey{e.Account, e.Name}
		l.groups[k] = &groupRec{g: e}
		l.indexGroup(k, e, true)
		l.dirty.groups[k] = true
	case *User:
		a, err := parseIAMARN(e.ARN, "user")
		l.putPrincipal(e.ARN, &principalRec{kind: KindUser, arn: a, arnErr: err, user: e})
	case *Role:
		a, err := parseIAMARN(e.ARN, "role")
		l.putPrincipal(e.ARN, &principalRec{kind: KindRole, arn: a, arnErr: err, role: e})
	}
	return nil
}

// has reports whether the Linker holds an entity with e's key.
func (l *Linker) has(e Entity) bool {
	var ok bool
	switch e := e.(type) {
	case *Account:
		_, ok = l.accounts[e.ID]
	case *ManagedPolicy:
		_, ok = l.managed[e.Name]
	case *SCP:
		_, ok = l.scps[e.Name]
	case *Group:
		_, ok = l.groups[groupKey{e.Account, e.Name}]
	case *User:
		_, ok = l.principals[e.ARN]
	case *Role:
		_, ok = l.principals[e.ARN]
	case *Resource:
		_, ok = l.resource(e.ARN)
	}
	return ok
}

// Remove drops the entity with e's key, if the Linker holds one; the next
// Link unlinks it. Only the key of e is read.
func (l *Linker) Remove(e Entity) {
	switch e := e.(type) {
	case *Account:
		delete(l.accounts, e.ID)
		l.dirty.accounts[e.ID] = true
	case *ManagedPolicy:
		delete(l.managed, e.Name)
		l.dirty.managed[e.Name] = true
	case *SCP:
		delete(l.scps, e.Name)
		l.dirty.scps[e.Name] = true
	case *Group:
		k := groupKey{e.Account, e.Name}
		if g, ok := l.groups[k]; ok {
			l.indexGroup(k, g.g, false)
			delete(l.groups, k)
		}
		l.dirty.groups[k] = true
	case *User:
		l.removePrincipal(e.ARN, KindUser)
	case *Role:
		l.removePrincipal(e.ARN, KindRole)
	case *Resource:
		if l.has(e) {
			l.resources().Delete(e.ARN)
			delete(l.pending, e.ARN)
			delete(l.policied, e.ARN)
			delete(l.resPolicy, e.ARN)
		}
	}
}

func (l *Linker) putPrincipal(arn string, p *principalRec) {
	l.principals[arn] = p
	l.index(p, true)
	l.dirty.principals[arn] = true
}

func (l *Linker) removePrincipal(arn, kind string) {
	if p, ok := l.principals[arn]; ok && p.kind == kind {
		l.index(p, false)
		delete(l.principals, arn)
		l.dirty.principals[arn] = true
	}
}

// Link links what changed since the last Link that succeeded (everything,
// the first time) and returns the resolution of the whole model. On
// failure the error is a [Problems]; the Linker keeps the changes, so that
// a later Link, after the entities at fault were fixed, links them.
func (l *Linker) Link() (*Resolved, error) {
	if l.res != nil && l.dirty.empty() && l.resEdit == nil {
		return l.res, nil
	}
	full := l.res == nil
	r := &linkRun{l: l, gen: l.cache.begin(), full: full}
	if full {
		r.base = &Resolved{
			principals: shardmap.New[principalKey, *PrincipalPolicies](hashPrincipalKey, len(l.principals)),
			resources:  shardmap.New[string, *resolvedResource](hashResourceRoot, 0),
			scps:       map[string][][]*engine.Document{},
		}
	} else {
		r.base = l.res
	}
	r.linkManaged()
	r.linkSCPs()
	groups := r.linkGroups()
	// Principals, resources and accounts share nothing but the cache,
	// which is safe for concurrent use: link them at the same time.
	var scps map[string][][]*engine.Document
	var accounts []string
	var wg sync.WaitGroup
	wg.Go(r.linkResources)
	wg.Go(func() { scps, accounts = r.linkAccounts() })
	principals := r.linkPrincipals(groups)
	wg.Wait()
	if len(r.probs) > 0 {
		return nil, r.probs
	}
	resources := r.base.resources
	if l.resEdit != nil {
		resources = l.resEdit.Done()
		l.resEdit, l.resShared, l.resHint = nil, nil, 0
	}
	res := &Resolved{principals: principals, resources: resources, scps: scps, accounts: accounts, cache: l.cache}
	l.res, l.live = res, resources
	clear(l.pending)
	l.dirty = newLinkDirty()
	if full {
		l.kept = l.cache.sweep(r.gen)
	} else if l.cache.Len() > 2*l.kept+256 {
		l.sweep()
	}
	return res, nil
}

// sweep drops from the cache the documents no entity uses any more.
func (l *Linker) sweep() {
	gen := l.cache.begin()
	var docs []*engine.Document
	for _, m := range l.managed {
		docs = append(docs, m.doc)
	}
	for _, p := range l.scps {
		docs = append(docs, p.doc)
	}
	for _, g := range l.groups {
		docs = append(append(docs, g.inline...), g.managed...)
	}
	for _, p := range l.principals {
		docs = append(append(docs, p.inline...), p.boundary)
	}
	for _, d := range l.resPolicy {
		docs = append(docs, d)
	}
	l.cache.markAll(gen, docs)
	l.kept = l.cache.sweep(gen)
}
