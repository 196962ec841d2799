package entity

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
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
	principals map[string]*principalRec            // users and roles, by ARN
	resources  map[string]*Resource                // resources put since the last Link; nil for removed
	resPolicy  map[string]*engine.Document         // the policy of each resource that has one, for sweeps
	live       shardMap[string, *resolvedResource] // the resources, for Put to find duplicates

	// Who uses what, to find what a change touches: the principals that
	// attach each managed policy (directly or as their boundary), the
	// groups that attach each, and the users of each group.
	attachedBy refIndex[string]
	groupsOf   refIndex[groupKey]
	members    map[groupKey]map[string]struct{}

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
		resources:  make(map[string]*Resource),
		resPolicy:  make(map[string]*engine.Document),
		live:       newShardMap[string, *resolvedResource](hashString),
		attachedBy: make(refIndex[string]),
		groupsOf:   make(refIndex[groupKey]),
		members:    make(map[groupKey]map[string]struct{}),
		dirty:      newLinkDirty(),
	}
}

// refIndex lists, for each managed policy, what uses it.
type refIndex[K comparable] map[string]map[K]struct{}

func (x refIndex[K]) add(name string, k K) {
	m, ok := x[name]
	if !ok {
		m = make(map[K]struct{})
		x[name] = m
	}
	m[k] = struct{}{}
}

func (x refIndex[K]) remove(name string, k K) {
	if m, ok := x[name]; ok {
		delete(m, k)
		if len(m) == 0 {
			delete(x, name)
		}
	}
}

// index adds (or with add false, removes) what a principal uses to the
// indexes.
func (l *Linker) index(arn string, p *principalRec, add bool) {
	names := p.managed()
	if b := p.boundaryName(); b != "" {
		names = append(names[:len(names):len(names)], b)
	}
	for _, n := range names {
		if add {
			l.attachedBy.add(n, arn)
		} else {
			l.attachedBy.remove(n, arn)
		}
	}
	if p.user == nil || p.arnErr != nil {
		return
	}
	for _, g := range p.user.Groups {
		k := groupKey{p.arn.account, g}
		m, ok := l.members[k]
		switch {
		case add && !ok:
			m = make(map[string]struct{})
			l.members[k] = m
			fallthrough
		case add:
			m[arn] = struct{}{}
		case ok:
			delete(m, arn)
			if len(m) == 0 {
				delete(l.members, k)
			}
		}
	}
}

// indexGroup adds or removes the managed policies a group attaches.
func (l *Linker) indexGroup(k groupKey, g *Group, add bool) {
	for _, n := range g.ManagedPolicies {
		if add {
			l.groupsOf.add(n, k)
		} else {
			l.groupsOf.remove(n, k)
		}
	}
}

// Put adds an entity, to be linked by the next Link. It fails with
// ErrDuplicate when the Linker holds an entity with the same key (an
// account ID, a policy, SCP or group name, an ARN): Remove that first.
func (l *Linker) Put(e Entity) error {
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
	case *Resource:
		l.resources[e.ARN] = e
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
		r, pending := l.resources[e.ARN]
		if pending {
			return r != nil
		}
		_, ok = l.live.get(e.ARN)
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
		if _, ok := l.live.get(e.ARN); ok {
			l.resources[e.ARN] = nil
		} else {
			delete(l.resources, e.ARN)
		}
	}
}

func (l *Linker) putPrincipal(arn string, p *principalRec) {
	l.principals[arn] = p
	l.index(arn, p, true)
	l.dirty.principals[arn] = true
}

func (l *Linker) removePrincipal(arn, kind string) {
	if p, ok := l.principals[arn]; ok && p.kind == kind {
		l.index(arn, p, false)
		delete(l.principals, arn)
		l.dirty.principals[arn] = true
	}
}

// Link links what changed since the last Link that succeeded (everything,
// the first time) and returns the resolution of the whole model. On
// failure the error is a [Problems]; the Linker keeps the changes, so that
// a later Link, after the entities at fault were fixed, links them.
func (l *Linker) Link() (*Resolved, error) {
	if l.res != nil && l.dirty.empty() && len(l.resources) == 0 {
		return l.res, nil
	}
	full := l.res == nil
	r := &linkRun{l: l, gen: l.cache.begin()}
	if full {
		r.base = &Resolved{
			principals: newShardMap[principalKey, *PrincipalPolicies](hashPrincipalKey),
			resources:  newShardMap[string, *resolvedResource](hashString),
			scps:       map[string][][]*engine.Document{},
		}
	} else {
		r.base = l.res
	}
	r.linkManaged()
	r.linkSCPs()
	groups := r.linkGroups()
	principals := r.linkPrincipals(groups)
	scps, accounts := r.linkAccounts()
	resources := r.linkResources()
	if len(r.probs) > 0 {
		return nil, r.probs
	}
	res := &Resolved{principals: principals, resources: resources, scps: scps, accounts: accounts}
	l.res, l.live = res, resources
	l.resources = make(map[string]*Resource) // not clear: it may have held a whole model
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

// linkRun is one Link.
type linkRun struct {
	l     *Linker
	gen   uint64
	base  *Resolved
	probs Problems
}

func (r *linkRun) problem(entity, field string, err error) {
	r.probs = append(r.probs, &Problem{Entity: entity, Field: field, Err: err})
}

// parse parses one document through the cache.
func (r *linkRun) parse(entity, field string, raw json.RawMessage, id string, typ engine.PolicyType) *engine.Document {
	if isNull(raw) {
		r.problem(entity, field, errors.New("missing policy document"))
		return nil
	}
	e, err := r.l.cache.parse(r.gen, raw, id, typ)
	if err != nil {
		var pes engine.Errors
		if errors.As(err, &pes) {
			for _, pe := range pes {
				r.problem(entity, field, pe)
			}
			return nil
		}
		r.problem(entity, field, err)
		return nil
	}
	return e.doc
}

// inline parses inline policies in name order.
func (r *linkRun) inline(entity string, docs map[string]json.RawMessage, idPrefix string) ([]*engine.Document, bool) {
	var out []*engine.Document
	ok := true
	for _, name := range sortedKeys(docs) {
		d := r.parse(entity, inlineField(name), docs[name], idPrefix+name, engine.IdentityPolicy)
		ok = ok && d != nil
		out = append(out, d)
	}
	return out, ok
}

func (r *linkRun) linkManaged() {
	for name := range r.l.dirty.managed {
		m, ok := r.l.managed[name]
		if !ok {
			continue
		}
		m.doc = r.parse(keyLabel(m.m.entityKey()), "document", m.m.Document, "managed:"+name, engine.IdentityPolicy)
	}
}

func (r *linkRun) linkSCPs() {
	for name := range r.l.dirty.scps {
		p, ok := r.l.scps[name]
		if !ok {
			continue
		}
		p.doc = r.parse(keyLabel(p.p.entityKey()), "document", p.p.Document, "scp:"+name, engine.SCPPolicy)
	}
}

// managedDoc returns the parse of an attached managed policy, reporting an
// unknown one; nil when it is unknown or did not parse (reported then).
func (r *linkRun) managedDoc(entity, field, name string) *engine.Document {
	m, ok := r.l.managed[name]
	if !ok {
		r.problem(entity, field, fmt.Errorf("unknown managed policy %q", name))
		return nil
	}
	return m.doc
}

// linkGroups links the groups put and those that attach a changed managed
// policy, and returns them all (removed ones included).
func (r *linkRun) linkGroups() map[groupKey]bool {
	affected := maps.Clone(r.l.dirty.groups)
	for name := range r.l.dirty.managed {
		for k := range r.l.groupsOf[name] {
			affected[k] = true
		}
	}
	for k := range affected {
		g, ok := r.l.groups[k]
		if !ok {
			continue
		}
		label := keyLabel(g.g.entityKey())
		if r.l.dirty.groups[k] {
			g.inline, _ = r.inline(label, g.g.InlinePolicies, "group:"+g.g.Name+":inline:")
		}
		g.managed = g.managed[:0:0]
		for j, name := range g.g.ManagedPolicies {
			if doc := r.managedDoc(label, fmt.Sprintf("managed_policies[%d]", j), name); doc != nil {
				g.managed = append(g.managed, r.l.cache.derive(r.gen, doc, "group:"+g.g.Name+":managed:"+name, engine.IdentityPolicy))
			}
		}
	}
	return affected
}

// linkPrincipals links the users and roles put or removed, and those that
// depend on a changed managed policy or group.
func (r *linkRun) linkPrincipals(groups map[groupKey]bool) shardMap[principalKey, *PrincipalPolicies] {
	todo := r.l.dirty.principals
	if len(r.l.dirty.managed) > 0 || len(groups) > 0 {
		todo = maps.Clone(todo)
		for name := range r.l.dirty.managed {
			for arn := range r.l.attachedBy[name] {
				todo[arn] = true
			}
		}
		for k := range groups {
			for arn := range r.l.members[k] {
				todo[arn] = true
			}
		}
	}
	edit := r.base.principals.edit()
	for arn := range todo { // removals first, so that a principal may take the key of one removed
		if _, ok := r.l.principals[arn]; ok {
			continue
		}
		kind := "user"
		if strings.Contains(arn, ":role/") {
			kind = "role"
		}
		if a, err := parseIAMARN(arn, kind); err == nil {
			k := principalKey{a.account, a.kind, a.name}
			if cur, ok := edit.get(k); ok && cur.ARN == arn {
				edit.delete(k)
			}
		}
	}
	for arn := range todo {
		p, ok := r.l.principals[arn]
		if !ok {
			continue
		}
		pp := r.principal(p, r.l.dirty.principals[arn])
		if pp == nil {
			continue
		}
		k := principalKey{p.arn.account, p.arn.kind, p.arn.name}
		if cur, ok := edit.get(k); ok && cur.ARN != arn {
			if _, live := r.l.principals[cur.ARN]; live {
				r.problem(principalLabel(p.arn.kind, 0, arn), "arn",
					fmt.Errorf("duplicate %s: %q has the same name in account %q", p.arn.kind, cur.ARN, p.arn.account))
				continue
			}
		}
		edit.put(k, pp)
	}
	return edit.done()
}

// principal links one user or role; own says whether the principal itself
// changed, so that its inline policies are parsed again.
func (r *linkRun) principal(p *principalRec, own bool) *PrincipalPolicies {
	var arn string
	var inline map[string]json.RawMessage
	var tags map[string]string
	if p.user != nil {
		arn, inline, tags = p.user.ARN, p.user.InlinePolicies, p.user.Tags
	} else {
		arn, inline, tags = p.role.ARN, p.role.InlinePolicies, p.role.Tags
	}
	label := principalLabel(strings.ToLower(p.kind), 0, arn)
	if p.arnErr != nil {
		r.problem(label, "arn", p.arnErr)
		return nil
	}
	ok := true
	if own {
		p.inline, ok = r.inline(label, inline, "inline:"+p.arn.kind+"/"+p.arn.name+":")
	}
	if r.l.copyTags {
		tags = maps.Clone(tags)
	}
	pp := &PrincipalPolicies{ARN: arn, Kind: p.kind, Account: p.arn.account, Tags: tags}
	for j, name := range p.managed() {
		doc := r.managedDoc(label, fmt.Sprintf("managed_policies[%d]", j), name)
		ok = ok && doc != nil
		pp.Identity = append(pp.Identity, doc)
	}
	pp.Identity = append(pp.Identity, p.inline...)
	if p.user != nil {
		for j, name := range p.user.Groups {
			g, found := r.l.groups[groupKey{p.arn.account, name}]
			if !found {
				r.problem(label, fmt.Sprintf("groups[%d]", j), fmt.Errorf("unknown group %q in account %q", name, p.arn.account))
				ok = false
				continue
			}
			pp.Identity = append(append(pp.Identity, g.managed...), g.inline...)
		}
	}
	p.boundary = nil
	if b := p.boundaryName(); b != "" {
		doc := r.managedDoc(label, "permissions_boundary", b)
		if doc == nil {
			return nil
		}
		p.boundary = r.l.cache.derive(r.gen, doc, "boundary:"+b, engine.BoundaryPolicy)
		pp.Boundary = p.boundary
	}
	if !ok || slices.Contains(pp.Identity, nil) {
		return nil
	}
	return pp
}

// linkAccounts links the SCP chains of the accounts put and of those whose
// organization uses a changed SCP.
func (r *linkRun) linkAccounts() (map[string][][]*engine.Document, []string) {
	affected := maps.Clone(r.l.dirty.accounts)
	if len(r.l.dirty.scps) > 0 {
		for id, a := range r.l.accounts {
			if slices.ContainsFunc(a.SCPs, func(level []string) bool {
				return slices.ContainsFunc(level, func(n string) bool { return r.l.dirty.scps[n] })
			}) {
				affected[id] = true
			}
		}
	}
	if len(affected) == 0 {
		return r.base.scps, r.base.accounts
	}
	scps := maps.Clone(r.base.scps)
	for id := range affected {
		a, ok := r.l.accounts[id]
		if !ok {
			delete(scps, id)
			continue
		}
		chain := make([][]*engine.Document, 0, len(a.SCPs))
		for l, level := range a.SCPs {
			docs := make([]*engine.Document, len(level))
			for j, name := range level {
				if p, ok := r.l.scps[name]; !ok {
					r.problem(keyLabel(a.entityKey()), fmt.Sprintf("scps[%d][%d]", l, j), fmt.Errorf("unknown SCP %q", name))
				} else {
					docs[j] = p.doc
				}
			}
			chain = append(chain, docs)
		}
		scps[id] = chain
	}
	return scps, slices.Sorted(maps.Keys(r.l.accounts))
}

// linkResources links the resources put or removed.
func (r *linkRun) linkResources() shardMap[string, *resolvedResource] {
	if len(r.l.resources) == 0 {
		return r.base.resources
	}
	edit := r.base.resources.edit()
	for arn, res := range r.l.resources {
		if res == nil {
			edit.delete(arn)
			delete(r.l.resPolicy, arn)
			continue
		}
		e := &resolvedResource{tags: res.Tags}
		if r.l.copyTags {
			e.tags = maps.Clone(res.Tags)
		}
		if !isNull(res.Policy) {
			e.policy = r.parse(keyLabel(res.entityKey()), "policy", res.Policy, "resource:"+arn, engine.ResourcePolicy)
		}
		if e.policy != nil {
			r.l.resPolicy[arn] = e.policy
		} else {
			delete(r.l.resPolicy, arn)
		}
		edit.put(arn, e)
	}
	return edit.done()
}
