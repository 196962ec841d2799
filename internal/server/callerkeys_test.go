package server

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/catalog"
)

// TestCheckItemKeysMatchesMerged checks that a batch item's context checked
// over the batch's (checkItemKeys) is what checking the merged context
// gives: the same keys with the same values and problems, the same limit,
// and the same counts that building the engine context relies on.
func TestCheckItemKeysMatchesMerged(t *testing.T) {
	t.Parallel()
	cat, err := catalog.Load()
	require.NoError(t, err)
	s := New(Config{Limits: Limits{MaxContextKeys: 4, MaxValueBytes: 64}}, cat, nil)
	str := func(v string) *pdpv1.ContextValue {
		return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: v}}
	}
	list := func(v ...string) *pdpv1.ContextValue {
		return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_ListValue{ListValue: &pdpv1.StringList{Values: v}}}
	}
	type ctx = map[string]*pdpv1.ContextValue
	base := ctx{"aws:SourceIp": str("10.0.0.1"), "aws:SecureTransport": str("true")}
	tests := []struct {
		name       string
		batch, own ctx
		wantLimit  bool
	}{
		{"disjoint keys", base, ctx{"aws:RequestedRegion": str("us-east-1")}, false},
		{"item replaces a key", base, ctx{"aws:SourceIp": str("198.51.100.7")}, false},
		{"item fixes a bad batch value", ctx{"aws:SourceIp": str("not an address"), "aws:SecureTransport": str("true")},
			ctx{"aws:SourceIp": str("10.0.0.2")}, false},
		{"bad batch value kept", ctx{"aws:SourceIp": str("not an address")}, ctx{"aws:SecureTransport": str("true")}, false},
		{"bad item values", base, ctx{"aws:SecureTransport": str("maybe"), "aws:TagKeys": str("team"), "x:Empty": {}}, false},
		{"multivalued", base, ctx{"aws:TagKeys": list("team", "env"), "aws:PrincipalTag/team": str("growth")}, false},
		{"names differing in case", base, ctx{"AWS:SourceIP": str("10.0.0.3")}, false},
		{"derived keys", base, ctx{"aws:CurrentTime": str("2026-01-01T00:00:00Z"), "aws:ResourceTag/env": str("prod")}, false},
		{"merged over the key limit", base, ctx{"a:1": str("1"), "a:2": str("2"), "a:3": str("3")}, true},
		{"item value over the byte limit", base, ctx{"aws:UserAgent": str(strings.Repeat("x", 65))}, true},
		{"batch over a limit", ctx{"aws:UserAgent": str(strings.Repeat("x", 65))}, ctx{"aws:SourceIp": str("10.0.0.4")}, true},
		{"batch over a limit the item replaces", ctx{"aws:UserAgent": str(strings.Repeat("x", 65))}, ctx{"aws:UserAgent": str("sdk")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var shared, got, want callerKeys
			s.checkCallerKeys(&shared, tc.batch)
			s.checkItemKeys(&got, &shared, tc.batch, tc.own)
			s.checkCallerKeys(&want, mergeContext(tc.batch, tc.own))
			require.Equal(t, tc.wantLimit, want.limit != nil, "the merged context's limit: %v", want.limit)
			assert.Equal(t, want.limit != nil, got.limit != nil, "limit %v, want %v", got.limit, want.limit)
			if want.limit != nil {
				return
			}
			assert.Equal(t, keysOf(&want), keysOf(&got))
			assert.Equal(t, want.distinct, got.distinct, "distinct names")
			assert.Equal(t, want.derivations, got.derivations, "derivations")
			assert.Equal(t, want.fresh, got.fresh, "fresh")
			assert.NotEqual(t, shared.gen, got.gen, "the item's check shares the batch's generation")
			for _, known := range []bool{false, true} {
				var gotV, wantV []string
				sc := &scratch{}
				got.check(known, known, sc)
				for _, v := range sc.violations {
					gotV = append(gotV, v.Field+": "+v.Description)
				}
				sc = &scratch{}
				want.check(known, known, sc)
				for _, v := range sc.violations {
					wantV = append(wantV, v.Field+": "+v.Description)
				}
				assert.Equal(t, wantV, gotV, "problems with principal and resource known %v", known)
			}
		})
	}
}

// keyCheck is what checking found of one key, for comparing checks.
type keyCheck struct {
	lower, value string
	values       []string
	multi, known bool
	derived      derivation
	problems     []string
}

// keysOf returns the keys of a check by name, with their problems.
func keysOf(ck *callerKeys) map[string]keyCheck {
	out := make(map[string]keyCheck, len(ck.keys))
	for _, k := range ck.keys {
		kc := keyCheck{lower: k.lower, value: k.value, values: k.values, multi: k.multi, known: k.known, derived: k.derived}
		for _, p := range ck.problems[k.problems[0]:k.problems[1]] {
			kc.problems = append(kc.problems, p.Field+": "+p.Description)
		}
		slices.Sort(kc.problems)
		out[k.name] = kc
	}
	if len(out) != len(ck.keys) {
		out["duplicate names among "+strings.Join(slices.Sorted(maps.Keys(out)), ",")] = keyCheck{}
	}
	return out
}
