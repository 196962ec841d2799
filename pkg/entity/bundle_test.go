package entity

import (
	"encoding/json"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reload loads a bundle written by Bundle.
func reload(tb testing.TB, b []byte) *Set {
	tb.Helper()
	s, err := LoadBundle(fstest.MapFS{"export/bundle.json": {Data: b}}, "export/bundle.json")
	require.NoError(tb, err, "LoadBundle(Bundle()):\n%s", b)
	return s
}

func TestBundleRoundTrip(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	s := loadExamples(t)
	b, err := s.Bundle()
	require.NoError(t, err)
	s2 := reload(t, b)
	b2, err := s2.Bundle()
	require.NoError(t, err)
	assert.Equal(t, string(b), string(b2), "Bundle of the reloaded bundle")
	w, err := s2.Validate(cat)
	assert.NoError(t, err, "reloaded bundle: Validate")
	assert.Empty(t, w, "reloaded bundle: warnings of Validate")
	r1, err := s.Resolve(cat)
	require.NoError(t, err, "Resolve")
	r2, err := s2.Resolve(cat)
	require.NoError(t, err, "Resolve of the reloaded bundle")
	// slices.Equal: no entries and an empty list are the same.
	if !slices.Equal(r1.Principals(), r2.Principals()) {
		assert.Equal(t, r1.Principals(), r2.Principals(), "principals the reloaded bundle resolves")
	}
	if !slices.Equal(r1.Resources(), r2.Resources()) {
		assert.Equal(t, r1.Resources(), r2.Resources(), "resources the reloaded bundle resolves")
	}
	for _, arn := range r1.Principals() {
		p1, _ := r1.Principal(arn)
		p2, _ := r2.Principal(arn)
		if !slices.Equal(ids(p1.Identity), ids(p2.Identity)) {
			assert.Equal(t, ids(p1.Identity), ids(p2.Identity), "%s: identity policies, reloaded", arn)
		}
	}
}

func TestBundleStable(t *testing.T) {
	t.Parallel()
	s := loadExamples(t)
	before := slices.Clone(s.Users)
	slices.Reverse(s.Roles)
	b1, err := s.Bundle()
	require.NoError(t, err)
	slices.Reverse(s.Roles)
	b2, err := s.Bundle()
	require.NoError(t, err)
	assert.Equal(t, string(b1), string(b2), "Bundle depends on the order of the lists")
	for i := range before {
		require.Equal(t, before[i].ARN, s.Users[i].ARN, "Bundle reordered the Set")
	}
	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b1, &top))
	for _, k := range []string{"accounts", "managed_policies", "scps", "users", "groups", "roles", "resources"} {
		assert.Contains(t, top, k, "bundle")
	}
	assert.NotContains(t, string(b1), "_file", "bundle references files; it must hold every document")
}

func TestBundleInvalidDocument(t *testing.T) {
	t.Parallel()
	s := &Set{SCPs: []SCP{{Name: "Broken", Document: json.RawMessage(`{"Statement": [`)}}}
	_, err := s.Bundle()
	assert.ErrorContains(t, err, `scp "Broken": document is not valid JSON`, "Bundle()")
}

func TestBundleFromCode(t *testing.T) {
	t.Parallel()
	s := &Set{
		ManagedPolicies: []ManagedPolicy{{Name: "P", Document: json.RawMessage(okPolicy)}},
		Roles: []Role{{ARN: "arn:aws:iam::111122223333:role/r", ManagedPolicies: []string{"P"},
			Tags: map[string]string{"b": "2", "a": "1"}}},
	}
	_, err := s.Validate(loadCatalog(t))
	require.NoError(t, err)
	b, err := s.Bundle()
	require.NoError(t, err)
	s2 := reload(t, b)
	if assert.Len(t, s2.Roles, 1, "reloaded roles") {
		assert.Equal(t, "1", s2.Roles[0].Tags["a"], "reloaded tag a")
	}
	if assert.NotEmpty(t, s2.ManagedPolicies, "reloaded managed policies") {
		assert.Empty(t, s2.ManagedPolicies[0].ARN(), "ARN of the reloaded managed policy")
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
		assert.Equal(t, tc.want, tc.m.ARN(), "%+v.ARN()", tc.m)
	}
}
