package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestContext drives a Context and a plain map with the same random
// operations and checks that they hold the same keys and values: keys
// match without regard to case, a later Set or SetMulti replaces, Delete
// removes, Reset empties, and the table keeps working as it grows past its
// first size. A context reused this way must not grow past the most keys
// it held at once.
func TestContext(t *testing.T) {
	t.Parallel()
	type want struct {
		name   string
		values []string
		multi  bool
	}
	for _, start := range []int{0, 1, 8} {
		t.Run(fmt.Sprint("room=", start), func(t *testing.T) {
			t.Parallel()
			ctx := NewContext(start)
			initialSlots := len(ctx.slots)
			ref := map[string]want{}
			seed := uint64(start + 1)
			next := func(n int) int {
				seed = seed*6364136223846793005 + 1442695040888963407
				return int(seed>>33) % n
			}
			maxLive := 0
			for step := range 20000 {
				// Keys come from a pool that drifts, as callers' keys do
				// from one request to the next.
				key := fmt.Sprintf("aws:PrincipalTag/k%d", step/100+next(150))
				if next(2) == 0 {
					key = strings.ToUpper(key)
				}
				switch op := next(1000); {
				case op < 400:
					v := fmt.Sprint(step)
					if next(2) == 0 {
						v = fmt.Sprintf("10.0.%d.%d", step%256, next(256)) // has a parsed form
					}
					ctx.Set(key, v)
					ref[strings.ToLower(key)] = want{key, []string{v}, false}
				case op < 550:
					vs := []string{fmt.Sprint("a", step), fmt.Sprint("b", step)}[:next(3)]
					ctx.SetMulti(key, vs)
					ref[strings.ToLower(key)] = want{key, vs, true}
				case op < 999:
					ctx.Delete(key)
					delete(ref, strings.ToLower(key))
				default:
					ctx.Reset()
					clear(ref)
				}
				maxLive = max(maxLive, len(ref))
				probe := fmt.Sprintf("AWS:principaltag/K%d", step/100+next(160))
				w, wok := ref[strings.ToLower(probe)]
				values, multi, ok := ctx.Get(probe)
				// slices.Equal: no values and an empty list are the same.
				if ok != wok || multi != w.multi || !slices.Equal(values, w.values) {
					require.Equal(t, []any{w.values, w.multi, wok}, []any{values, multi, ok}, "step %d: Get(%q): values, multi, present", step, probe)
				}
				require.Len(t, ref, ctx.Len(), "step %d: Len of the context and of the reference", step)
				if step%1000 == 0 {
					for k, w := range ref {
						if values, multi, ok := ctx.Get(k); !ok || multi != w.multi || !slices.Equal(values, w.values) {
							require.Equal(t, []any{w.values, w.multi, true}, []any{values, multi, ok}, "step %d: Get(%q): values, multi, present", step, k)
						}
					}
				}
			}
			var wantNames []string
			for _, k := range slices.Sorted(maps.Keys(ref)) {
				wantNames = append(wantNames, ref[k].name)
			}
			if got := slices.Collect(ctx.Keys()); !slices.Equal(got, wantNames) {
				assert.Equal(t, wantNames, got, "Keys")
			}
			assert.LessOrEqual(t, len(ctx.entries), maxLive, "entries after holding %d keys at most", maxLive)
			assert.LessOrEqual(t, len(ctx.slots), max(initialSlots, slotsFor(2*maxLive)), "slots after holding %d keys at most", maxLive)
		})
	}
}

// TestContextSetKeepsValues checks that the values of earlier keys survive
// later Sets, which move the entries holding them as the context grows.
func TestContextSetKeepsValues(t *testing.T) {
	t.Parallel()
	ctx := NewContext(2)
	for i := range 100 {
		ctx.Set(fmt.Sprint("k", i), fmt.Sprint("v", i))
	}
	ctx.Set("k7", "seven")
	for i := range 100 {
		want := fmt.Sprint("v", i)
		if i == 7 {
			want = "seven"
		}
		values, _, _ := ctx.Get(fmt.Sprint("K", i))
		require.Equal(t, []string{want}, values, "Get(k%d)", i)
	}
}

// TestContextZero checks that a zero Context takes keys like one from
// NewContext, and that a nil one is empty.
func TestContextZero(t *testing.T) {
	t.Parallel()
	var ctx Context
	ctx.Set("aws:SourceIp", "10.0.0.1")
	v, _, ok := ctx.Get("AWS:SOURCEIP")
	if assert.True(t, ok, "Get on a zero Context after Set: present") && assert.NotEmpty(t, v, "Get on a zero Context after Set") {
		assert.Equal(t, "10.0.0.1", v[0], "Get on a zero Context after Set")
	}
	var nilCtx *Context
	assert.Zero(t, nilCtx.Len(), "Len of a nil Context")
	assert.Empty(t, slices.Collect(nilCtx.Keys()), "Keys of a nil Context")
}

// TestLowerKey checks the keys lowered without allocating against
// strings.ToLower.
func TestLowerKey(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"aws:CurrentTime", "aws:EpochTime", "aws:PrincipalArn", "aws:PrincipalAccount",
		"aws:PrincipalType", "aws:PrincipalOrgID", "aws:SourceIp", "aws:SecureTransport", "aws:RequestedRegion",
		"aws:MultiFactorAuthPresent", "aws:MultiFactorAuthAge", "aws:ViaAWSService", "aws:CalledVia",
		"aws:TagKeys", "aws:username", "AWS:SourceIP", "aws:PrincipalTag/Team"} {
		assert.Equal(t, strings.ToLower(k), lowerKey(k), "lowerKey(%q)", k)
	}
}
