package access

import (
	"maps"
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

// diff returns the documents of a and b that the other lacks.
func (k *docKeys) diff(a, b []*engine.Document) []*engine.Document {
	if slices.Equal(a, b) {
		return nil
	}
	in := func(d *engine.Document, list []*engine.Document) bool {
		if slices.Contains(list, d) {
			return true
		}
		kd := k.id(d)
		return slices.ContainsFunc(list, func(e *engine.Document) bool { return k.id(e) == kd })
	}
	var out []*engine.Document
	for _, d := range a {
		if !in(d, b) {
			out = append(out, d)
		}
	}
	for _, d := range b {
		if !in(d, a) {
			out = append(out, d)
		}
	}
	return out
}

// principalDiff returns the documents that changed for a principal, and
// whether the change can affect every action (a boundary or an SCP level
// that came or went, tags that conditions may test).
func (k *docKeys) principalDiff(a, b *Principal) (docs []*engine.Document, all bool) {
	if (a.boundary == nil) != (b.boundary == nil) || len(a.scps) != len(b.scps) || !maps.Equal(a.Tags, b.Tags) || a.ARN != b.ARN {
		return nil, true
	}
	docs = k.diff(a.identity, b.identity)
	if a.boundary != nil && a.boundary != b.boundary {
		docs = append(docs, k.diff([]*engine.Document{a.boundary}, []*engine.Document{b.boundary})...)
	}
	for i := range a.scps {
		docs = append(docs, k.diff(a.scps[i], b.scps[i])...)
	}
	return docs, false
}

// Compare lists every (principal, action, resource) whose answer differs
// between the models from and to, over the principals of either and the
// resources either lists (or "*" for actions without resource types),
// with open keys as in Ask. It evaluates only what a change can reach: for
// a principal, the actions some changed document of its own covers; for a
// resource whose policy or tags changed, every principal and the actions
// on its type.
func Compare(from, to *Model) (*Impact, error) {
	cat := to.cat
	keys := newDocKeys()
	out := &Impact{FromRevision: from.revision, ToRevision: to.revision, before: from.newAsker(nil), after: to.newAsker(nil)}
	var changedDocs []*engine.Document
	seenDoc := map[*engine.Document]bool{}

	// The resources whose own answer may change for everyone.
	var changedRes []string
	for _, r := range to.resources {
		if o, ok := from.byResource[r.ARN]; !ok || !sameResource(keys, o, r) {
			changedRes = append(changedRes, r.ARN)
		}
	}
	for _, r := range from.resources {
		if _, ok := to.byResource[r.ARN]; !ok {
			changedRes = append(changedRes, r.ARN)
		}
	}
	slices.Sort(changedRes)

	// The principals of either model, in ARN order.
	arns := make([]string, 0, len(to.principals))
	for _, p := range to.principals {
		arns = append(arns, p.ARN)
	}
	for _, p := range from.principals {
		if _, ok := to.byARN[p.ARN]; !ok {
			arns = append(arns, p.ARN)
		}
	}
	slices.Sort(arns)

	n := cat.NumActions()
	acts := make([]bool, n)
	// The resources of an action are the same for every principal: listed
	// once per action, when first needed.
	actionResources := make([][]string, n)
	var reach []*engine.CompiledDocument // the changed documents of a principal
	for _, arn := range arns {
		fp, tp := from.byARN[arn], to.byARN[arn]
		clear(acts)
		reach = reach[:0]
		all := fp == nil || tp == nil
		if !all {
			docs, every := keys.principalDiff(fp, tp)
			all = every
			for _, d := range docs {
				if !seenDoc[d] {
					seenDoc[d] = true
					changedDocs = append(changedDocs, d)
				}
				m := to
				if !inPrincipal(tp, d) {
					m = from
				}
				cd, err := m.resolved.Compile(cat, d)
				if err != nil {
					return nil, err
				}
				reach = append(reach, cd)
				ids, every := cd.Actions()
				if every {
					for _, a := range cat.Actions() {
						acts[a.ID] = true
					}
					continue
				}
				for _, id := range ids {
					acts[id] = true
				}
			}
		}
		if !all && len(changedRes) == 0 && !slices.Contains(acts, true) {
			continue
		}
		for _, a := range cat.Actions() {
			if all || acts[a.ID] {
				if actionResources[a.ID] == nil {
					actionResources[a.ID] = unionResources(from, to, a)
				}
				for _, res := range actionResources[a.ID] {
					// Only a request a changed statement reaches can change.
					if all || reaches(reach, a.FullName, res) || isChanged(changedRes, res) {
						out.compare(from, to, fp, tp, a.FullName, res)
					}
				}
				continue
			}
			for _, res := range changedRes {
				if actsOn(a, res) {
					out.compare(from, to, fp, tp, a.FullName, res)
				}
			}
		}
	}
	out.unlisted(from, to, changedDocs)
	out.group()
	return out, nil
}

// inPrincipal reports whether a document governs a principal: one of its
// identity policies, its boundary, or an SCP of its account.
func inPrincipal(p *Principal, d *engine.Document) bool {
	if slices.Contains(p.identity, d) || p.boundary == d {
		return true
	}
	for _, level := range p.scps {
		if slices.Contains(level, d) {
			return true
		}
	}
	return false
}

// isChanged reports whether a resource is in the sorted list.
func isChanged(sorted []string, res string) bool {
	_, found := slices.BinarySearch(sorted, res)
	return found
}

// reaches reports whether one of the documents reaches a request.
func reaches(docs []*engine.CompiledDocument, action, resource string) bool {
	for _, cd := range docs {
		if cd.Reaches(action, resource) {
			return true
		}
	}
	return false
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

// compare records a change when the two models answer differently; an
// absent principal is denied everything.
func (im *Impact) compare(from, to *Model, fp, tp *Principal, action, resource string) {
	before, after := ImplicitDeny, ImplicitDeny
	if fp != nil {
		before = im.before.verdict(fp, action, resource)
	}
	if tp != nil {
		after = im.after.verdict(tp, action, resource)
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
	im.Changes = append(im.Changes, Change{Principal: arn, Action: action, Resource: resource, Before: before, After: after})
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
