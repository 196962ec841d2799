package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/pdp-dev/pdp/pkg/store"

	"github.com/stretchr/testify/require"
)

// diffFixture writes three revisions and returns them.
func diffFixture(t *testing.T, s store.Store) (r1, r2, r3 int64) {
	t.Helper()
	scp := store.Key{Kind: store.KindSCP, ID: "s"}
	r1 = apply(t, s, put(user("keep"), `"k"`), put(user("change"), `"c1"`), put(user("gone"), `"g"`), put(scp, `"s1"`))
	r2 = apply(t, s, put(user("change"), `"c2"`), del(user("gone")), put(user("new"), `"n"`))
	r3 = apply(t, s, put(scp, `"s2"`), put(user("gone"), `"g"`), del(user("new")), put(user("later"), `"l"`))
	return r1, r2, r3
}

func testDiff(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	r1, r2, r3 := diffFixture(t, s)
	scp := store.Key{Kind: store.KindSCP, ID: "s"}
	tests := []struct {
		name     string
		from, to int64
		want     []store.Change
	}{
		{name: "forward", from: r1, to: r2, want: []store.Change{put(user("change"), `"c2"`), del(user("gone")), put(user("new"), `"n"`)}},
		{name: "backward", from: r2, to: r1, want: []store.Change{put(user("change"), `"c1"`), put(user("gone"), `"g"`), del(user("new"))}},
		{name: "two revisions", from: r1, to: r3, want: []store.Change{put(scp, `"s2"`), put(user("change"), `"c2"`), put(user("later"), `"l"`)}},
		{name: "same", from: r2, to: r2, want: nil},
		{name: "from empty", from: 0, to: r1, want: sortedChanges([]store.Change{put(user("keep"), `"k"`), put(user("change"), `"c1"`), put(user("gone"), `"g"`), put(scp, `"s1"`)})},
		{name: "to empty", from: r2, to: 0, want: sortedChanges([]store.Change{del(user("keep")), del(user("change")), del(user("new")), del(scp)})},
	}
	for _, tc := range tests {
		got, err := store.Diff(t.Context(), s, tc.from, tc.to)
		if err != nil {
			t.Fatalf("%s: Diff(%d, %d): %v", tc.name, tc.from, tc.to, err)
		}
		wantChanges(t, tc.name, got, tc.want)
	}
	if _, err := store.Diff(t.Context(), s, r1, r3+1); !errors.Is(err, store.ErrFutureRevision) {
		t.Fatalf("Diff to a future revision: %v, want ErrFutureRevision", err)
	}
}

func testRollback(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	r1, r2, r3 := diffFixture(t, s)
	for _, to := range []int64{r1, r3, r2, 0} {
		want := states(snapshot(t, s, to))
		if to == 0 {
			want = nil
		}
		cur := revision(t, s)
		cs, err := store.RollbackChangeSet(t.Context(), s, to, "rollbacker", "")
		if err != nil {
			t.Fatalf("RollbackChangeSet(%d): %v", to, err)
		}
		if cs.ExpectRevision != cur || cs.Author != "rollbacker" || cs.Message == "" {
			t.Fatalf("RollbackChangeSet(%d) = {expect %d, author %q, message %q}, want expect %d, author rollbacker and a message",
				to, cs.ExpectRevision, cs.Author, cs.Message, cur)
		}
		if len(cs.Changes) == 0 {
			if !slices.Equal(states(snapshot(t, s, 0)), want) {
				t.Fatalf("RollbackChangeSet(%d) changes nothing, but the state differs", to)
			}
			continue
		}
		rev := applySet(t, s, cs)
		if got := states(snapshot(t, s, rev)); !slices.Equal(got, want) {
			t.Fatalf("state after rolling back to %d:\n got  %v\n want %v", to, got, want)
		}
	}
	// Rolling back to the current state changes nothing.
	cs, err := store.RollbackChangeSet(t.Context(), s, revision(t, s), "x", "y")
	if err != nil || len(cs.Changes) != 0 {
		t.Fatalf("RollbackChangeSet(current) = %s, %v; want no change", changesString(cs.Changes), err)
	}
}

func testRollbackConflict(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	r1, _, r3 := diffFixture(t, s)
	cs, err := store.RollbackChangeSet(t.Context(), s, r1, "a", "m")
	require.NoError(t, err)
	r4 := apply(t, s, put(user("concurrent"), `{}`))
	if _, err := s.Apply(t.Context(), cs); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("rollback after a concurrent write: %v, want ErrConflict", err)
	}
	if got := revision(t, s); got != r4 {
		t.Fatalf("Revision = %d, want %d", got, r4)
	}
	want := append(states(snapshot(t, s, r3)), state{user("concurrent"), `{}`})
	slices.SortFunc(want, func(a, b state) int { return a.Key.Compare(b.Key) })
	wantStates(t, "state after the failed rollback", snapshot(t, s, 0), want)
}
