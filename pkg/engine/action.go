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
	src    string // as written
	all    bool
	none   bool
	prefix string // lower case
	name   pattern
}

func compileActionPattern(s string) actionPattern {
	if strings.Trim(s, "*") == "" && s != "" {
		return actionPattern{src: s, all: true}
	}
	prefix, name, ok := strings.Cut(s, ":")
	if !ok || prefix == "" || name == "" || strings.ContainsAny(prefix, "*?") {
		return actionPattern{src: s, none: true}
	}
	return actionPattern{src: s, prefix: strings.ToLower(prefix), name: compilePattern(name, patternOptions{wildcards: true})}
}

// match reports whether the pattern covers a request's "prefix:Name".
func (p *actionPattern) match(action string) bool {
	if p.all {
		return true
	}
	if p.none {
		return false
	}
	prefix, name, ok := strings.Cut(action, ":")
	return ok && strings.EqualFold(prefix, p.prefix) && p.name.match(name, nil, true)
}

// expand lists the catalog actions the pattern covers, for the action index.
func (p *actionPattern) expand(cat *catalog.Catalog) []*catalog.Action {
	switch {
	case p.all:
		return cat.Actions()
	case p.none:
		return nil
	}
	svc, ok := cat.Service(p.prefix)
	if !ok {
		return nil
	}
	if p.name.exact {
		if a, ok := svc.Action(p.name.text); ok {
			return []*catalog.Action{a}
		}
		return nil
	}
	var out []*catalog.Action
	for _, a := range svc.Actions {
		if p.name.match(a.Name, nil, true) {
			out = append(out, a)
		}
	}
	return out
}
