package engine

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
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
		if err != nil {
			t.Fatalf("parse %d: %v", i, err)
		}
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
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ps.Len(), 8; got != want {
		t.Fatalf("Len() = %d, want %d", got, want)
	}
	sids := func(list []*statement) []string {
		var out []string
		for _, st := range list {
			out = append(out, st.sid)
		}
		return out
	}
	if got, want := sids(ps.every), []string{"All"}; !slices.Equal(got, want) {
		t.Errorf("statements covering every action: %q, want %q", got, want)
	}
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
		if got := sids(ps.index.lookup(a.ID)); !slices.Equal(got, want) {
			t.Errorf("action %s (ID %d): statements %q, want %q", a.FullName, a.ID, got, want)
		}
	}
	if got := ps.index.lookup(cat.NumActions() + 64); got != nil {
		t.Errorf("action ID past the catalog: statements %q, want none", sids(got))
	}
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
		if err != nil {
			t.Fatal(err)
		}
		cds[i] = cd
	}
	a, err := NewPolicySet(cat, cds[0], cds[2])
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewPolicySet(cat, cds[2], cds[1])
	if err != nil {
		t.Fatal(err)
	}
	exact, ok := cat.Action("mobiletargeting:GetSegment")
	if !ok {
		t.Fatal("catalog lacks mobiletargeting:GetSegment")
	}
	last := &cds[2].statements[1]
	if !slices.Contains(a.index.lookup(exact.ID), last) || !slices.Contains(b.index.lookup(exact.ID), last) {
		t.Errorf("sets do not share statement %q of %s", last.sid, cds[2].ID())
	}
	if got, want := b.Policies(), []string{"doc-2", "doc-1"}; !slices.Equal(got, want) {
		t.Errorf("Policies() = %q, want %q", got, want)
	}
	whole, err := Compile(cat, docs[2], docs[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"mobiletargeting:GetSegment", "mobiletargeting:DeleteApp", "sms-voice:CreatePool",
		"sms-voice:DescribePools", "mobiletargeting:NoSuchAction", "ec2:RunInstances"} {
		req := &Request{Principal: "arn:aws:iam::111122223333:user/alice", Action: action,
			Resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a", Context: NewContext(0)}
		gotD, gotEx := EvaluateExplain(&Policies{Identity: b}, req)
		wantD, wantEx := EvaluateExplain(&Policies{Identity: whole}, req)
		if gotD != wantD {
			t.Errorf("%s: assembled set decides %s, compiled set %s", action, gotD, wantD)
		}
		if !reflect.DeepEqual(gotEx, wantEx) {
			t.Errorf("%s: explanation of the assembled set:\n%+v\nof the compiled set:\n%+v", action, gotEx, wantEx)
		}
	}
}

func TestNewPolicySetErrors(t *testing.T) {
	t.Parallel()
	cat, other := benchCatalog(t), benchCatalog(t)
	if cat == other {
		t.Skip("catalog.Load returns one shared catalog")
	}
	id, err := CompileDocument(cat, parseDocs(t, IdentityPolicy, indexDocs[0])[0])
	if err != nil {
		t.Fatal(err)
	}
	scp, err := CompileDocument(cat, parseDocs(t, SCPPolicy, indexDocs[1])[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewPolicySet(cat, id, scp); err == nil {
		t.Error("a set of an identity policy and an SCP: no error")
	}
	if _, err := NewPolicySet(other, id); err == nil {
		t.Error("a set over another catalog than its document's: no error")
	}
	bad := parseDocs(t, IdentityPolicy, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}]}`)[0]
	var perrs Errors
	if _, err := CompileDocument(cat, bad); !errors.As(err, &perrs) || perrs[0].Code != CodeUnknownOperator {
		t.Errorf("unknown operator: error %v, want an Errors with %s", err, CodeUnknownOperator)
	}
}
