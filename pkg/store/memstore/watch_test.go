package memstore_test

import (
	"testing"

	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/memstore"

	"github.com/stretchr/testify/require"
)

// TestWatchOvertakenByCompaction: a watcher that falls behind compaction
// gets ErrCompacted rather than a gap.
func TestWatchOvertakenByCompaction(t *testing.T) {
	s := memstore.New(store.Options{KeepRevisions: 2})
	defer s.Close()
	apply := func() {
		t.Helper()
		_, err := s.Apply(t.Context(), store.ChangeSet{Changes: []store.Change{{Op: store.OpPut, Key: store.Key{Kind: store.KindUser, ID: "a"}, Value: []byte("1")}}})
		require.NoError(t, err)
	}
	apply()
	n := 0
	for ev, err := range s.Watch(t.Context(), 0) {
		if n == 0 {
			require.NoError(t, err, "first event")
			require.EqualValues(t, 1, ev.Revision, "revision of the first event")
			// While the consumer works on revision 1, five more are
			// written and all but two compacted away.
			for range 5 {
				apply()
			}
			require.NoError(t, s.Compact(t.Context(), 0))
			n++
			continue
		}
		require.ErrorIs(t, err, store.ErrCompacted, "after compaction the watch yielded %+v", ev)
		return
	}
	require.FailNow(t, "watch ended without ErrCompacted")
}
