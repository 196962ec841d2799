package server

import (
	"testing"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// BenchmarkWriteValidation measures what a policy write costs in validation
// on a model of 10,000 principals and 100,000 resources: every write checks
// the whole model it would produce. (A document cache does not help here:
// resource ARNs and references dominate, not policy documents.)
func BenchmarkWriteValidation(b *testing.B) {
	cat, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	set := genModel(genConfig{accounts: 100, managed: 500, principals: 10_000, resources: 100_000})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := set.Resolve(cat); err != nil {
			b.Fatal(err)
		}
	}
}
