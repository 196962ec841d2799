package memstore_test

import (
	"errors"
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
		if _, err := s.Apply(t.Context(), store.ChangeSet{Changes: []store.Change{{Op: store.OpPut, Key: store.Key{Kind: store.KindUser, ID: "a"}, Value: []byte("1")}}}); err != nil {
			t.Fatal(err)
		}
	}
	apply()
	n := 0
	for ev, err := range s.Watch(t.Context(), 0) {
		if n == 0 {
			if err != nil || ev.Revision != 1 {
				t.Fatalf("first event = %+v, %v; want revision 1", ev, err)
			}
			// While the consumer works on revision 1, five more are
			// written and all but two compacted away.
			for range 5 {
				apply()
			}
			require.NoError(t, s.Compact(t.Context(), 0))
			n++
			continue
		}
		if !errors.Is(err, store.ErrCompacted) {
			t.Fatalf("after compaction the watch yielded %+v, %v; want ErrCompacted", ev, err)
		}
		return
	}
	t.Fatal("watch ended without ErrCompacted")
}
