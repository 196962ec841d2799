package peers

import (
	"fmt"
	"testing"
)

// TestEnginesAgree runs every request of the small workloads through every
// engine; BenchmarkDecision does the same for every size, N=10,000
// included, before it times anything.
func TestEnginesAgree(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	for _, n := range []int{10, 1000} {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) {
			t.Parallel()
			w := Generate(n)
			checkAgree(t, w, loadAll(t, cat, w))
		})
	}
}
