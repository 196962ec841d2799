package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pdp-dev/pdp/pkg/store"

	"github.com/stretchr/testify/require"
)

func testList(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	var changes []store.Change
	var want []state
	for i := range 25 {
		k := user(fmt.Sprintf("u%02d", 24-i)) // written out of order
		changes = append(changes, put(k, fmt.Sprintf(`{"i":%d}`, 24-i)))
	}
	changes = append(changes, put(store.Key{Kind: store.KindRole, ID: "u00"}, `"role"`), put(store.Key{Kind: store.KindGroup, ID: "zzz"}, `"group"`))
	r1 := apply(t, s, changes...)
	for i := range 25 {
		want = append(want, state{user(fmt.Sprintf("u%02d", i)), fmt.Sprintf(`{"i":%d}`, i)})
	}
	// Later changes must not show in a listing at r1.
	r2 := apply(t, s, del(user("u03")), put(user("u10"), `"changed"`), put(user("u99"), `"new"`))

	list := func(rev int64, size int) []state {
		t.Helper()
		var all []store.Value
		after := ""
		for range 100 {
			page, got, err := s.List(t.Context(), store.KindUser, rev, store.Page{Size: size, After: after})
			if err != nil {
				t.Fatalf("List(user, %d, size %d, after %q): %v", rev, size, after, err)
			}
			if wantRev := rev; wantRev != 0 && got != wantRev {
				t.Fatalf("List at %d read revision %d", rev, got)
			}
			if rev == 0 && got != r2 {
				t.Fatalf("List at the current revision read %d, want %d", got, r2)
			}
			if len(page) > size {
				t.Fatalf("List(size %d) returned %d items", size, len(page))
			}
			all = append(all, page...)
			if len(page) < size {
				return states(all)
			}
			after = page[len(page)-1].Key.ID
		}
		t.Fatal("List did not end")
		return nil
	}
	for _, size := range []int{1, 7, 10, 25, 26, 1000} {
		if got := list(r1, size); !slices.Equal(got, want) {
			t.Fatalf("List at %d in pages of %d:\n got  %v\n want %v", r1, size, got, want)
		}
	}
	now := slices.Clone(want)
	now = slices.Delete(now, 3, 4)
	now[9].Value = `"changed"`
	now = append(now, state{user("u99"), `"new"`})
	for _, size := range []int{3, 100} {
		if got := list(0, size); !slices.Equal(got, now) {
			t.Fatalf("List now in pages of %d:\n got  %v\n want %v", size, got, now)
		}
		if got := list(r2, size); !slices.Equal(got, now) {
			t.Fatalf("List at %d in pages of %d:\n got  %v\n want %v", r2, size, got, now)
		}
	}
	// After an ID that is not stored: the listing continues after it.
	page, _, err := s.List(t.Context(), store.KindUser, r1, store.Page{Size: 2, After: "u05x"})
	require.NoError(t, err)
	if got := states(page); !slices.Equal(got, want[6:8]) {
		t.Fatalf("List after %q: got %v, want %v", "u05x", got, want[6:8])
	}
	// Other kinds are separate.
	roles, _, err := s.List(t.Context(), store.KindRole, 0, store.Page{})
	require.NoError(t, err)
	wantStates(t, "List(role)", roles, []state{{store.Key{Kind: store.KindRole, ID: "u00"}, `"role"`}})
	empty, _, err := s.List(t.Context(), store.KindSCP, 0, store.Page{})
	if err != nil || len(empty) != 0 {
		t.Fatalf("List(scp) = %v, %v; want nothing", states(empty), err)
	}
	if _, _, err := s.List(t.Context(), "bogus", 0, store.Page{}); !errors.Is(err, store.ErrInvalidKey) {
		t.Fatalf("List(bogus kind): %v, want ErrInvalidKey", err)
	}
}

func testListDefaultPage(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	var changes []store.Change
	for i := range store.DefaultPageSize + 50 {
		changes = append(changes, put(user(fmt.Sprintf("u%04d", i)), `{}`))
	}
	apply(t, s, changes...)
	page, _, err := s.List(t.Context(), store.KindUser, 0, store.Page{})
	require.NoError(t, err)
	if len(page) != store.DefaultPageSize || page[0].Key.ID != "u0000" {
		t.Fatalf("List with Size 0 returned %d items from %q, want %d from u0000", len(page), page[0].Key.ID, store.DefaultPageSize)
	}
	rest, _, err := s.List(t.Context(), store.KindUser, 0, store.Page{After: page[len(page)-1].Key.ID})
	require.NoError(t, err)
	if len(rest) != 50 || rest[0].Key.ID != fmt.Sprintf("u%04d", store.DefaultPageSize) {
		t.Fatalf("second page: %d items, want 50", len(rest))
	}
}

func testSnapshot(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	vs, rev, err := s.Snapshot(t.Context(), 0)
	if err != nil || len(vs) != 0 || rev != 0 {
		t.Fatalf("Snapshot of an empty store = %v, %d, %v; want nothing at 0", states(vs), rev, err)
	}
	role := func(id string) store.Key { return store.Key{Kind: store.KindRole, ID: id} }
	acct := store.Key{Kind: store.KindAccount, ID: "111122223333"}
	res := store.Key{Kind: store.KindResource, ID: "arn:aws:s3:::b"}
	scp := store.Key{Kind: store.KindSCP, ID: "s"}
	r1 := apply(t, s, put(res, `"res"`), put(role("r2"), `"r2"`), put(user("u"), `"u"`), put(role("r1"), `"r1"`), put(acct, `"acct"`))
	r2 := apply(t, s, put(scp, `"scp"`), del(role("r2")), put(user("u"), `"u2"`))
	at1 := []state{{acct, `"acct"`}, {user("u"), `"u"`}, {role("r1"), `"r1"`}, {role("r2"), `"r2"`}, {res, `"res"`}}
	at2 := []state{{acct, `"acct"`}, {scp, `"scp"`}, {user("u"), `"u2"`}, {role("r1"), `"r1"`}, {res, `"res"`}}
	wantStates(t, "Snapshot at r1", snapshot(t, s, r1), at1)
	wantStates(t, "Snapshot at r2", snapshot(t, s, r2), at2)
	cur, rev, err := s.Snapshot(t.Context(), 0)
	if err != nil || rev != r2 {
		t.Fatalf("Snapshot(0) read revision %d (%v), want %d", rev, err, r2)
	}
	wantStates(t, "Snapshot now", cur, at2)
	for _, v := range cur {
		want := r1
		if v.Key == scp || v.Key == user("u") {
			want = r2
		}
		if v.ModRevision != want {
			t.Errorf("Snapshot: %s has ModRevision %d, want %d", v.Key, v.ModRevision, want)
		}
	}
}

func testHistory(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	a := user("a")
	before := time.Now()
	r1 := applySet(t, s, store.ChangeSet{Changes: []store.Change{put(a, `1`)}, Author: "alice", Message: "create a"})
	r2 := applySet(t, s, store.ChangeSet{Changes: []store.Change{put(user("b"), `1`)}, Author: "bob", Message: "create b"})
	r3 := applySet(t, s, store.ChangeSet{Changes: []store.Change{put(a, `2`), put(user("b"), `2`)}, Author: "carol", Message: "update both"})
	r4 := applySet(t, s, store.ChangeSet{Changes: []store.Change{put(user("b"), `3`)}, Author: "bob", Message: "update b"})
	r5 := applySet(t, s, store.ChangeSet{Changes: []store.Change{del(a)}, Author: "dave", Message: "delete a"})
	after := time.Now()
	hist, err := s.History(t.Context(), a)
	require.NoError(t, err)
	want := []store.RevisionInfo{
		{Revision: r5, Author: "dave", Message: "delete a", Keys: []store.Key{a}},
		{Revision: r3, Author: "carol", Message: "update both", Keys: []store.Key{a, user("b")}},
		{Revision: r1, Author: "alice", Message: "create a", Keys: []store.Key{a}},
	}
	wantInfos(t, "History(a)", hist, want, before, after)
	hist, err = s.History(t.Context(), user("b"))
	require.NoError(t, err)
	if got := infoRevisions(hist); !slices.Equal(got, []int64{r4, r3, r2}) {
		t.Fatalf("History(b) revisions = %v, want %v", got, []int64{r4, r3, r2})
	}
	hist, err = s.History(t.Context(), user("nobody"))
	if err != nil || len(hist) != 0 {
		t.Fatalf("History(nobody) = %v, %v; want nothing", hist, err)
	}
	if _, err := s.History(t.Context(), store.Key{Kind: "bogus", ID: "x"}); !errors.Is(err, store.ErrInvalidKey) {
		t.Fatalf("History(bogus kind): %v, want ErrInvalidKey", err)
	}
}

func testRevisions(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	got, err := s.Revisions(t.Context(), 0, 0)
	if err != nil || len(got) != 0 {
		t.Fatalf("Revisions of an empty store = %v, %v; want nothing", got, err)
	}
	before := time.Now()
	var want []store.RevisionInfo
	for i := range 5 {
		k := user(fmt.Sprintf("u%d", i))
		cs := store.ChangeSet{Changes: []store.Change{put(k, `{}`)}, Author: fmt.Sprintf("author%d", i), Message: fmt.Sprintf("message %d", i)}
		rev := applySet(t, s, cs)
		want = append(want, store.RevisionInfo{Revision: rev, Author: cs.Author, Message: cs.Message, Keys: []store.Key{k}})
	}
	after := time.Now()
	check := func(from, to int64, want []store.RevisionInfo) {
		t.Helper()
		got, err := s.Revisions(t.Context(), from, to)
		if err != nil {
			t.Fatalf("Revisions(%d, %d): %v", from, to, err)
		}
		wantInfos(t, fmt.Sprintf("Revisions(%d, %d)", from, to), got, want, before, after)
	}
	check(0, 0, want)
	check(0, want[4].Revision, want)
	check(want[0].Revision, want[2].Revision, want[1:3])
	check(want[1].Revision, 0, want[2:])
	check(want[4].Revision, 0, nil)
	check(want[3].Revision, want[1].Revision, nil)
	if _, err := s.Revisions(t.Context(), 0, want[4].Revision+1); !errors.Is(err, store.ErrFutureRevision) {
		t.Fatalf("Revisions up to a future revision: %v, want ErrFutureRevision", err)
	}
}

// wantInfos compares revision infos, with Keys in any order and a Time
// between before and after (with a second of slack for clocks that are
// not the test's).
func wantInfos(t *testing.T, what string, got, want []store.RevisionInfo, before, after time.Time) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: revisions %v, want %v", what, infoRevisions(got), infoRevisions(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		gk := slices.SortedFunc(slices.Values(g.Keys), store.Key.Compare)
		wk := slices.SortedFunc(slices.Values(w.Keys), store.Key.Compare)
		if g.Revision != w.Revision || g.Author != w.Author || g.Message != w.Message || !slices.Equal(gk, wk) {
			t.Fatalf("%s[%d] = {%d %q %q %v}, want {%d %q %q %v}", what, i,
				g.Revision, g.Author, g.Message, gk, w.Revision, w.Author, w.Message, wk)
		}
		if g.Time.Before(before.Add(-time.Second)) || g.Time.After(after.Add(time.Second)) {
			t.Fatalf("%s[%d].Time = %v, want between %v and %v", what, i, g.Time, before, after)
		}
	}
}

func infoRevisions(infos []store.RevisionInfo) []int64 {
	out := make([]int64, len(infos))
	for i, info := range infos {
		out[i] = info.Revision
	}
	return out
}
