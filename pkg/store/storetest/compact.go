package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/pdp-dev/pdp/pkg/store"

	"github.com/stretchr/testify/require"
)

// compactFixture writes ten revisions: a is written once at the first, b
// at every one, c deleted at the second, d written at the third and
// deleted at the ninth. It returns the revisions and the snapshots at each.
func compactFixture(t *testing.T, s store.Store) ([]int64, [][]state) {
	t.Helper()
	var revs []int64
	var snaps [][]state
	for i := range 10 {
		changes := []store.Change{put(user("b"), fmt.Sprintf(`"b%d"`, i))}
		switch i {
		case 0:
			changes = append(changes, put(user("a"), `"a"`), put(user("c"), `"c"`))
		case 1:
			changes = append(changes, del(user("c")))
		case 2:
			changes = append(changes, put(user("d"), `"d"`))
		case 8:
			changes = append(changes, del(user("d")))
		}
		revs = append(revs, apply(t, s, changes...))
		snaps = append(snaps, states(snapshot(t, s, 0)))
	}
	return revs, snaps
}

func testCompact(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{KeepRevisions: 3})
	revs, snaps := compactFixture(t, s)
	require.NoError(t, s.Compact(t.Context(), 0), "Compact")
	// The newest three revisions are kept, with the state at the oldest.
	for i := 7; i < 10; i++ {
		wantStates(t, fmt.Sprintf("Snapshot at kept revision %d", revs[i]), snapshot(t, s, revs[i]), snaps[i])
	}
	wantGet(t, s, user("a"), revs[7], `"a"`, revs[0])
	wantGet(t, s, user("d"), revs[7], `"d"`, revs[2])
	wantGetErr(t, s, user("c"), revs[7], store.ErrNotFound)
	wantGetErr(t, s, user("d"), 0, store.ErrNotFound)
	// The oldest revision is gone.
	wantGetErr(t, s, user("a"), revs[0], store.ErrCompacted)
	wantGetErr(t, s, user("c"), revs[0], store.ErrCompacted)
	if _, _, err := s.Snapshot(t.Context(), revs[0]); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("Snapshot at a compacted revision: %v, want ErrCompacted", err)
	}
	if _, _, err := s.List(t.Context(), store.KindUser, revs[0], store.Page{}); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("List at a compacted revision: %v, want ErrCompacted", err)
	}
	if _, err := s.Revisions(t.Context(), revs[0], 0); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("Revisions from a compacted revision: %v, want ErrCompacted", err)
	}
	if _, err := store.Diff(t.Context(), s, revs[0], revs[9]); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("Diff from a compacted revision: %v, want ErrCompacted", err)
	}
	infos, err := s.Revisions(t.Context(), revs[7], 0)
	require.NoError(t, err)
	if got := infoRevisions(infos); !slices.Equal(got, revs[8:]) {
		t.Fatalf("Revisions after the oldest kept = %v, want %v", got, revs[8:])
	}
	hist, err := s.History(t.Context(), user("b"))
	require.NoError(t, err)
	if got := infoRevisions(hist); len(got) < 3 || !slices.Equal(got[:3], []int64{revs[9], revs[8], revs[7]}) || slices.Contains(got, revs[0]) {
		t.Fatalf("History(b) after compaction = %v, want %v (and maybe a few older ones, not the first)", got, []int64{revs[9], revs[8], revs[7]})
	}
	// Compacting less than already compacted does nothing, nor does
	// compacting again.
	for _, keep := range []int64{5, 0} {
		if err := s.Compact(t.Context(), keep); err != nil {
			t.Fatalf("Compact(%d) again: %v", keep, err)
		}
		wantStates(t, "Snapshot at the oldest kept revision", snapshot(t, s, revs[7]), snaps[7])
	}
	// The store goes on after compaction.
	r := apply(t, s, put(user("e"), `"e"`), put(user("a"), `"a2"`))
	wantGet(t, s, user("e"), r, `"e"`, r)
	wantGet(t, s, user("a"), revs[9], `"a"`, revs[0])
	wantGet(t, s, user("a"), 0, `"a2"`, r)
	d, err := store.Diff(t.Context(), s, revs[7], r)
	require.NoError(t, err)
	wantChanges(t, "Diff after compaction", d, []store.Change{put(user("a"), `"a2"`), put(user("b"), `"b9"`), del(user("d")), put(user("e"), `"e"`)})
}

func testCompactKeepsWindow(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{KeepRevisions: 4})
	revs, snaps := compactFixture(t, s)
	// keep below KeepRevisions is raised to it.
	require.NoError(t, s.Compact(t.Context(), 1))
	for i := 6; i < 10; i++ {
		wantStates(t, fmt.Sprintf("Snapshot at revision %d", revs[i]), snapshot(t, s, revs[i]), snaps[i])
	}
	wantGetErr(t, s, user("a"), revs[0], store.ErrCompacted)
	// keep above KeepRevisions is honoured; with the default window
	// nothing of a young store is compacted.
	s2 := newStore(t, store.Options{})
	revs2, snaps2 := compactFixture(t, s2)
	require.NoError(t, s2.Compact(t.Context(), 0))
	require.NoError(t, s2.Compact(t.Context(), 20))
	for i := range revs2 {
		wantStates(t, fmt.Sprintf("Snapshot at revision %d", revs2[i]), snapshot(t, s2, revs2[i]), snaps2[i])
	}
	if _, err := s2.Revisions(t.Context(), 0, 0); err != nil {
		t.Fatalf("Revisions(0, 0) of an uncompacted store: %v", err)
	}
}
