package access

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// Page selects part of an ordered answer: the entries after After (an ARN
// or action name, exclusive; "" for the start), at most Size of them (0 for
// all). After is a keyset cursor, the last entry of the previous page: a
// value that cannot be one of the listing (see cursor.go) is an
// InputError for "page_token".
type Page struct {
	After string
	Size  int
}

// Options are common to the list questions.
type Options struct {
	Context Context
	// IncludeDenied lists denied entries too; by default a list holds the
	// allowed and conditional ones.
	IncludeDenied bool
	Page          Page
}

// A PrincipalAnswer is one principal's answer to WhoCan.
type PrincipalAnswer struct {
	Principal *Principal
	Answer
}

// A ResourceAnswer is the answer for one listed resource.
type ResourceAnswer struct {
	Resource string
	Answer
}

// An ActionAnswer is the answer for one action.
type ActionAnswer struct {
	Action string
	Answer
}

// checkAction resolves an action name against the catalog.
func (m *Model) checkAction(action string) (*catalog.Action, error) {
	a, ok := m.cat.Action(action)
	if !ok {
		msg := fmt.Sprintf("unknown action %q", action)
		if sug, ok := m.cat.SuggestAction(action); ok {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		return nil, &InputError{Field: "action", Msg: msg}
	}
	return a, nil
}

// An InputError is a question the model cannot answer as asked.
type InputError struct {
	Field string // "action", "resource", "principal", "context"
	Msg   string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Msg }

func (m *Model) checkInput(o *Options) error {
	if err := CheckContext(o.Context); err != nil {
		return &InputError{Field: "context", Msg: strings.TrimPrefix(err.Error(), "context: ")}
	}
	if o.Page.Size < 0 {
		return &InputError{Field: "page_size", Msg: fmt.Sprintf("negative page size %d", o.Page.Size)}
	}
	return nil
}

// principal finds a principal by its ARN, a role ARN without its path, or
// a session ARN of a role, as the server finds callers.
func (m *Model) principal(arn string) (*Principal, error) {
	p, ok := m.byARN[arn]
	if !ok {
		if pp, found := m.resolved.Principal(arn); found {
			p, ok = m.byARN[pp.ARN]
		}
	}
	if !ok {
		return nil, &InputError{Field: "principal", Msg: fmt.Sprintf("principal %q is not in the model (want the ARN of a user or role)", arn)}
	}
	return p, nil
}

func checkResource(resource string) error {
	if resource != "*" && !engine.IsARN(resource) {
		return &InputError{Field: "resource", Msg: fmt.Sprintf("malformed resource %q: want an ARN or \"*\"", resource)}
	}
	return nil
}

// keep reports whether an answer belongs in a list.
func (o *Options) keep(v Verdict) bool { return o.IncludeDenied || !v.Denied() }

// WhoCan answers, for every principal of the model in ARN order, whether
// it may perform action on resource. It returns one page and the ARN to
// pass as Page.After for the next ("" after the last). Principals that see
// the question alike share one answer: entries may share their
// statements, conditions and example contexts, which callers only read.
func (m *Model) WhoCan(action, resource string, o Options) ([]PrincipalAnswer, string, error) {
	if _, err := m.checkAction(action); err != nil {
		return nil, "", err
	}
	if err := checkResource(resource); err != nil {
		return nil, "", err
	}
	if err := m.checkInput(&o); err != nil {
		return nil, "", err
	}
	if err := checkPrincipalCursor(o.Page.After); err != nil {
		return nil, "", err
	}
	start := sort.Search(len(m.principals), func(i int) bool { return m.principals[i].ARN > o.Page.After })
	// A principal none of whose identity statements covers the action is
	// denied without evaluating, unless the resource's policy may grant
	// it; identity sets are shared, so each is looked at once (sc.covers).
	policy, _, _, _ := m.governing(resource)
	byPolicy := policy.Covers(action)
	ask := m.newAsker(o.Context)
	// Principals that see the same statements and values are decided once.
	sc := ask.scope(action, []string{resource})
	var out []PrincipalAnswer
	for _, p := range m.principals[start:] {
		var a Answer // ImplicitDeny
		if sc.covers(p.idSet) || byPolicy {
			ans := ask.sharedKeep(sc, &o, p, 0)
			if ans == nil {
				continue
			}
			a = *ans
		} else if !o.IncludeDenied {
			continue
		}
		if o.Page.Size > 0 && len(out) == o.Page.Size {
			return out, out[len(out)-1].Principal.ARN, nil
		}
		out = append(out, PrincipalAnswer{Principal: p, Answer: a})
	}
	return out, "", nil
}

// WhatCan answers, for every catalog action that can act on resource, in
// name order, whether the principal may perform it there.
func (m *Model) WhatCan(principal, resource string, o Options) ([]ActionAnswer, error) {
	p, err := m.principal(principal)
	if err != nil {
		return nil, err
	}
	if err := checkResource(resource); err != nil {
		return nil, err
	}
	if err := m.checkInput(&o); err != nil {
		return nil, err
	}
	var out []ActionAnswer
	ask := m.newAsker(o.Context)
	for _, a := range m.cat.Actions() {
		if !actsOn(a, resource) {
			continue
		}
		if ans := ask.keep(&o, p, a.FullName, resource); ans != nil {
			out = append(out, ActionAnswer{Action: a.FullName, Answer: *ans})
		}
	}
	return out, nil
}

// actsOn reports whether an action can name resource: "*" for an action
// without resource types, an ARN of one of its types otherwise.
func actsOn(a *catalog.Action, resource string) bool {
	if resource == "*" {
		return len(a.ResourceTypes) == 0
	}
	_, ok := a.ResourceFor(resource)
	return ok
}

// A Scope is one Resource pattern of an Allow or Deny statement, with the
// conditions the statement puts on it.
type Scope struct {
	Pattern     string
	NotResource bool
	Effect      engine.Effect
	PolicyID    string
	Sid         string
	Index       int
	Conditions  []engine.ConditionTerm
}

// A TypeScope says where a principal's identity policies allow an action
// on one resource type: the patterns of the Allow statements that can
// reach resources of the type, and of the Deny statements that can take
// them back.
type TypeScope struct {
	Action       string
	ResourceType string // "" for an action without resource types
	ARNFormat    string
	Allow, Deny  []Scope
	// Listed is the number of resources of the type the model lists.
	Listed int
}

// Scopes returns, for every catalog action in name order and every
// resource type it acts on, where the principal's identity policies allow
// it; actions no Allow reaches, or that an SCP level or the boundary does
// not allow at all, are left out. Resource policies are not included:
// they grant per resource, which WhichResources answers.
func (m *Model) Scopes(principal string) ([]TypeScope, error) {
	p, err := m.principal(principal)
	if err != nil {
		return nil, err
	}
	var out []TypeScope
	for _, a := range m.cat.Actions() {
		out = append(out, m.scopes(p, a)...)
	}
	return out, nil
}

// scopes returns the type scopes of one action for a principal.
func (m *Model) scopes(p *Principal, a *catalog.Action) []TypeScope {
	if !m.ceilingAllows(p, a.FullName) {
		return nil
	}
	stmts := p.policies.Identity.StatementsFor(a.FullName)
	if !anyOf(stmts, func(s engine.StatementInfo) bool { return s.Effect == engine.EffectAllow }) {
		return nil
	}
	var out []TypeScope
	if len(a.ResourceTypes) == 0 {
		ts := TypeScope{Action: a.FullName}
		for _, s := range stmts {
			ts.add(s, func(string) bool { return true })
		}
		return append(out, ts)
	}
	for _, ar := range a.ResourceTypes {
		rt := ar.Type
		ts := TypeScope{Action: a.FullName, ResourceType: rt.Name, ARNFormat: rt.ARNFormat, Listed: len(m.byType[rt])}
		for _, s := range stmts {
			ts.add(s, rt.Overlaps)
		}
		if len(ts.Allow) > 0 {
			out = append(out, ts)
		}
	}
	return out
}

// add records the patterns of a statement that overlap the type.
func (ts *TypeScope) add(s engine.StatementInfo, overlaps func(string) bool) {
	for _, pat := range s.Resources {
		if !s.NotResource && !overlaps(pat) {
			continue
		}
		sc := Scope{Pattern: pat, NotResource: s.NotResource, Effect: s.Effect, PolicyID: s.PolicyID, Sid: s.Sid,
			Index: s.Index, Conditions: s.Conditions}
		if s.Effect == engine.EffectAllow {
			ts.Allow = append(ts.Allow, sc)
		} else {
			ts.Deny = append(ts.Deny, sc)
		}
	}
}

// ceilingAllows reports whether every SCP level and the boundary have an
// Allow statement covering the action: without one, no resource is
// allowed.
func (m *Model) ceilingAllows(p *Principal, action string) bool {
	sets := append([]*engine.PolicySet{}, p.policies.SCPs...)
	if p.policies.Boundary != nil {
		sets = append(sets, p.policies.Boundary)
	}
	for _, ps := range sets {
		if !anyOf(ps.StatementsFor(action), func(s engine.StatementInfo) bool { return s.Effect == engine.EffectAllow }) {
			return false
		}
	}
	return true
}

func anyOf[T any](s []T, f func(T) bool) bool {
	for _, v := range s {
		if f(v) {
			return true
		}
	}
	return false
}

// Resources is the answer of WhichResources.
type Resources struct {
	// Listed holds the listed resources, in ARN order, one page of them.
	Listed []ResourceAnswer
	Next   string // Page.After for the next page; "" after the last
	// Unlisted says, per resource type of the action, under which
	// patterns the principal's identity policies allow the action on
	// resources the model does not list, with their conditions (those on
	// aws:ResourceTag keys decide by the resource's tags).
	Unlisted []TypeScope
	// EmptyTypes names the action's resource types of which the model
	// lists no resource.
	EmptyTypes []string
}

// WhichResources answers on which resources the principal may perform
// action: every listed resource of the action's resource types (or "*"
// for an action without any), and the patterns that reach the others.
func (m *Model) WhichResources(principal, action string, o Options) (*Resources, error) {
	p, err := m.principal(principal)
	if err != nil {
		return nil, err
	}
	a, err := m.checkAction(action)
	if err != nil {
		return nil, err
	}
	if err := m.checkInput(&o); err != nil {
		return nil, err
	}
	if err := checkResourceCursor(o.Page.After); err != nil {
		return nil, err
	}
	out := &Resources{Unlisted: m.scopes(p, a)}
	var list []*Resource
	if len(a.ResourceTypes) == 0 {
		list = []*Resource{{ARN: "*"}}
	} else {
		list = m.resourcesFor(a)
		for _, ar := range a.ResourceTypes {
			if len(m.byType[ar.Type]) == 0 {
				out.EmptyTypes = append(out.EmptyTypes, ar.Type.Name)
			}
		}
	}
	start := sort.Search(len(list), func(i int) bool { return list[i].ARN > o.Page.After })
	ask := m.newAsker(o.Context)
	for _, r := range list[start:] {
		ans := ask.keep(&o, p, a.FullName, r.ARN)
		if ans == nil {
			continue
		}
		if o.Page.Size > 0 && len(out.Listed) == o.Page.Size {
			out.Next = out.Listed[len(out.Listed)-1].Resource
			return out, nil
		}
		out.Listed = append(out.Listed, ResourceAnswer{Resource: r.ARN, Answer: *ans})
	}
	return out, nil
}
