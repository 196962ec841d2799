package policycheck

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// A stmt is one policy statement reduced to what the checks reason about.
type stmt struct {
	src  *engine.Statement
	deny bool
	// actions holds the catalog actions the statement names, by Action.ID.
	actions []bool
	// resources are the Resource or NotResource patterns; allResources is
	// set when the statement has neither element.
	resources    []string
	notResource  bool
	allResources bool
	// conds are the statement's condition clauses in a canonical form.
	conds []string
	// principals is who the statement applies to (resource policies).
	principals principalSet
	// variables: policy variables are expanded in this document.
	variables bool
}

// principalSet is the principals a statement applies to.
type principalSet struct {
	any     bool
	entries map[string]bool
}

// covers reports whether every principal of q is in p.
func (p principalSet) covers(q principalSet) bool {
	if p.any {
		return true
	}
	if q.any {
		return false
	}
	for e := range q.entries {
		if !p.entries[e] {
			return false
		}
	}
	return true
}

// statements reduces the statements of a parsed document. notes collects
// what the document says outside pdp's domain.
func (c *Checker) statements(doc *engine.Document, typ engine.PolicyType, notes *[]string) []*stmt {
	out := make([]*stmt, 0, len(doc.Statements))
	for _, s := range doc.Statements {
		st := &stmt{
			src:       s,
			deny:      s.Effect == engine.EffectDeny,
			actions:   make([]bool, c.cat.NumActions()),
			conds:     canonicalConds(s.Conditions),
			variables: doc.Variables(),
		}
		pats, not := s.Actions()
		for _, p := range pats {
			matched := c.cat.MatchActions(p.Value)
			for _, a := range matched {
				st.actions[a.ID] = true
			}
			if n := c.outsideNote(p.Value, len(matched)); n != "" && !not && !st.deny {
				*notes = append(*notes, fmt.Sprintf("%s: %s", label(doc.ID, s), n))
			}
		}
		if not {
			for i := range st.actions {
				st.actions[i] = !st.actions[i]
			}
			if !st.deny {
				*notes = append(*notes, fmt.Sprintf("%s: NotAction also allows every action of other services; "+
					"pdp checks only %s", label(doc.ID, s), c.servicesText()))
			}
		}
		res, notRes := s.Resources()
		st.notResource = notRes
		st.allResources = res == nil
		for _, r := range res {
			st.resources = append(st.resources, r.Value)
		}
		st.principals = principalsOf(s, typ)
		out = append(out, st)
	}
	return out
}

// principalsOf gives the principals a statement applies to. Identity
// policies apply to their holder alone, which every statement covers.
// NotPrincipal is taken as every principal, which is what it may reach.
func principalsOf(s *engine.Statement, typ engine.PolicyType) principalSet {
	if typ != engine.ResourcePolicy || s.NotPrincipal != nil || s.Principal == nil || s.Principal.Any {
		return principalSet{any: true}
	}
	ps := principalSet{entries: map[string]bool{}}
	for _, e := range s.Principal.Entries {
		v := e.Value
		if e.Type == "AWS" && engine.IsAccountID(v) {
			v = "arn:aws:iam::" + v + ":root"
		}
		if v == "*" {
			return principalSet{any: true}
		}
		ps.entries[e.Type+"\x00"+v] = true
	}
	return ps
}

// narrowPrincipals is the principal set of a statement when it must be
// proven to apply: NotPrincipal then applies to nobody for certain.
func narrowPrincipals(st *stmt) principalSet {
	if st.src.NotPrincipal != nil {
		return principalSet{entries: map[string]bool{}}
	}
	return st.principals
}

// canonicalConds writes each condition clause as operator, key (case
// folded, as IAM matches keys) and sorted values, so that equal clauses
// compare equal whatever their order in the text.
func canonicalConds(cs []*engine.Condition) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		vals := make([]string, len(c.Values))
		for i, v := range c.Values {
			vals[i] = v.Text
		}
		slices.Sort(vals)
		out = append(out, c.Operator+"\x00"+strings.ToLower(c.Key)+"\x00"+strings.Join(vals, "\x00"))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// condsWithin reports whether every clause of a is in b: a statement with
// conditions b then applies only when one with conditions a does.
func condsWithin(a, b []string) bool {
	for _, c := range a {
		if _, ok := slices.BinarySearch(b, c); !ok {
			return false
		}
	}
	return true
}

// outsideNote says what an Action pattern names outside the catalog's
// services, or that it names no action, or "" when it names only catalog
// actions; matched is the number of catalog actions it names.
func (c *Checker) outsideNote(pattern string, matched int) string {
	prefix, _, ok := strings.Cut(pattern, ":")
	if !ok && strings.Trim(pattern, "*") == "" {
		return fmt.Sprintf("action %q also matches every action of other services; pdp checks only %s", pattern, c.servicesText())
	}
	if !ok || strings.ContainsAny(prefix, "*?") {
		return fmt.Sprintf("action %q names no action (a service prefix is written in full, without wildcards)", pattern)
	}
	if _, known := c.cat.Service(prefix); !known {
		return fmt.Sprintf("action %q is outside pdp's domain (%s) and is not checked", pattern, c.servicesText())
	}
	if matched == 0 {
		return fmt.Sprintf("action %q names no action of the catalog (pdp validate suggests the closest)", pattern)
	}
	return ""
}

func (c *Checker) servicesText() string {
	names := make([]string, 0, 2)
	for _, s := range c.cat.Services() {
		names = append(names, s.Prefix)
	}
	return strings.Join(names, " and ")
}

// label names a statement in notes: `new Statement[1] (Sid "X")`.
func label(policy string, s *engine.Statement) string {
	l := fmt.Sprintf("%s Statement[%d]", policy, s.Index)
	if s.Sid != "" {
		l += fmt.Sprintf(" (Sid %q)", s.Sid)
	}
	return l
}

// resourceExpr adds the statement's Resource or NotResource patterns to q
// and returns the set of ARNs it applies to, variables read per mode.
func (st *stmt) resourceExpr(q *query, mode varMode, vs *vars) *expr {
	if st.allResources {
		return andExpr()
	}
	switch {
	case !st.variables:
		mode = varLiteral
	case st.notResource && mode == varAny:
		mode = varNone
	case st.notResource && mode == varNone:
		mode = varAny
	}
	leaves := make([]*expr, len(st.resources))
	for i, r := range st.resources {
		leaves[i] = leafExpr(q.add(patternLang(r, mode, vs)))
	}
	if st.notResource {
		// NotResource's patterns must be proven absent, so their
		// variables were read for the opposite role.
		return notExpr(orExpr(leaves...))
	}
	return orExpr(leaves...)
}

// universe adds the ARNs an action can act on to q: the formats of its
// resource types, and "*" when no resource type is required.
func universe(q *query, a *catalog.Action) *expr {
	var leaves []*expr
	required := false
	for _, r := range a.ResourceTypes {
		leaves = append(leaves, leafExpr(q.add(formatLang(r.Type.ARNFormat))))
		required = required || r.Required
	}
	if !required {
		leaves = append(leaves, leafExpr(q.add(literalLang("*"))))
	}
	return orExpr(leaves...)
}
