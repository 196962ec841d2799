package snapshot

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/modelgen"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// TestSnapshotLookupsDoNotAllocate: finding a principal and what governs
// a resource, listed or not, allocates nothing.
func TestSnapshotLookupsDoNotAllocate(t *testing.T) {
	cat := loadTestCatalog(t)
	set := modelgen.Generate(modelgen.Small)
	res, err := set.Link(cat, nil)
	require.NoError(t, err)
	snap, err := Compile(cat, res, 1, nil)
	require.NoError(t, err)
	user, _ := engine.ParsePrincipalARN(set.Users[0].ARN)
	app := modelgen.App(modelgen.Account(0), 0) // has a resource policy
	listed, unlisted := app+"/campaigns/c0", app+"/campaigns/zz"
	lookups := map[string]func() bool{
		"principal":               func() bool { _, ok := snap.Principal(user); return ok },
		"listed resource":         func() bool { e, ok := snap.Resource(listed); return ok && e.policy != nil },
		"unlisted under a policy": func() bool { e, known := snap.Resource(unlisted); return !known && e.policy != nil },
		"unlisted, nothing above": func() bool {
			e, _ := snap.Resource("arn:aws:mobiletargeting:us-east-1:999999999999:apps/x/y")
			return e == nil
		},
		"wildcard resource": func() bool { e, _ := snap.Resource("*"); return e == nil },
	}
	for name, lookup := range lookups {
		assert.True(t, lookup(), "%s: not found as expected", name)
		assert.Zero(t, testing.AllocsPerRun(1000, func() { lookup() }), "%s: allocations per lookup", name)
	}
}

// BenchmarkSnapshotLookups finds what governs a resource, as every
// decision does: a listed resource under an app with a policy, one under
// an app without, and an unlisted one under an app with a policy.
func BenchmarkSnapshotLookups(b *testing.B) {
	cat := loadTestCatalog(b)
	set := modelgen.Generate(modelgen.Small)
	res, err := set.Link(cat, nil)
	require.NoError(b, err)
	snap, err := Compile(cat, res, 1, nil)
	require.NoError(b, err)
	withPolicy := modelgen.App(modelgen.Account(0), 0) // has a resource policy
	without := modelgen.App(modelgen.Account(1), 0)
	for _, tc := range []struct{ name, arn string }{
		{"listed under a policy", withPolicy + "/campaigns/c0"},
		{"listed", without + "/campaigns/c0"},
		{"unlisted under a policy", withPolicy + "/campaigns/zz"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if e, _ := snap.Resource(tc.arn); e == nil && tc.name != "listed" {
					b.Fatal("not found")
				}
			}
		})
	}
}
