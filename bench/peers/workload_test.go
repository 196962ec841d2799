package peers

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := Generate(1000), Generate(1000)
	require.Equal(t, a, b, "two workloads of 1,000 policies")
}

func TestGenerateShape(t *testing.T) {
	t.Parallel()
	for _, n := range Sizes {
		w := Generate(n)
		assert.Len(t, w.Policies, n, "N=%d: policies", n)
		assert.Len(t, w.Principals, n/PoliciesPerPrincipal, "N=%d: principals", n)
		assert.Len(t, w.Requests, NumRequests, "N=%d: requests", n)
		count := map[Outcome]int{}
		names := map[string]bool{}
		for _, q := range w.Requests {
			count[q.Want]++
			names[q.Name] = true
		}
		for _, o := range []Outcome{Allowed, NoPolicy, Denied} {
			assert.Equal(t, NumRequests/3, count[o], "N=%d: %s requests", n, o)
		}
		// Every way of missing appears, the other principal's app once
		// there are two principals.
		want := []string{"hit", "denied-prod-delete", "miss-unknown-app", "miss-source-ip", "miss-team-tag",
			"miss-no-team-tag", "miss-action", "miss-unknown-principal"}
		if n > PoliciesPerPrincipal {
			want = append(want, "miss-other-principal")
		}
		for _, name := range want {
			assert.True(t, names[name], "N=%d: no %s request", n, name)
		}
	}
}
