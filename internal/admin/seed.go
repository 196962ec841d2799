package admin

import (
	"context"
	"fmt"

	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// Seed writes a policy model into an empty store as its first revision,
// after checking it whole. A store that already holds a revision is left
// alone. The caller seeds only a store it has just created (pdp serve:
// a new bolt file, a memory store, an etcd prefix without keys), so that
// an existing store is never written over, even one at revision 0.
func Seed(ctx context.Context, cat *catalog.Catalog, st store.Store, set *entity.Set, message string) (rev int64, seeded bool, err error) {
	if rev, err = st.Revision(ctx); err != nil || rev != 0 {
		return rev, false, err
	}
	if _, err := set.Resolve(cat); err != nil {
		return 0, false, fmt.Errorf("seed: %w", err)
	}
	changes, err := snapshot.SetValues(set)
	if err != nil {
		return 0, false, err
	}
	// ExpectRevision 0 would mean "any"; a concurrent seeder may win, which
	// is fine: its model is the same directory's.
	rev, err = st.Apply(ctx, store.ChangeSet{Changes: changes, Author: "pdp serve", Message: message})
	if err != nil {
		return 0, false, fmt.Errorf("seed: %w", err)
	}
	return rev, true, nil
}
