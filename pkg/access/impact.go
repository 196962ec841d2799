package access

import (
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// A Change is one (principal, action, resource) whose answer differs
// between two models.
type Change struct {
	Principal, Action, Resource string
	Before, After               Verdict
}

// A Group counts the changes of one principal or one action.
type Group struct {
	Key     string
	Gained  int // denied before, allowed or conditional after
	Lost    int // allowed or conditional before, denied after
	Changed int // every change, the above included
}

// An UnlistedType is a resource type of which neither model lists a
// resource, but which a changed statement reaches: the changes on its
// resources cannot be listed one by one.
type UnlistedType struct {
	ResourceType string
	ARNFormat    string
	Patterns     []string // the Resource patterns of the changed statements that reach it
}

// An Impact is every difference between the answers of two models.
type Impact struct {
	FromRevision, ToRevision int64
	Changes                  []Change // by principal, action, resource
	ByPrincipal, ByAction    []Group  // by key
	Gained, Lost, Total      int
	UnlistedTypes            []UnlistedType

	before, after *asker
}

// docKeys compares documents across two models: by pointer, and when the
// pointers differ, by ID and canonical text, each document's text made
// once and numbered.
type docKeys struct {
	ids    map[*engine.Document]int
	byText map[string]int
}

func newDocKeys() *docKeys {
	return &docKeys{ids: map[*engine.Document]int{}, byText: map[string]int{}}
}

func (k *docKeys) id(d *engine.Document) int {
	if id, ok := k.ids[d]; ok {
		return id
	}
	text := d.ID + "\x00" + string(d.Format())
	id, ok := k.byText[text]
	if !ok {
		id = len(k.byText)
		k.byText[text] = id
	}
	k.ids[d] = id
	return id
}

// diff appends to out the documents of a that b lacks (after false) and
// those of b that a lacks (after true), in the given layer.
func (k *docKeys) diff(out []heldDoc, layer int, a, b []*engine.Document) []heldDoc {
	if slices.Equal(a, b) {
		return out
	}
	in := func(d *engine.Document, list []*engine.Document) bool {
		if slices.Contains(list, d) {
			return true
		}
		kd := k.id(d)
		return slices.ContainsFunc(list, func(e *engine.Document) bool { return k.id(e) == kd })
	}
	for _, d := range a {
		if !in(d, b) {
			out = append(out, heldDoc{doc: d, layer: layer})
		}
	}
	for _, d := range b {
		if !in(d, a) {
			out = append(out, heldDoc{doc: d, layer: layer, after: true})
		}
	}
	return out
}

// A heldDoc is a document a principal holds in one model and not in the
// other.
type heldDoc struct {
	doc   *engine.Document
	layer int  // layerIdentity, layerBoundary, or layerSCP plus the level
	after bool // held in the model after the change
}

// The policy types a principal's documents belong to.
const (
	layerIdentity = iota
	layerBoundary
	layerSCP
)

// principalDiff appends to out the documents that changed for a
// principal, and reports whether the change can affect every action (a
// boundary or an SCP level that came or went, tags that conditions may
// test).
func (k *docKeys) principalDiff(out []heldDoc, a, b *Principal) (docs []heldDoc, all bool) {
	// derived holds the ARN, the account, the kind and the tags, by name.
	if (a.boundary == nil) != (b.boundary == nil) || len(a.scps) != len(b.scps) || !slices.Equal(a.derived, b.derived) {
		return out, true
	}
	out = k.diff(out, layerIdentity, a.identity, b.identity)
	if a.boundary != nil && a.boundary != b.boundary {
		out = k.diff(out, layerBoundary, []*engine.Document{a.boundary}, []*engine.Document{b.boundary})
	}
	for i := range a.scps {
		out = k.diff(out, layerSCP+i, a.scps[i], b.scps[i])
	}
	return out, false
}

// Compare lists every (principal, action, resource) whose answer differs
// between the models from and to, over the principals of either and the
// resources either lists (or "*" for actions without resource types),
// with open keys as in Ask. It evaluates only what a change can reach: for
// a principal, the actions some changed document of its own covers, on
// the resources a changed statement reaches; for a resource whose policy
// or tags changed, every principal and the actions on its type. Each model
// decides a question once for all the principals that see the same
// statements and values (the verdict cache).
func Compare(from, to *Model) (*Impact, error) {
	c := &comparison{from: from, to: to, keys: newDocKeys(), changes: newChangeIndex(to.cat),
		scopes: make([]*actionScope, to.cat.NumActions()), seenDoc: map[*engine.Document]bool{},
		out: &Impact{FromRevision: from.revision, ToRevision: to.revision, before: from.newAsker(nil), after: to.newAsker(nil)}}
	c.changedRes = changedResources(c.keys, from, to)
	var err error
	eachPrincipal(from, to, func(fp, tp *Principal) bool {
		err = c.principal(fp, tp)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	c.out.unlisted(from, to, c.changedDocs)
	c.out.group()
	c.out.before, c.out.after = nil, nil // the caches are not needed any more
	return c.out, nil
}

// A comparison is one Compare under way.
type comparison struct {
	from, to    *Model
	out         *Impact
	keys        *docKeys
	changes     *changeIndex
	changedRes  []string       // sorted: the resources whose own answer may change for everyone
	scopes      []*actionScope // by action ID, made when first needed
	changedDocs []*engine.Document
	seenDoc     map[*engine.Document]bool
	held        []heldDoc
}

// An actionScope is an action's resources, the same for every principal,
// with the verdict caches of both models and which resources changed.
type actionScope struct {
	before, after *scope
	changed       []uint64
	changedAt     []int
}

// changedResources lists, sorted, the resources either model lists whose
// policy or tags differ between them.
func changedResources(keys *docKeys, from, to *Model) []string {
	var out []string
	for _, r := range to.resources {
		if o, ok := from.byResource[r.ARN]; !ok || !sameResource(keys, o, r) {
			out = append(out, r.ARN)
		}
	}
	for _, r := range from.resources {
		if _, ok := to.byResource[r.ARN]; !ok {
			out = append(out, r.ARN)
		}
	}
	slices.Sort(out)
	return out
}

func (c *comparison) scopeOf(a *catalog.Action) *actionScope {
	if s := c.scopes[a.ID]; s != nil {
		return s
	}
	res := unionResources(c.from, c.to, a)
	s := &actionScope{before: c.out.before.scope(a.FullName, res), after: c.out.after.scope(a.FullName, res),
		changed: make([]uint64, (len(res)+63)/64)}
	for i, r := range res {
		if isChanged(c.changedRes, r) {
			s.changed[i>>6] |= 1 << (i & 63)
			s.changedAt = append(s.changedAt, i)
		}
	}
	c.scopes[a.ID] = s
	return s
}

// principal compares the answers of one principal (nil in the model
// that lacks it) on what a change can reach.
func (c *comparison) principal(fp, tp *Principal) error {
	var ch *changeReach
	all := fp == nil || tp == nil
	if !all {
		c.held, all = c.keys.principalDiff(c.held[:0], fp, tp)
		for _, h := range c.held {
			if !c.seenDoc[h.doc] {
				c.seenDoc[h.doc] = true
				c.changedDocs = append(c.changedDocs, h.doc)
			}
		}
		if !all && len(c.held) > 0 {
			var err error
			if ch, err = c.changes.of(c.from, c.to, c.held); err != nil {
				return err
			}
		}
	}
	if !all && len(c.changedRes) == 0 && (ch == nil || ch.actions == 0) {
		return nil
	}
	for _, a := range c.to.cat.Actions() {
		if !all && (ch == nil || !hasBit(ch.acts, a.ID)) {
			if len(c.changedRes) == 0 {
				continue
			}
			s := c.scopeOf(a)
			for _, i := range s.changedAt {
				c.out.compare(s.before, s.after, fp, tp, i)
			}
			continue
		}
		s := c.scopeOf(a)
		for i := range s.before.resources {
			// Only a request a changed statement reaches can change.
			if all || hasBit(s.changed, i) || hasBit(ch.reached(a.ID, s.before), i) {
				c.out.compare(s.before, s.after, fp, tp, i)
			}
		}
	}
	return nil
}

// eachPrincipal calls f with every principal of either model, in ARN
// order, and its counterpart in the other (nil when it has none), until
// f returns false. Both lists are sorted, so this is a merge.
func eachPrincipal(from, to *Model, f func(fp, tp *Principal) bool) {
	fs, ts := from.principals, to.principals
	for len(fs) > 0 || len(ts) > 0 {
		var fp, tp *Principal
		c := 0
		switch {
		case len(fs) == 0:
			c = 1
		case len(ts) == 0:
			c = -1
		default:
			c = strings.Compare(fs[0].ARN, ts[0].ARN)
		}
		if c <= 0 {
			fp, fs = fs[0], fs[1:]
		}
		if c >= 0 {
			tp, ts = ts[0], ts[1:]
		}
		if !f(fp, tp) {
			return
		}
	}
}

// isChanged reports whether a resource is in the sorted list.
func isChanged(sorted []string, res string) bool {
	_, found := slices.BinarySearch(sorted, res)
	return found
}

// sameResource reports whether a listed resource is governed alike in two
// models.
func sameResource(k *docKeys, a, b *Resource) bool {
	if (a.doc == nil) != (b.doc == nil) || len(a.Tags) != len(b.Tags) {
		return false
	}
	if a.doc != nil && a.doc != b.doc && k.id(a.doc) != k.id(b.doc) {
		return false
	}
	for t, v := range a.Tags {
		if w, ok := b.Tags[t]; !ok || w != v {
			return false
		}
	}
	return true
}

// unionResources lists the resources an action acts on in either model.
func unionResources(from, to *Model, a *catalog.Action) []string {
	if len(a.ResourceTypes) == 0 {
		return []string{"*"}
	}
	var out []string
	for _, r := range to.resourcesFor(a) {
		out = append(out, r.ARN)
	}
	for _, r := range from.resourcesFor(a) {
		if _, ok := to.byResource[r.ARN]; !ok {
			out = append(out, r.ARN)
		}
	}
	slices.Sort(out)
	return out
}

// compare records a change when the two models answer question i of
// their scopes differently; an absent principal is denied everything.
func (im *Impact) compare(bs, as *scope, fp, tp *Principal, i int) {
	before, after := ImplicitDeny, ImplicitDeny
	if fp != nil {
		before = im.before.sharedVerdict(bs, fp, i)
	}
	if tp != nil {
		after = im.after.sharedVerdict(as, tp, i)
	}
	if before == after {
		return
	}
	arn := ""
	if tp != nil {
		arn = tp.ARN
	} else {
		arn = fp.ARN
	}
	im.Changes = append(im.Changes, Change{Principal: arn, Action: as.action, Resource: as.resources[i], Before: before, After: after})
}

// group sorts the changes and counts them per principal and per action.
func (im *Impact) group() {
	slices.SortFunc(im.Changes, func(a, b Change) int {
		if c := strings.Compare(a.Principal, b.Principal); c != 0 {
			return c
		}
		if c := strings.Compare(a.Action, b.Action); c != 0 {
			return c
		}
		return strings.Compare(a.Resource, b.Resource)
	})
	byP, byA := map[string]*Group{}, map[string]*Group{}
	for _, c := range im.Changes {
		gained := c.Before.Denied() && !c.After.Denied()
		lost := !c.Before.Denied() && c.After.Denied()
		for _, g := range []*Group{groupOf(byP, c.Principal), groupOf(byA, c.Action)} {
			g.Changed++
			if gained {
				g.Gained++
			}
			if lost {
				g.Lost++
			}
		}
		im.Total++
		if gained {
			im.Gained++
		}
		if lost {
			im.Lost++
		}
	}
	im.ByPrincipal, im.ByAction = sortedGroups(byP), sortedGroups(byA)
}

func groupOf(m map[string]*Group, k string) *Group {
	g := m[k]
	if g == nil {
		g = &Group{Key: k}
		m[k] = g
	}
	return g
}

func sortedGroups(m map[string]*Group) []Group {
	out := make([]Group, 0, len(m))
	for _, g := range m {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// unlisted finds the resource types no model lists a resource of that a
// changed statement reaches.
func (im *Impact) unlisted(from, to *Model, docs []*engine.Document) {
	for _, rt := range to.cat.ResourceTypes() {
		if len(to.byType[rt]) > 0 || len(from.byType[rt]) > 0 {
			continue
		}
		var pats []string
		for _, d := range docs {
			for _, st := range d.Statements {
				res, not := st.Resources()
				for _, r := range res {
					if (not || rt.Overlaps(r.Value)) && !slices.Contains(pats, r.Value) && statementActsOn(to.cat, st, rt) {
						pats = append(pats, r.Value)
					}
				}
			}
		}
		if len(pats) > 0 {
			im.UnlistedTypes = append(im.UnlistedTypes, UnlistedType{ResourceType: rt.Service.Prefix + ":" + rt.Name, ARNFormat: rt.ARNFormat, Patterns: pats})
		}
	}
}

// statementActsOn reports whether a statement's Action (or NotAction)
// covers an action on resources of type rt.
func statementActsOn(cat *catalog.Catalog, st *engine.Statement, rt *catalog.ResourceType) bool {
	list, not := st.Actions()
	for _, a := range cat.ActionsFor(rt) {
		hit := false
		for _, pat := range list {
			for _, m := range cat.ActionsMatching(pat.Value) {
				if m == a {
					hit = true
				}
			}
		}
		if hit != not {
			return true
		}
	}
	return false
}
