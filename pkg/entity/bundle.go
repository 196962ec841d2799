package entity

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
)

// Bundle writes the whole Set as one JSON bundle, the format LoadBundle
// reads: every list sorted by its key (account ID, policy name, ARN, group
// account and name), map keys sorted, documents inline and indented, so
// that equal Sets give equal bytes. The Set is not modified. It fails when
// a document is not valid JSON.
func (s *Set) Bundle() ([]byte, error) {
	out := Set{
		Accounts:        sortedBy(s.Accounts, func(a Account) string { return a.ID }),
		ManagedPolicies: sortedBy(s.ManagedPolicies, func(m ManagedPolicy) string { return m.Name }),
		SCPs:            sortedBy(s.SCPs, func(p SCP) string { return p.Name }),
		Users:           sortedBy(s.Users, func(u User) string { return u.ARN }),
		Groups:          sortedBy(s.Groups, func(g Group) string { return g.Account + "/" + g.Name }),
		Roles:           sortedBy(s.Roles, func(r Role) string { return r.ARN }),
		Resources:       sortedBy(s.Resources, func(r Resource) string { return r.ARN }),
	}
	if err := out.checkJSON(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&out); err != nil {
		return nil, fmt.Errorf("entity: bundle: %w", err)
	}
	return b.Bytes(), nil
}

// sortedBy returns a sorted copy of list; entities with equal keys keep
// their order.
func sortedBy[T any](list []T, key func(T) string) []T {
	out := slices.Clone(list)
	slices.SortStableFunc(out, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return out
}

// checkJSON names the first document that is not valid JSON, which the
// encoder would report without saying whose it is.
func (s *Set) checkJSON() error {
	type doc struct {
		label, field string
		raw          json.RawMessage
	}
	var docs []doc
	inline := func(label string, m map[string]json.RawMessage) {
		for _, name := range sortedKeys(m) {
			docs = append(docs, doc{label, inlineField(name), m[name]})
		}
	}
	for i, m := range s.ManagedPolicies {
		docs = append(docs, doc{managedLabel(i, &m), "document", m.Document})
	}
	for i, p := range s.SCPs {
		docs = append(docs, doc{scpLabel(i, &p), "document", p.Document})
	}
	for i, u := range s.Users {
		inline(principalLabel("user", place(i, u.src), u.ARN), u.InlinePolicies)
	}
	for i, g := range s.Groups {
		inline(groupLabel(i, &g), g.InlinePolicies)
	}
	for i, r := range s.Roles {
		inline(principalLabel("role", place(i, r.src), r.ARN), r.InlinePolicies)
	}
	for i, r := range s.Resources {
		docs = append(docs, doc{resourceLabel(place(i, r.src), r.ARN), "policy", r.Policy})
	}
	for _, d := range docs {
		if len(d.raw) > 0 && !json.Valid(d.raw) {
			return fmt.Errorf("entity: bundle: %s: %s is not valid JSON", d.label, d.field)
		}
	}
	return nil
}
