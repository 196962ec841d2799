package engine

import (
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// An actionPattern is one entry of Action or NotAction. IAM compares the
// service prefix exactly (without regard to case; it takes no wildcards) and
// the action name with '*' and '?' wildcards, also without regard to case. A
// value made only of '*' covers every action; a value without a colon
// covers none.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
type actionPattern struct {
	src   string // as written: "service:Name"
	colon int32  // the index of ':' in src
	kind  actionKind
	// wild is the action name compiled, when it holds wildcards; an exact
	// name is compared as src[colon+1:]. A policy set holds one pattern per
	// Action entry of every statement, so the exact form, by far the most
	// common, keeps no pattern.
	wild *pattern
}

// actionKind says how an actionPattern matches.
type actionKind uint8

const (
	actionName actionKind = iota // service prefix and action name
	actionAll                    // only '*': every action
	actionNone                   // malformed: no action
)

func compileActionPattern(s string) actionPattern {
	if strings.Trim(s, "*") == "" && s != "" {
		return actionPattern{src: s, kind: actionAll}
	}
	prefix, name, ok := strings.Cut(s, ":")
	if !ok || prefix == "" || name == "" || strings.ContainsAny(prefix, "*?") {
		return actionPattern{src: s, kind: actionNone}
	}
	p := actionPattern{src: s, colon: int32(len(prefix))}
	if strings.ContainsAny(name, "*?") {
		wild := compilePattern(name, patternOptions{wildcards: true})
		p.wild = &wild
	}
	return p
}

// prefix returns the service prefix as written.
func (p *actionPattern) prefix() string { return p.src[:p.colon] }

// name returns the action name as written.
func (p *actionPattern) name() string { return p.src[p.colon+1:] }

// matchName compares an action name with the pattern's, without regard to
// case.
func (p *actionPattern) matchName(name string) bool {
	if p.wild != nil {
		return p.wild.match(name, nil, true)
	}
	return strings.EqualFold(name, p.name())
}

// match reports whether the pattern covers a request's "prefix:Name".
func (p *actionPattern) match(action string) bool {
	switch p.kind {
	case actionAll:
		return true
	case actionNone:
		return false
	}
	prefix, name, ok := strings.Cut(action, ":")
	return ok && strings.EqualFold(prefix, p.prefix()) && p.matchName(name)
}

// exactAction returns the catalog action an exact name covers (nil when
// the catalog has none of that name); isExact is false for the other kinds
// of pattern, whose actions expand lists.
func (p *actionPattern) exactAction(cat *catalog.Catalog) (a *catalog.Action, isExact bool) {
	if p.kind != actionName || p.wild != nil {
		return nil, false
	}
	if svc, ok := cat.Service(strings.ToLower(p.prefix())); ok {
		a, _ = svc.Action(p.name())
	}
	return a, true
}

// expand lists the catalog actions the pattern covers, for the action index.
func (p *actionPattern) expand(cat *catalog.Catalog) []*catalog.Action {
	switch p.kind {
	case actionAll:
		return cat.Actions()
	case actionNone:
		return nil
	}
	svc, ok := cat.Service(strings.ToLower(p.prefix()))
	if !ok {
		return nil
	}
	if p.wild == nil {
		if a, ok := svc.Action(p.name()); ok {
			return []*catalog.Action{a}
		}
		return nil
	}
	var out []*catalog.Action
	for _, a := range svc.Actions {
		if p.wild.match(a.Name, nil, true) {
			out = append(out, a)
		}
	}
	return out
}
