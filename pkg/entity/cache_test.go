package entity

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
		require.NoError(t, err, "parse %s", id)
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
		assert.Equal(t, tc.wantSame, got == first, "%s: same document", tc.name)
		assert.Equal(t, tc.id, got.ID, "%s: ID", tc.name)
		assert.Equal(t, tc.typ, got.Type, "%s: type", tc.name)
	}
	_, err := c.parse(gen, []byte(`{"Statement":`), "managed:Broken", engine.IdentityPolicy)
	assert.Error(t, err, "a document that does not parse")
	d1 := c.derive(gen, first, "boundary:Read", engine.BoundaryPolicy)
	d2 := c.derive(gen, first, "boundary:Read", engine.BoundaryPolicy)
	// derive returns one shared copy of the parse under the new ID and type.
	assert.Same(t, d1, d2, "derive twice")
	assert.NotSame(t, first, d1, "derive")
	assert.True(t, d1.Statements[0] == first.Statements[0], "derive shares the statements of the parse")
	assert.Equal(t, engine.BoundaryPolicy, d1.Type, "type of the derived document")
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
	require.NoError(t, err)
	n := cache.Len()
	again, err := s.ResolveCached(cat, cache)
	require.NoError(t, err)
	assert.Empty(t, docDiff(first, again), "documents changed by resolving the same Set again")
	assert.Equal(t, n, cache.Len(), "documents in the cache after resolving the same Set")
	for i := range s.ManagedPolicies {
		if s.ManagedPolicies[i].Name == "SegmentReaders" {
			s.ManagedPolicies[i].Document = json.RawMessage(readDoc)
		}
	}
	changed, err := s.ResolveCached(cat, cache)
	require.NoError(t, err)
	want := []string{"group:marketing:managed:SegmentReaders", "managed:SegmentReaders"}
	if got := docDiff(first, changed); !equalSet(got, want) {
		assert.ElementsMatch(t, want, got, "documents changed by one managed policy")
	}
	assert.Equal(t, n, cache.Len(), "documents in the cache after a change: the old parse must be dropped")
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
	require.NoError(t, err)
	first, err := c.Compile(cat, e.doc)
	require.NoError(t, err)
	again, _ := c.Compile(cat, e.doc)
	assert.Same(t, first, again, "a cached document compiled twice for one catalog")
	assert.Equal(t, "managed:Read", first.ID(), "ID of the compiled document")
	assert.Same(t, cat, first.Catalog(), "catalog of the compiled document")
	if cat != other {
		o, _ := c.Compile(other, e.doc)
		assert.NotSame(t, first, o, "a document compiled for one catalog was used for another")
		assert.Same(t, other, o.Catalog(), "a document compiled for one catalog was used for another")
	}
	stray, err := engine.Parse([]byte(writeDoc), engine.ParseOptions{ID: "stray", Type: engine.IdentityPolicy})
	require.NoError(t, err)
	a, _ := c.Compile(cat, stray)
	assert.NotNil(t, a, "a document the cache does not hold: compiled")
	assert.NotSame(t, first, a, "a document the cache does not hold: compiled")

	set := Set{
		ManagedPolicies: []ManagedPolicy{{Name: "Read", Document: json.RawMessage(readDoc)}},
		Users: []User{
			{ARN: "arn:aws:iam::111122223333:user/alice", ManagedPolicies: []string{"Read"}},
			{ARN: "arn:aws:iam::111122223333:user/bob", ManagedPolicies: []string{"Read"}},
		},
	}
	res, err := set.Link(cat, nil)
	require.NoError(t, err)
	alice, _ := res.Principal("arn:aws:iam::111122223333:user/alice")
	bob, _ := res.Principal("arn:aws:iam::111122223333:user/bob")
	pa, errA := res.Compile(cat, alice.Identity[0])
	pb, errB := res.Compile(cat, bob.Identity[0])
	assert.NoError(t, errA, "alice's managed policy")
	assert.NoError(t, errB, "bob's managed policy")
	assert.Same(t, pa, pb, "alice's and bob's managed policy compiled twice, want once")
}
