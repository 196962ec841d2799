package entity

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// reload loads a bundle written by Bundle.
func reload(tb testing.TB, b []byte) *Set {
	tb.Helper()
	s, err := LoadBundle(fstest.MapFS{"export/bundle.json": {Data: b}}, "export/bundle.json")
	if err != nil {
		tb.Fatalf("LoadBundle(Bundle()):\n%v\n%s", err, b)
	}
	return s
}

func TestBundleRoundTrip(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	s := loadExamples(t)
	b, err := s.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	s2 := reload(t, b)
	b2, err := s2.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Errorf("Bundle of the reloaded bundle differs:\n%s\nwant:\n%s", b2, b)
	}
	if w, err := s2.Validate(cat); err != nil || len(w) > 0 {
		t.Errorf("reloaded bundle: Validate = %v, %v", w, err)
	}
	r1, err1 := s.Resolve(cat)
	r2, err2 := s2.Resolve(cat)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !slices.Equal(r1.Principals(), r2.Principals()) || !slices.Equal(r1.Resources(), r2.Resources()) {
		t.Error("the reloaded bundle resolves other principals or resources")
	}
	for _, arn := range r1.Principals() {
		p1, _ := r1.Principal(arn)
		p2, _ := r2.Principal(arn)
		if !slices.Equal(ids(p1.Identity), ids(p2.Identity)) {
			t.Errorf("%s: identity %q, reloaded %q", arn, ids(p1.Identity), ids(p2.Identity))
		}
	}
}

func TestBundleStable(t *testing.T) {
	t.Parallel()
	s := loadExamples(t)
	before := slices.Clone(s.Users)
	slices.Reverse(s.Roles)
	b1, err := s.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(s.Roles)
	b2, err := s.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b1, b2) {
		t.Error("Bundle depends on the order of the lists")
	}
	for i := range before {
		if before[i].ARN != s.Users[i].ARN {
			t.Fatal("Bundle reordered the Set")
		}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b1, &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"accounts", "managed_policies", "scps", "users", "groups", "roles", "resources"} {
		if _, ok := top[k]; !ok {
			t.Errorf("bundle has no %q", k)
		}
	}
	if strings.Contains(string(b1), "_file") {
		t.Error("bundle references files; it must hold every document")
	}
}

func TestBundleInvalidDocument(t *testing.T) {
	t.Parallel()
	s := &Set{SCPs: []SCP{{Name: "Broken", Document: json.RawMessage(`{"Statement": [`)}}}
	_, err := s.Bundle()
	if err == nil || !strings.Contains(err.Error(), `scp "Broken": document is not valid JSON`) {
		t.Errorf("Bundle() error = %v", err)
	}
}

func TestBundleFromCode(t *testing.T) {
	t.Parallel()
	s := &Set{
		ManagedPolicies: []ManagedPolicy{{Name: "P", Document: json.RawMessage(okPolicy)}},
		Roles: []Role{{ARN: "arn:aws:iam::111122223333:role/r", ManagedPolicies: []string{"P"},
			Tags: map[string]string{"b": "2", "a": "1"}}},
	}
	if _, err := s.Validate(loadCatalog(t)); err != nil {
		t.Fatal(err)
	}
	b, err := s.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	s2 := reload(t, b)
	if len(s2.Roles) != 1 || s2.Roles[0].Tags["a"] != "1" || s2.ManagedPolicies[0].ARN() != "" {
		t.Errorf("reloaded %+v", s2)
	}
}

func TestManagedPolicyARN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m    ManagedPolicy
		want string
	}{
		{ManagedPolicy{Name: "P"}, ""},
		{ManagedPolicy{Name: "P", Account: "111122223333"}, "arn:aws:iam::111122223333:policy/P"},
		{ManagedPolicy{Name: "P", Path: "/team/", Account: "111122223333"}, "arn:aws:iam::111122223333:policy/team/P"},
	}
	for _, tc := range tests {
		if got := tc.m.ARN(); got != tc.want {
			t.Errorf("%+v.ARN() = %q, want %q", tc.m, got, tc.want)
		}
	}
}
