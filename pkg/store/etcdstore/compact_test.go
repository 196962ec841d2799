package etcdstore_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/pdp-dev/pdp/pkg/store"

	"github.com/stretchr/testify/require"
)

// TestCompactCountsStoreRevisions checks that Compact keeps the newest
// KeepRevisions revisions written by Apply, however many etcd revisions
// other clients wrote between them.
func TestCompactCountsStoreRevisions(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cli := rawClient(t, srv)
	s := openStore(t, srv, "/pdp/", store.Options{KeepRevisions: 3})
	var revs []int64
	for i := range 6 {
		revs = append(revs, apply(t, s, put(user("a"), fmt.Sprint(i))))
		for range 3 { // a gap of three etcd revisions
			if _, err := cli.Put(t.Context(), "/other", "x"); err != nil {
				t.Fatal(err)
			}
		}
	}
	require.NoError(t, s.Compact(t.Context(), 0), "Compact")
	// Kept: revs[3:], read at revs[3] and in the gaps after it.
	for _, rev := range []int64{revs[3], revs[3] + 1, revs[5]} {
		if _, err := s.Get(t.Context(), user("a"), rev); err != nil {
			t.Fatalf("Get at kept revision %d: %v", rev, err)
		}
	}
	// Gone: before revs[3], gaps included.
	for _, rev := range []int64{revs[3] - 1, revs[2], revs[0]} {
		if _, err := s.Get(t.Context(), user("a"), rev); !errors.Is(err, store.ErrCompacted) {
			t.Fatalf("Get at %d, before the oldest kept %d: %v, want ErrCompacted", rev, revs[3], err)
		}
	}
	infos, err := s.Revisions(t.Context(), revs[3], 0)
	if err != nil || len(infos) != 2 || infos[0].Revision != revs[4] {
		t.Fatalf("Revisions(%d, 0) = %v, %v; want %v", revs[3], infos, err, revs[4:])
	}
	if _, err := s.Revisions(t.Context(), revs[2], 0); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("Revisions(%d, 0): %v, want ErrCompacted", revs[2], err)
	}
	hist, err := s.History(t.Context(), user("a"))
	if err != nil || len(hist) != 3 {
		t.Fatalf("History = %v, %v; want the 3 kept revisions", hist, err)
	}
	w := startWatch(t, s, revs[3])
	if ev := w.nextChange(t); ev.Revision != revs[4] {
		t.Fatalf("Watch(%d) yielded %d, want %d", revs[3], ev.Revision, revs[4])
	}
	it, ok := startWatch(t, s, revs[2]).next(t, timeout)
	if !ok || !errors.Is(it.err, store.ErrCompacted) {
		t.Fatalf("Watch(%d) yielded {%+v, %v}, want ErrCompacted", revs[2], it.ev, it.err)
	}

	// Someone compacts the whole cluster further: Compact then does
	// nothing, and succeeds.
	head, err := cli.Get(t.Context(), "/other")
	require.NoError(t, err)
	if _, err := cli.Compact(t.Context(), head.Header.Revision); err != nil {
		t.Fatal(err)
	}
	require.NoError(t, s.Compact(t.Context(), 0), "Compact after a further cluster compaction")
	if _, err := s.Get(t.Context(), user("a"), revs[5]); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("Get at %d after the cluster was compacted at %d: %v, want ErrCompacted", revs[5], head.Header.Revision, err)
	}
	if v, err := s.Get(t.Context(), user("a"), 0); err != nil || string(v.Value) != "5" {
		t.Fatalf("Get now = %+v, %v; want 5", v, err)
	}
}

// TestClusterCompactedBeforeFirstWrite checks that a cluster compacted
// before the store's first revision fails nothing of the store: nothing
// of it was lost.
func TestClusterCompactedBeforeFirstWrite(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cli := rawClient(t, srv)
	var last int64
	for range 5 {
		resp, err := cli.Put(t.Context(), "/other", "x")
		require.NoError(t, err)
		last = resp.Header.Revision
	}
	if _, err := cli.Compact(t.Context(), last); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, srv, "/pdp/", store.Options{})
	w := startWatch(t, s, 0) // before anything was written
	revs := []int64{apply(t, s, put(user("a"), `1`)), apply(t, s, put(user("a"), `2`)), apply(t, s, del(user("a")))}
	for _, rev := range revs {
		if ev := w.nextChange(t); ev.Revision != rev {
			t.Fatalf("Watch(0) yielded %d, want %d", ev.Revision, rev)
		}
	}
	replay := startWatch(t, s, 0) // started after
	for _, rev := range revs {
		if ev := replay.nextChange(t); ev.Revision != rev {
			t.Fatalf("Watch(0) replay yielded %d, want %d", ev.Revision, rev)
		}
	}
	infos, err := s.Revisions(t.Context(), 0, 0)
	require.NoError(t, err, "Revisions(0, 0)")
	var got []int64
	for _, info := range infos {
		got = append(got, info.Revision)
	}
	if !slices.Equal(got, revs) {
		t.Fatalf("Revisions(0, 0) = %v, want %v", got, revs)
	}
	hist, err := s.History(t.Context(), user("a"))
	if err != nil || len(hist) != 3 {
		t.Fatalf("History = %v, %v; want 3 revisions", hist, err)
	}
}
