package snapshot

import (
	"maps"
	"reflect"

	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// A snapshot keeps no table of its resources: the resolution it was
// compiled from lists every one, with its tags and whether it has a policy
// of its own, in a table a million resources long that the follower's
// Linker keeps anyway. A second table of the same keys would double the
// work of a full build and the memory the collector scans.
//
// What the snapshot adds is small: for each resource with a policy of its
// own, a governor, which holds the compiled policy and the entries of the
// listed resources it governs, one per tag map; and the entries of the
// listed resources no policy governs, one per tag map. Finding what
// governs a resource reads the resolution's table once, then looks for the
// nearest governor among the resource's ancestors (a resource's own policy
// governs the resources under it, as an app's governs its campaigns).
//
// Entries are immutable and shared, as the decision services key what they
// derive from an entry by its pointer: a snapshot made from another keeps
// its entries and governors where nothing they hold changed.

// A governor is a resource with a policy of its own.
type governor struct {
	arn    string
	own    *Resource             // the resource's own entry
	tagged map[uintptr]*Resource // the listed resources it governs, by tag map (tagsID)
}

// tagsID identifies a tag map. Tag maps are shared (a follower decodes
// equal tags into one map), so a million resources have a few dozen.
func tagsID(tags map[string]string) uintptr { return reflect.ValueOf(tags).Pointer() }

// Resource finds what governs a resource: its own entry, or for a resource
// the model does not list, the policy of its nearest listed ancestor (an
// app's policy governs its campaigns and segments). known is true only for
// a listed resource, whose tags are then authoritative.
func (s *Snapshot) Resource(arn string) (e *Resource, known bool) {
	doc, tags, listed := s.resolved.ListedResource(arn)
	if listed && doc != nil {
		if g, ok := s.governors.byARN.Get(arn); ok {
			return g.own, true
		}
	}
	g := s.governors.above(arn)
	if !listed {
		if g == nil {
			return nil, false
		}
		return g.own.passed, false
	}
	m, policy, passed := s.ungoverned, (*engine.PolicySet)(nil), (*Resource)(nil)
	if g != nil {
		m, policy, passed = g.tagged, g.own.policy, g.own.passed
	}
	if e, ok := m[tagsID(tags)]; ok {
		return e, true
	}
	// Every listed resource's entry is made with the snapshot; this is
	// only a safe answer should one be missing.
	return &Resource{policy: policy, tags: tags, passed: passed}, true
}

// resourceOwner is a resource with a policy of its own that a build makes
// a governor of.
type resourceOwner struct {
	arn  string
	tags map[string]string
	doc  *engine.Document
	own  *engine.PolicySet // kept from prev's governor when doc did not change
	ref  *setRef           // to compile own from otherwise
	prev *governor         // prev's governor of the resource, if any
}

// resources compiles the own policies of the resources that changed (all,
// without prev) and makes their governors, then the entries of the listed
// resources a change may have given another governor or other tags.
func (b *snapshotBuilder) resources(res *entity.Resolved) error {
	if b.prev == nil {
		return b.allResources(res)
	}
	b.governorE, b.ungoverned = b.prev.governors.edit(), b.prev.ungoverned
	var owners []resourceOwner
	var moved []string // resources whose own policy came, went or changed
	type plain struct {
		arn  string
		tags map[string]string
	}
	var plains []plain
	for arn := range res.ChangedResources(b.prevRes) {
		doc, tags, listed := res.ListedResource(arn)
		oldDoc, _, _ := b.prevRes.ListedResource(arn)
		old, _ := b.prev.governors.byARN.Get(arn)
		if oldDoc != doc {
			moved = append(moved, arn)
			if old != nil {
				b.governorE.set(arn, nil)
			}
		}
		switch {
		case doc != nil:
			o := resourceOwner{arn: arn, tags: tags, doc: doc, prev: old}
			if old != nil && old.own.doc == doc {
				o.own = old.own.own
			} else {
				o.ref = b.resourceSets.add(owner{what: "resource", name: arn}, []*engine.Document{doc})
			}
			owners = append(owners, o)
		case listed:
			plains = append(plains, plain{arn, tags})
		}
	}
	if err := b.resourceSets.compileAll(); err != nil {
		return err
	}
	b.makeGovernors(owners)
	for _, arn := range moved {
		res.EachResourceUnder(arn, func(arn string, doc *engine.Document, tags map[string]string) bool {
			if doc == nil {
				b.entryFor(arn, tags)
			}
			return true
		})
	}
	for _, p := range plains {
		b.entryFor(p.arn, p.tags)
	}
	return nil
}

// allResources is resources without prev: a governor for each resource
// with a policy of its own, then an entry for each tag map under each
// governor and under none.
func (b *snapshotBuilder) allResources(res *entity.Resolved) error {
	var owners []resourceOwner
	res.EachResource(func(arn string, doc *engine.Document, tags map[string]string) bool {
		if doc != nil {
			owners = append(owners, resourceOwner{arn: arn, tags: tags, doc: doc,
				ref: b.resourceSets.add(owner{what: "resource", name: arn}, []*engine.Document{doc})})
		}
		return true
	})
	if err := b.resourceSets.compileAll(); err != nil {
		return err
	}
	b.governorE = newGovernorIndex(len(owners)).edit()
	b.ungoverned, b.ungovernedOwn = make(map[uintptr]*Resource), true
	b.makeGovernors(owners)
	res.EachResource(func(arn string, doc *engine.Document, tags map[string]string) bool {
		if doc == nil {
			b.entryFor(arn, tags)
		}
		return true
	})
	return nil
}

// makeGovernors puts the governors of owners, whose own policies are
// compiled. A governor whose policy did not change keeps the entries of
// its predecessor.
func (b *snapshotBuilder) makeGovernors(owners []resourceOwner) {
	for i := range owners {
		o := &owners[i]
		if o.ref != nil {
			o.own = o.ref.ps
		}
		g := &governor{arn: o.arn, tagged: make(map[uintptr]*Resource)}
		passed := &Resource{policy: o.own}
		if o.prev != nil && o.prev.own.own == o.own {
			g.tagged, passed = maps.Clone(o.prev.tagged), o.prev.own.passed
		}
		g.own = &Resource{policy: o.own, tags: o.tags, own: o.own, doc: o.doc, passed: passed}
		b.governorE.set(o.arn, g)
		b.fresh[g] = true
	}
}

// entryFor makes sure the snapshot has an entry for the listed resource
// arn, which has no policy of its own, with tags: under its nearest
// governor, or under none.
func (b *snapshotBuilder) entryFor(arn string, tags map[string]string) {
	id := tagsID(tags)
	g := b.governorE.above(arn)
	if g == nil {
		if _, ok := b.ungoverned[id]; !ok {
			if !b.ungovernedOwn {
				b.ungoverned, b.ungovernedOwn = maps.Clone(b.ungoverned), true
			}
			b.ungoverned[id] = &Resource{tags: tags}
		}
		return
	}
	if _, ok := g.tagged[id]; ok {
		return
	}
	if !b.fresh[g] { // prev's: copied before it changes
		g = &governor{arn: g.arn, own: g.own, tagged: maps.Clone(g.tagged)}
		b.governorE.set(g.arn, g)
		b.fresh[g] = true
	}
	g.tagged[id] = &Resource{policy: g.own.policy, tags: tags, passed: g.own.passed}
}
