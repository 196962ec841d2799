package engine

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// indexDocs are documents whose Action elements exercise the action index:
// exact names, wildcards in names and services, NotAction, "*", a name the
// catalog lacks, and statements spread over several documents.
var indexDocs = []string{
	`{"Version":"2012-10-17","Statement":[
		{"Sid":"Exact","Effect":"Allow","Action":"mobiletargeting:GetSegment","Resource":"*"},
		{"Sid":"Wild","Effect":"Deny","Action":["mobiletargeting:Get*","sms-voice:Describe*"],"Resource":"*"},
		{"Sid":"Unknown","Effect":"Allow","Action":"mobiletargeting:NoSuchAction","Resource":"*"}]}`,
	`{"Version":"2012-10-17","Statement":[
		{"Sid":"Not","Effect":"Allow","NotAction":"mobiletargeting:*","Resource":"*"},
		{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"},
		{"Sid":"AllPinpoint","Effect":"Allow","Action":"mobiletargeting:*","Resource":"*"}]}`,
	`{"Version":"2012-10-17","Statement":[
		{"Sid":"NotAll","Effect":"Deny","NotAction":"*","Resource":"*"},
		{"Sid":"Last","Effect":"Allow","Action":["sms-voice:*Pool*","mobiletargeting:GetSegment"],"Resource":"*"}]}`,
}

func parseDocs(t *testing.T, typ PolicyType, srcs ...string) []*Document {
	t.Helper()
	docs := make([]*Document, len(srcs))
	for i, src := range srcs {
		d, err := Parse([]byte(src), ParseOptions{ID: fmt.Sprintf("doc-%d", i), Type: typ})
		require.NoError(t, err, "parse %d", i)
		docs[i] = d
	}
	return docs
}

// TestActionIndex checks, for every catalog action, that a set finds
// exactly the statements whose Action or NotAction covers it, in document
// order, as matching each statement's patterns against the name would.
func TestActionIndex(t *testing.T) {
	t.Parallel()
	cat := benchCatalog(t)
	ps, err := Compile(cat, parseDocs(t, IdentityPolicy, indexDocs...)...)
	require.NoError(t, err)
	require.Equal(t, 8, ps.Len(), "Len()")
	sids := func(list []*statement) []string {
		var out []string
		for _, st := range list {
			out = append(out, st.sid)
		}
		return out
	}
	assert.Equal(t, []string{"All"}, sids(ps.every), "statements covering every action")
	for _, a := range cat.Actions() {
		var want []string
		for _, d := range ps.docs {
			for i := range d.statements {
				st := &d.statements[i]
				if st.sid != "All" && st.matchesAction(a.FullName) {
					want = append(want, st.sid)
				}
			}
		}
		// Both lists are nil when no statement applies.
		assert.Equal(t, want, sids(ps.index.lookup(a.ID)), "action %s (ID %d): statements", a.FullName, a.ID)
	}
	assert.Nil(t, ps.index.lookup(cat.NumActions()+64), "statements of an action ID past the catalog")
}

// TestNewPolicySetShares checks that sets assembled from compiled
// documents refer to the documents' statements instead of copying them,
// and decide and explain as a set compiled from the parsed documents does.
func TestNewPolicySetShares(t *testing.T) {
	t.Parallel()
	cat := benchCatalog(t)
	docs := parseDocs(t, IdentityPolicy, indexDocs...)
	cds := make([]*CompiledDocument, len(docs))
	for i, d := range docs {
		cd, err := CompileDocument(cat, d)
		require.NoError(t, err)
		cds[i] = cd
	}
	a, err := NewPolicySet(cat, cds[0], cds[2])
	require.NoError(t, err)
	b, err := NewPolicySet(cat, cds[2], cds[1])
	require.NoError(t, err)
	exact, ok := cat.Action("mobiletargeting:GetSegment")
	require.True(t, ok, "catalog lacks mobiletargeting:GetSegment")
	last := &cds[2].statements[1]
	assert.True(t, slices.Contains(a.index.lookup(exact.ID), last), "set a does not share statement %q of %s", last.sid, cds[2].ID())
	assert.True(t, slices.Contains(b.index.lookup(exact.ID), last), "set b does not share statement %q of %s", last.sid, cds[2].ID())
	assert.Equal(t, []string{"doc-2", "doc-1"}, b.Policies(), "Policies()")
	whole, err := Compile(cat, docs[2], docs[1])
	require.NoError(t, err)
	for _, action := range []string{"mobiletargeting:GetSegment", "mobiletargeting:DeleteApp", "sms-voice:CreatePool",
		"sms-voice:DescribePools", "mobiletargeting:NoSuchAction", "ec2:RunInstances"} {
		req := &Request{Principal: "arn:aws:iam::111122223333:user/alice", Action: action,
			Resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a", Context: NewContext(0)}
		gotD, gotEx := EvaluateExplain(&Policies{Identity: b}, req)
		wantD, wantEx := EvaluateExplain(&Policies{Identity: whole}, req)
		assert.Equal(t, wantD, gotD, "%s: decision of the assembled set, want the compiled set's", action)
		assert.Equal(t, wantEx, gotEx, "%s: explanation of the assembled set, want the compiled set's", action)
	}
}

// TestSetBuilderReused assembles sets of every pair and triple of the
// index documents with one SetBuilder, larger and smaller in turn, and
// checks that each is the set NewPolicySet assembles: the room the
// builder keeps leaves nothing of one set in the next.
func TestSetBuilderReused(t *testing.T) {
	t.Parallel()
	cat := benchCatalog(t)
	docs := parseDocs(t, IdentityPolicy, indexDocs...)
	cds := make([]*CompiledDocument, len(docs))
	for i, d := range docs {
		cd, err := CompileDocument(cat, d)
		require.NoError(t, err)
		cds[i] = cd
	}
	lists := [][]*CompiledDocument{cds, {cds[1]}, {cds[2], cds[0]}, cds, {cds[0]}, {}, {cds[1], cds[2]}}
	var b SetBuilder
	for i, list := range lists {
		got, err := b.NewPolicySet(cat, list...)
		require.NoError(t, err)
		want, err := NewPolicySet(cat, list...)
		require.NoError(t, err)
		assert.Equal(t, want, got, "set %d (%d documents) of the reused builder", i, len(list))
	}
}

func TestNewPolicySetErrors(t *testing.T) {
	t.Parallel()
	cat, other := benchCatalog(t), benchCatalog(t)
	if cat == other {
		t.Skip("catalog.Load returns one shared catalog")
	}
	id, err := CompileDocument(cat, parseDocs(t, IdentityPolicy, indexDocs[0])[0])
	require.NoError(t, err)
	scp, err := CompileDocument(cat, parseDocs(t, SCPPolicy, indexDocs[1])[0])
	require.NoError(t, err)
	_, err = NewPolicySet(cat, id, scp)
	assert.Error(t, err, "a set of an identity policy and an SCP")
	_, err = NewPolicySet(other, id)
	assert.Error(t, err, "a set over another catalog than its document's")
	bad := parseDocs(t, IdentityPolicy, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}]}`)[0]
	var perrs Errors
	_, err = CompileDocument(cat, bad)
	if assert.ErrorAs(t, err, &perrs, "unknown operator") && assert.NotEmpty(t, perrs, "unknown operator") {
		assert.Equal(t, CodeUnknownOperator, perrs[0].Code, "unknown operator: %v", err)
	}
}
