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
