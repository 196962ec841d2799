package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
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
				if ok != wok || multi != w.multi || !slices.Equal(values, w.values) {
					t.Fatalf("step %d: Get(%q) = %q, %v, %v; want %q, %v, %v", step, probe, values, multi, ok, w.values, w.multi, wok)
				}
				if ctx.Len() != len(ref) {
					t.Fatalf("step %d: Len = %d, want %d", step, ctx.Len(), len(ref))
				}
				if step%1000 == 0 {
					for k, w := range ref {
						if values, multi, ok := ctx.Get(k); !ok || multi != w.multi || !slices.Equal(values, w.values) {
							t.Fatalf("step %d: Get(%q) = %q, %v, %v; want %q, %v, true", step, k, values, multi, ok, w.values, w.multi)
						}
					}
				}
			}
			var wantNames []string
			for _, k := range slices.Sorted(maps.Keys(ref)) {
				wantNames = append(wantNames, ref[k].name)
			}
			if got := slices.Collect(ctx.Keys()); !slices.Equal(got, wantNames) {
				t.Errorf("Keys = %q, want %q", got, wantNames)
			}
			if len(ctx.entries) > maxLive || len(ctx.slots) > max(initialSlots, slotsFor(2*maxLive)) {
				t.Errorf("after holding %d keys at most: %d entries, %d slots",
					maxLive, len(ctx.entries), len(ctx.slots))
			}
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
		if values, _, _ := ctx.Get(fmt.Sprint("K", i)); !slices.Equal(values, []string{want}) {
			t.Fatalf("Get(k%d) = %q, want [%q]", i, values, want)
		}
	}
}

// TestContextZero checks that a zero Context takes keys like one from
// NewContext, and that a nil one is empty.
func TestContextZero(t *testing.T) {
	t.Parallel()
	var ctx Context
	ctx.Set("aws:SourceIp", "10.0.0.1")
	if v, _, ok := ctx.Get("AWS:SOURCEIP"); !ok || v[0] != "10.0.0.1" {
		t.Errorf("Get on a zero Context after Set = %q, %v", v, ok)
	}
	var nilCtx *Context
	if nilCtx.Len() != 0 || len(slices.Collect(nilCtx.Keys())) != 0 {
		t.Error("a nil Context is not empty")
	}
}

// TestLowerKey checks the keys lowered without allocating against
// strings.ToLower.
func TestLowerKey(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"aws:CurrentTime", "aws:EpochTime", "aws:PrincipalArn", "aws:PrincipalAccount",
		"aws:PrincipalType", "aws:PrincipalOrgID", "aws:SourceIp", "aws:SecureTransport", "aws:RequestedRegion",
		"aws:MultiFactorAuthPresent", "aws:MultiFactorAuthAge", "aws:ViaAWSService", "aws:CalledVia",
		"aws:TagKeys", "aws:username", "AWS:SourceIP", "aws:PrincipalTag/Team"} {
		if got, want := lowerKey(k), strings.ToLower(k); got != want {
			t.Errorf("lowerKey(%q) = %q, want %q", k, got, want)
		}
	}
}
