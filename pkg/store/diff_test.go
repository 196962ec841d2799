package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/memstore"

	"github.com/stretchr/testify/require"
)

// TestDiffRandom checks Diff against the difference of two snapshots
// computed here, for random histories that change few keys (Diff reads
// them one by one) and many (it compares snapshots).
func TestDiffRandom(t *testing.T) {
	for _, tc := range []struct {
		name       string
		keys, revs int
		perRev     int
	}{
		{name: "few keys", keys: 20, revs: 30, perRev: 3},
		{name: "many keys", keys: 2000, revs: 8, perRev: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(1, uint64(tc.keys)))
			s := memstore.New(store.Options{})
			defer s.Close()
			revs := []int64{0}
			for range tc.revs {
				seen := map[store.Key]bool{}
				var changes []store.Change
				for range tc.perRev {
					k := store.Key{Kind: store.Kinds()[r.IntN(3)], ID: fmt.Sprintf("k%d", r.IntN(tc.keys))}
					if seen[k] {
						continue
					}
					seen[k] = true
					if r.IntN(4) == 0 {
						changes = append(changes, store.Change{Op: store.OpDelete, Key: k})
					} else {
						changes = append(changes, store.Change{Op: store.OpPut, Key: k, Value: fmt.Appendf(nil, "%d", r.IntN(3))})
					}
				}
				rev, err := s.Apply(t.Context(), store.ChangeSet{Changes: changes})
				require.NoError(t, err)
				revs = append(revs, rev)
			}
			for range 50 {
				from, to := revs[r.IntN(len(revs))], revs[r.IntN(len(revs))]
				got, err := store.Diff(t.Context(), s, from, to)
				require.NoError(t, err, "Diff(%d, %d)", from, to)
				want := naiveDiff(t, s, from, to)
				// Compared as EqualFunc does: no value and an empty one alike.
				if !slices.EqualFunc(got, want, func(a, b store.Change) bool {
					return a.Op == b.Op && a.Key == b.Key && string(a.Value) == string(b.Value)
				}) {
					require.Equal(t, want, got, "Diff(%d, %d)", from, to)
				}
			}
		})
	}
}

func naiveDiff(t *testing.T, s store.Store, from, to int64) []store.Change {
	state := func(rev int64) map[store.Key]string {
		m := map[store.Key]string{}
		if rev == 0 {
			return m
		}
		vs, _, err := s.Snapshot(t.Context(), rev)
		require.NoError(t, err)
		for _, v := range vs {
			m[v.Key] = string(v.Value)
		}
		return m
	}
	a, b := state(from), state(to)
	var out []store.Change
	for k, v := range b {
		if old, ok := a[k]; !ok || old != v {
			out = append(out, store.Change{Op: store.OpPut, Key: k, Value: []byte(v)})
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, store.Change{Op: store.OpDelete, Key: k})
		}
	}
	slices.SortFunc(out, func(x, y store.Change) int { return x.Key.Compare(y.Key) })
	return out
}
