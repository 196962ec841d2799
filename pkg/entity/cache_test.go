package entity

import (
	"encoding/json"
	"testing"

	"github.com/pdp-dev/pdp/pkg/engine"
)

const (
	readDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"*"}]}`
	writeDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:UpdateApp","Resource":"*"}]}`
)

func TestDocCacheKey(t *testing.T) {
	t.Parallel()
	c := NewDocCache()
	gen := c.begin()
	parse := func(raw, id string, typ engine.PolicyType) *engine.Document {
		t.Helper()
		e, err := c.parse(gen, []byte(raw), id, typ)
		if err != nil {
			t.Fatalf("parse %s: %v", id, err)
		}
		return e.doc
	}
	first := parse(readDoc, "managed:Read", engine.IdentityPolicy)
	tests := []struct {
		name     string
		raw, id  string
		typ      engine.PolicyType
		wantSame bool
	}{
		{"same bytes, ID and type", readDoc, "managed:Read", engine.IdentityPolicy, true},
		{"same bytes in another copy", string([]byte(readDoc)), "managed:Read", engine.IdentityPolicy, true},
		{"other bytes", writeDoc, "managed:Read", engine.IdentityPolicy, false},
		{"other white space", readDoc + " ", "managed:Read", engine.IdentityPolicy, false},
		{"other ID", readDoc, "managed:Other", engine.IdentityPolicy, false},
		{"other type", readDoc, "managed:Read", engine.BoundaryPolicy, false},
	}
	for _, tc := range tests {
		got := parse(tc.raw, tc.id, tc.typ)
		if (got == first) != tc.wantSame {
			t.Errorf("%s: same document = %v, want %v", tc.name, got == first, tc.wantSame)
		}
		if got.ID != tc.id || got.Type != tc.typ {
			t.Errorf("%s: got ID %q type %v, want %q %v", tc.name, got.ID, got.Type, tc.id, tc.typ)
		}
	}
	if _, err := c.parse(gen, []byte(`{"Statement":`), "managed:Broken", engine.IdentityPolicy); err == nil {
		t.Error("a document that does not parse gave no error")
	}
	if d1, d2 := c.derive(gen, first, "boundary:Read", engine.BoundaryPolicy),
		c.derive(gen, first, "boundary:Read", engine.BoundaryPolicy); d1 != d2 || d1 == first ||
		d1.Statements[0] != first.Statements[0] || d1.Type != engine.BoundaryPolicy {
		t.Error("derive does not return one shared copy of the parse under the new ID and type")
	}
}

// TestResolveCachedKeepsDocuments resolves the examples twice with one
// cache: the second resolution returns the same documents, and after a
// change to one managed policy only that policy's documents are new.
func TestResolveCachedKeepsDocuments(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	cache := NewDocCache()
	s := loadExamples(t)
	first, err := s.ResolveCached(cat, cache)
	if err != nil {
		t.Fatal(err)
	}
	n := cache.Len()
	again, err := s.ResolveCached(cat, cache)
	if err != nil {
		t.Fatal(err)
	}
	if d := docDiff(first, again); len(d) > 0 {
		t.Errorf("resolving the same Set again changed documents: %v", d)
	}
	if cache.Len() != n {
		t.Errorf("cache holds %d documents after resolving the same Set, want %d", cache.Len(), n)
	}
	for i := range s.ManagedPolicies {
		if s.ManagedPolicies[i].Name == "SegmentReaders" {
			s.ManagedPolicies[i].Document = json.RawMessage(readDoc)
		}
	}
	changed, err := s.ResolveCached(cat, cache)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"group:marketing:managed:SegmentReaders", "managed:SegmentReaders"}
	if got := docDiff(first, changed); !equalSet(got, want) {
		t.Errorf("documents changed by one managed policy: %v, want %v", got, want)
	}
	if cache.Len() != n {
		t.Errorf("cache holds %d documents after a change, want %d: the old parse was not dropped", cache.Len(), n)
	}
}

// docDiff returns the IDs of the documents that are not the same pointer
// in a and b, looking at every principal, resource and SCP chain.
func docDiff(a, b *Resolved) []string {
	seen := map[string]bool{}
	note := func(x, y *engine.Document) {
		if x != y {
			id := ""
			if x != nil {
				id = x.ID
			} else if y != nil {
				id = y.ID
			}
			seen[id] = true
		}
	}
	for _, arn := range a.Principals() {
		pa, _ := a.Principal(arn)
		pb, ok := b.Principal(arn)
		if !ok {
			seen["principal "+arn] = true
			continue
		}
		for i := range max(len(pa.Identity), len(pb.Identity)) {
			note(at(pa.Identity, i), at(pb.Identity, i))
		}
		note(pa.Boundary, pb.Boundary)
	}
	for _, arn := range a.Resources() {
		da, _, _ := a.ListedResource(arn)
		db, _, _ := b.ListedResource(arn)
		note(da, db)
	}
	for _, acct := range a.Accounts() {
		ca, _ := a.SCPChain(acct)
		cb, _ := b.SCPChain(acct)
		for i := range ca {
			for j := range ca[i] {
				if i < len(cb) {
					note(ca[i][j], at(cb[i], j))
				}
			}
		}
	}
	return sortedKeys(seen)
}

func at(docs []*engine.Document, i int) *engine.Document {
	if i < len(docs) {
		return docs[i]
	}
	return nil
}

func equalSet(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	m := map[string]bool{}
	for _, w := range want {
		m[w] = true
	}
	for _, g := range got {
		if !m[g] {
			return false
		}
	}
	return true
}

// TestDocCacheCompile checks that a document of the cache is compiled once
// per catalog and that the sets of two principals attaching one managed
// policy are built from one compilation.
func TestDocCacheCompile(t *testing.T) {
	t.Parallel()
	cat, other := loadCatalog(t), loadCatalog(t)
	c := NewDocCache()
	gen := c.begin()
	e, err := c.parse(gen, []byte(readDoc), "managed:Read", engine.IdentityPolicy)
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Compile(cat, e.doc)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := c.Compile(cat, e.doc); again != first {
		t.Error("a cached document compiled twice for one catalog")
	}
	if first.ID() != "managed:Read" || first.Catalog() != cat {
		t.Errorf("compiled %q for catalog %p, want %q for %p", first.ID(), first.Catalog(), "managed:Read", cat)
	}
	if cat != other {
		if o, _ := c.Compile(other, e.doc); o == first || o.Catalog() != other {
			t.Error("a document compiled for one catalog was used for another")
		}
	}
	stray, err := engine.Parse([]byte(writeDoc), engine.ParseOptions{ID: "stray", Type: engine.IdentityPolicy})
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := c.Compile(cat, stray); a == nil || a == first {
		t.Errorf("a document the cache does not hold: compiled %v", a)
	}

	set := Set{
		ManagedPolicies: []ManagedPolicy{{Name: "Read", Document: json.RawMessage(readDoc)}},
		Users: []User{
			{ARN: "arn:aws:iam::111122223333:user/alice", ManagedPolicies: []string{"Read"}},
			{ARN: "arn:aws:iam::111122223333:user/bob", ManagedPolicies: []string{"Read"}},
		},
	}
	res, err := set.Link(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := res.Principal("arn:aws:iam::111122223333:user/alice")
	bob, _ := res.Principal("arn:aws:iam::111122223333:user/bob")
	a, errA := res.Compile(cat, alice.Identity[0])
	b, errB := res.Compile(cat, bob.Identity[0])
	if errA != nil || errB != nil || a != b {
		t.Errorf("alice's and bob's managed policy compiled as %p (%v) and %p (%v), want one", a, errA, b, errB)
	}
}
