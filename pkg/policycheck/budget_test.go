package policycheck

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// manyWildcards writes a policy of 10 KB: an Allow of every Pinpoint
// action, and 40 Denies of GetApp on three app patterns of twelve
// wildcards each, the patterns shifted by offset. The product of their
// automata has more states than a check can visit: unbounded, one check
// of two such policies ran for a minute and took 4 GB.
func manyWildcards(offset int) string {
	stmts := []string{allow("mobiletargeting:*", "*")}
	for i := range 40 {
		stmts = append(stmts, `{"Effect":"Deny","Action":"mobiletargeting:GetApp","Resource":["`+
			wildcardPattern(3*i+offset)+`","`+wildcardPattern(3*i+offset+1)+`","`+wildcardPattern(3*i+offset+2)+`"]}`)
	}
	return policy(stmts...)
}

// wildcardPattern is an app pattern of twelve wildcards, the i-th of a
// family.
func wildcardPattern(i int) string {
	var b strings.Builder
	for j := range 12 {
		fmt.Fprintf(&b, "*%c", 'a'+(i*7+j)%26)
	}
	return "arn:aws:mobiletargeting:*:*:apps/" + b.String() + "*"
}

// TestCheckWorkIsBounded checks that a check whose queries need more
// states than it may visit stops within its budget and its memory bound,
// failing closed: it says that patterns were too complex, and counts the
// access as granted. The bounds are lowered here so that the test runs
// fast; the work is counted the same way.
func TestCheckWorkIsBounded(t *testing.T) {
	c := newChecker(t)
	c.maxCheckWork, c.maxQueryWords = 1<<24, 1<<15
	existing, updated := []byte(manyWildcards(0)), []byte(manyWildcards(1))
	require.Less(t, len(updated), 10_500, "a policy of about the server's largest")

	tests := []struct {
		name  string
		check func() (*Report, error)
	}{
		{"no new access", func() (*Report, error) {
			return c.CheckNoNewAccess(t.Context(), existing, updated, engine.IdentityPolicy)
		}},
		{"access not granted", func() (*Report, error) {
			return c.CheckAccessNotGranted(t.Context(), updated, Access{Actions: []string{"mobiletargeting:GetApp"},
				Resources: []string{wildcardPattern(5)}}, engine.IdentityPolicy)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			rep, err := tc.check()
			runtime.ReadMemStats(&after)
			require.NoError(t, err)
			assert.Equal(t, Fail, rep.Result, "an undecided check fails closed")
			if assert.Len(t, rep.Reasons, 1) {
				assert.Contains(t, rep.Reasons[0].Description, "too complex")
			}
			// The budget is 16 Mi words (128 MiB at most of state sets
			// stepped); what a check allocates is a fraction of that.
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "bytes allocated by the check")
		})
	}
}
