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
// removes, and the table keeps working as it grows past its first size.
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
			ref := map[string]want{}
			seed := uint64(start + 1)
			next := func(n int) int {
				seed = seed*6364136223846793005 + 1442695040888963407
				return int(seed>>33) % n
			}
			for step := range 3000 {
				key := fmt.Sprintf("aws:PrincipalTag/k%d", next(150))
				if next(2) == 0 {
					key = strings.ToUpper(key)
				}
				switch next(4) {
				case 0, 1:
					v := fmt.Sprint("v", step)
					ctx.Set(key, v)
					ref[strings.ToLower(key)] = want{key, []string{v}, false}
				case 2:
					vs := []string{fmt.Sprint("a", step), fmt.Sprint("b", step)}[:next(3)]
					ctx.SetMulti(key, vs)
					ref[strings.ToLower(key)] = want{key, vs, true}
				default:
					ctx.Delete(key)
					delete(ref, strings.ToLower(key))
				}
				probe := fmt.Sprintf("AWS:principaltag/K%d", next(160))
				w, wok := ref[strings.ToLower(probe)]
				values, multi, ok := ctx.Get(probe)
				if ok != wok || multi != w.multi || !slices.Equal(values, w.values) {
					t.Fatalf("step %d: Get(%q) = %q, %v, %v; want %q, %v, %v", step, probe, values, multi, ok, w.values, w.multi, wok)
				}
				if ctx.Len() != len(ref) {
					t.Fatalf("step %d: Len = %d, want %d", step, ctx.Len(), len(ref))
				}
			}
			var wantNames []string
			for _, k := range slices.Sorted(maps.Keys(ref)) {
				wantNames = append(wantNames, ref[k].name)
			}
			if got := slices.Collect(ctx.Keys()); !slices.Equal(got, wantNames) {
				t.Errorf("Keys = %q, want %q", got, wantNames)
			}
		})
	}
}

// TestContextSetKeepsValues checks that the values of earlier keys survive
// later Sets, which share one backing array until it fills.
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
