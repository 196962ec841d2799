package entity

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/shardmap"
)

// linkRun is one Link.
type linkRun struct {
	l     *Linker
	gen   uint64
	full  bool // the first Link: every entity was put since, none linked before
	base  *Resolved
	mu    sync.Mutex // guards probs: principals and resources are linked at the same time
	probs Problems
}

func (r *linkRun) problem(entity, field string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
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
// unknown one as a problem of entity in field[index] (field when index is
// negative); nil when it is unknown or did not parse (reported then). The
// entity is named only for a problem: with a hundred thousand principals,
// formatting labels that are never shown is much of the work.
func (r *linkRun) managedDoc(entity func() string, field string, index int, name string) *engine.Document {
	m, ok := r.l.managed[name]
	if !ok {
		if index >= 0 {
			field = fmt.Sprintf("%s[%d]", field, index)
		}
		r.problem(entity(), field, fmt.Errorf("unknown managed policy %q", name))
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
		label := func() string { return keyLabel(g.g.entityKey()) }
		if r.l.dirty.groups[k] {
			g.inline, _ = r.inline(label(), g.g.InlinePolicies, "group:"+g.g.Name+":inline:")
		}
		g.managed = g.managed[:0:0]
		for j, name := range g.g.ManagedPolicies {
			if doc := r.managedDoc(label, "managed_policies", j, name); doc != nil {
				g.managed = append(g.managed, r.l.cache.derive(r.gen, doc, "group:"+g.g.Name+":managed:"+name, engine.IdentityPolicy))
			}
		}
	}
	return affected
}

// linkPrincipals links the users and roles put or removed, and those that
// depend on a changed managed policy or group.
func (r *linkRun) linkPrincipals(groups map[groupKey]bool) shardmap.Map[principalKey, *PrincipalPolicies] {
	if r.full {
		return r.linkAllPrincipals()
	}
	todo := r.l.dirty.principals
	if len(r.l.dirty.managed) > 0 || len(groups) > 0 {
		todo = maps.Clone(todo)
		for name := range r.l.dirty.managed {
			for p := range r.l.attachedBy[name] {
				todo[p.arnText()] = true
			}
		}
		for k := range groups {
			for p := range r.l.members[k] {
				todo[p.arnText()] = true
			}
		}
	}
	edit := r.base.principals.Edit()
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
			if cur, ok := edit.Get(k); ok && cur.ARN == arn {
				edit.Delete(k)
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
		r.putPrincipal(edit, arn, p, pp)
	}
	return edit.Done()
}

// linkAllPrincipals links every user and role of a first Link, which
// removes none and needs not find what depends on a change: every one was
// put since.
func (r *linkRun) linkAllPrincipals() shardmap.Map[principalKey, *PrincipalPolicies] {
	edit := r.base.principals.Edit()
	for arn, p := range r.l.principals {
		pp := r.principal(p, true)
		if pp == nil {
			continue
		}
		r.putPrincipal(edit, arn, p, pp)
	}
	return edit.Done()
}

// putPrincipal puts the links of the principal arn at its key, unless a
// live principal of another ARN holds the key (reported).
func (r *linkRun) putPrincipal(edit *shardmap.Edit[principalKey, *PrincipalPolicies], arn string, p *principalRec, pp *PrincipalPolicies) {
	k := principalKey{p.arn.account, p.arn.kind, p.arn.name}
	if cur, ok := edit.Get(k); ok && cur.ARN != arn {
		if _, live := r.l.principals[cur.ARN]; live {
			r.problem(principalLabel(p.arn.kind, 0, arn), "arn",
				fmt.Errorf("duplicate %s: %q has the same name in account %q", p.arn.kind, cur.ARN, p.arn.account))
			return
		}
	}
	edit.Put(k, pp)
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
	label := func() string { return principalLabel(strings.ToLower(p.kind), 0, arn) }
	if p.arnErr != nil {
		r.problem(label(), "arn", p.arnErr)
		return nil
	}
	ok := true
	if own {
		p.inline = nil
		if len(inline) > 0 {
			p.inline, ok = r.inline(label(), inline, "inline:"+p.arn.kind+"/"+p.arn.name+":")
		}
	}
	if r.l.copyTags {
		tags = maps.Clone(tags)
	}
	pp := &PrincipalPolicies{ARN: arn, Kind: p.kind, Account: p.arn.account, Tags: tags}
	if n := r.identityLen(p); n > 0 { // kept by every principal: sized once
		pp.Identity = make([]*engine.Document, 0, n)
	}
	for j, name := range p.managed() {
		doc := r.managedDoc(label, "managed_policies", j, name)
		ok = ok && doc != nil
		pp.Identity = append(pp.Identity, doc)
	}
	pp.Identity = append(pp.Identity, p.inline...)
	if p.user != nil {
		for j, name := range p.user.Groups {
			g, found := r.l.groups[groupKey{p.arn.account, name}]
			if !found {
				r.problem(label(), fmt.Sprintf("groups[%d]", j), fmt.Errorf("unknown group %q in account %q", name, p.arn.account))
				ok = false
				continue
			}
			pp.Identity = append(append(pp.Identity, g.managed...), g.inline...)
		}
	}
	p.boundary = nil
	if b := p.boundaryName(); b != "" {
		doc := r.managedDoc(label, "permissions_boundary", -1, b)
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

// identityLen returns the number of identity policies of a principal
// whose inline policies are parsed: its managed and inline ones, and those
// of the groups of a user that exist.
func (r *linkRun) identityLen(p *principalRec) int {
	n := len(p.managed()) + len(p.inline)
	if p.user != nil {
		for _, name := range p.user.Groups {
			if g, ok := r.l.groups[groupKey{p.arn.account, name}]; ok {
				n += len(g.managed) + len(g.inline)
			}
		}
	}
	return n
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

// linkResources parses the policies of the resources put with one since
// the last Link and sets their entries in the Linker's edit of the
// resources; the others are there already.
func (r *linkRun) linkResources() {
	for arn, res := range r.l.pending {
		policy := r.parse(keyLabel(res.entityKey()), "policy", res.Policy, "resource:"+arn, engine.ResourcePolicy)
		if policy == nil {
			continue
		}
		r.l.resPolicy[arn] = policy
		old, _ := r.l.resEdit.Get(arn)
		r.l.resEdit.Put(arn, &resolvedResource{policy: policy, tags: old.tags})
	}
}
