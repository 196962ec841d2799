package awsimport

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
)

// An Entry is one entity of a model as a policy server keeps it: its kind
// ("account", "scp", "managed_policy", "user", "group", "role",
// "resource"), its ID within the kind, and its JSON document.
type Entry struct {
	Kind, ID string
	Document []byte
}

// A Change puts an entity, or deletes it (Delete, with no Document).
type Change struct {
	Entry
	Delete bool
}

// Counts are what an import does to the entities of one kind.
type Counts struct {
	Imported, Changed, Unchanged, Pruned int
}

// A Plan is the change set that makes a server's model hold what an export
// holds.
type Plan struct {
	Changes []Change
	// Counts per kind.
	Counts map[string]*Counts
}

// PruneScope says which of a server's entities an import may delete when
// the export no longer has them: those of Accounts (users, roles, groups,
// resources and customer managed policies of those accounts, and the
// accounts themselves) and, when SCPs is set (an organization was
// imported), every SCP. AWS managed policies are never pruned. A nil
// PruneScope deletes nothing.
type PruneScope struct {
	Accounts []string
	SCPs     bool
}

// Diff compares the entities of an import with a server's and returns the
// changes that make the server equal to the import: a put for every entity
// that is new or differs (documents are compared as JSON values, so
// formatting and key order do not count), and with prune a delete for every
// entity in scope that the import lacks. Changes come sorted by kind and ID.
func Diff(imported, current []Entry, prune *PruneScope) *Plan {
	p := &Plan{Counts: make(map[string]*Counts)}
	count := func(kind string) *Counts {
		c, ok := p.Counts[kind]
		if !ok {
			c = &Counts{}
			p.Counts[kind] = c
		}
		return c
	}
	have := make(map[[2]string][]byte, len(current))
	for _, e := range current {
		have[[2]string{e.Kind, e.ID}] = e.Document
	}
	want := make(map[[2]string]bool, len(imported))
	for _, e := range imported {
		k := [2]string{e.Kind, e.ID}
		want[k] = true
		c := count(e.Kind)
		c.Imported++
		if doc, ok := have[k]; ok && sameJSON(doc, e.Document) {
			c.Unchanged++
			continue
		}
		c.Changed++
		p.Changes = append(p.Changes, Change{Entry: e})
	}
	if prune != nil {
		accounts := make(map[string]bool, len(prune.Accounts))
		for _, a := range prune.Accounts {
			accounts[a] = true
		}
		for _, e := range current {
			if want[[2]string{e.Kind, e.ID}] || !prune.covers(e, accounts) {
				continue
			}
			count(e.Kind).Pruned++
			p.Changes = append(p.Changes, Change{Entry: Entry{Kind: e.Kind, ID: e.ID}, Delete: true})
		}
	}
	sort.SliceStable(p.Changes, func(i, j int) bool {
		a, b := p.Changes[i], p.Changes[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.ID < b.ID
	})
	return p
}

// covers reports whether an entity of the server is in the prune scope.
func (s *PruneScope) covers(e Entry, accounts map[string]bool) bool {
	switch e.Kind {
	case "account":
		return accounts[e.ID]
	case "scp":
		return s.SCPs
	case "group":
		acct, _, _ := strings.Cut(e.ID, "/")
		return accounts[acct]
	case "user", "role", "resource":
		return accounts[arnAccount(e.ID)]
	case "managed_policy":
		var m struct {
			Account string `json:"account"`
		}
		return json.Unmarshal(e.Document, &m) == nil && accounts[m.Account]
	}
	return false
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	ca, err1 := canonical(a)
	cb, err2 := canonical(b)
	return err1 == nil && err2 == nil && bytes.Equal(ca, cb)
}

// canonical re-encodes a JSON text with sorted keys and no spaces.
func canonical(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
