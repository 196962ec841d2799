package peers

import (
	"reflect"
	"testing"
)

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := Generate(1000), Generate(1000)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two workloads of 1,000 policies differ")
	}
}

func TestGenerateShape(t *testing.T) {
	t.Parallel()
	for _, n := range Sizes {
		w := Generate(n)
		if len(w.Policies) != n || len(w.Principals) != n/PoliciesPerPrincipal || len(w.Requests) != NumRequests {
			t.Errorf("N=%d: %d policies, %d principals, %d requests; want %d, %d, %d",
				n, len(w.Policies), len(w.Principals), len(w.Requests), n, n/PoliciesPerPrincipal, NumRequests)
		}
		count := map[Outcome]int{}
		names := map[string]bool{}
		for _, q := range w.Requests {
			count[q.Want]++
			names[q.Name] = true
		}
		for _, o := range []Outcome{Allowed, NoPolicy, Denied} {
			if count[o] != NumRequests/3 {
				t.Errorf("N=%d: %d %s requests, want %d", n, count[o], o, NumRequests/3)
			}
		}
		// Every way of missing appears, the other principal's app once
		// there are two principals.
		want := []string{"hit", "denied-prod-delete", "miss-unknown-app", "miss-source-ip", "miss-team-tag",
			"miss-no-team-tag", "miss-action", "miss-unknown-principal"}
		if n > PoliciesPerPrincipal {
			want = append(want, "miss-other-principal")
		}
		for _, name := range want {
			if !names[name] {
				t.Errorf("N=%d: no %s request", n, name)
			}
		}
	}
}
