package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdp-dev/pdp/pkg/store"

	"github.com/stretchr/testify/require"
)

func testApplyAndGet(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	if rev := revision(t, s); rev != 0 {
		t.Fatalf("Revision of an empty store = %d, want 0", rev)
	}
	wantGetErr(t, s, user("alice"), 0, store.ErrNotFound)
	keys := []store.Key{
		{Kind: store.KindAccount, ID: "111122223333"},
		{Kind: store.KindSCP, ID: "deny-leave"},
		{Kind: store.KindManagedPolicy, ID: "ReadOnly"},
		{Kind: store.KindGroup, ID: "111122223333/admins"},
		{Kind: store.KindUser, ID: "arn:aws:iam::111122223333:user/alice"},
		{Kind: store.KindRole, ID: "arn:aws:iam::111122223333:role/ops"},
		{Kind: store.KindResource, ID: "arn:aws:s3:::bucket/key with spaces/é"},
	}
	var changes []store.Change
	for i, k := range keys {
		changes = append(changes, put(k, `{"n":`+string(rune('0'+i))+`}`))
	}
	rev := apply(t, s, changes...)
	if rev <= 0 {
		t.Fatalf("Apply returned revision %d, want > 0", rev)
	}
	if got := revision(t, s); got != rev {
		t.Fatalf("Revision = %d, want %d (the revision Apply returned)", got, rev)
	}
	for _, c := range changes {
		wantGet(t, s, c.Key, 0, string(c.Value), rev)
		wantGet(t, s, c.Key, rev, string(c.Value), rev)
	}
	wantGetErr(t, s, user("bob"), 0, store.ErrNotFound)
	// Same ID, other kind: a different entity.
	wantGetErr(t, s, store.Key{Kind: store.KindRole, ID: keys[4].ID}, 0, store.ErrNotFound)
	// An ID that is a prefix of a stored one, and one that extends it.
	wantGetErr(t, s, store.Key{Kind: store.KindSCP, ID: "deny"}, 0, store.ErrNotFound)
	wantGetErr(t, s, store.Key{Kind: store.KindSCP, ID: "deny-leave2"}, 0, store.ErrNotFound)

	// Overwrite one, delete another.
	rev2 := apply(t, s, put(keys[0], `{"n":"new"}`), del(keys[1]))
	wantGet(t, s, keys[0], 0, `{"n":"new"}`, rev2)
	wantGetErr(t, s, keys[1], 0, store.ErrNotFound)
	wantGet(t, s, keys[2], 0, string(changes[2].Value), rev)
	if _, err := s.Get(t.Context(), store.Key{Kind: "bogus", ID: "x"}, 0); !errors.Is(err, store.ErrInvalidKey) {
		t.Fatalf("Get with an unknown kind: %v, want ErrInvalidKey", err)
	}
}

func testValuesAreCopied(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	in := []byte(`{"v":1}`)
	rev := apply(t, s, store.Change{Op: store.OpPut, Key: user("a"), Value: in})
	in[5] = '9' // the caller reuses its buffer
	wantGet(t, s, user("a"), rev, `{"v":1}`, rev)
	got, err := s.Get(t.Context(), user("a"), 0)
	require.NoError(t, err)
	got.Value[5] = '8' // and scribbles on what it read
	wantGet(t, s, user("a"), rev, `{"v":1}`, rev)
	vs := snapshot(t, s, 0)
	vs[0].Value[5] = '7'
	wantGet(t, s, user("a"), rev, `{"v":1}`, rev)
}

func testRevisionsIncrease(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	var last int64
	for i := range 10 {
		rev := apply(t, s, put(user("a"), `{"i":`+strings.Repeat("1", i+1)+`}`))
		if rev <= last {
			t.Fatalf("Apply %d returned revision %d, not after %d", i, rev, last)
		}
		if got := revision(t, s); got != rev {
			t.Fatalf("Revision after Apply %d = %d, want %d", i, got, rev)
		}
		last = rev
	}
}

func testEmptyChangeSet(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	rev := apply(t, s, put(user("a"), `{}`))
	for _, cs := range []store.ChangeSet{{}, {Changes: []store.Change{}, Author: "x", Message: "y"}, {ExpectRevision: rev}} {
		_, err := s.Apply(t.Context(), cs)
		if !errors.Is(err, store.ErrEmptyChangeSet) || !errors.Is(err, store.ErrInvalidChangeSet) {
			t.Fatalf("Apply(empty change set) = %v, want ErrEmptyChangeSet and ErrInvalidChangeSet", err)
		}
	}
	if got := revision(t, s); got != rev {
		t.Fatalf("Revision after empty change sets = %d, want %d", got, rev)
	}
}

func testInvalidChangeSet(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	rev := apply(t, s, put(user("a"), `{}`))
	tests := []struct {
		name    string
		change  store.Change
		wantKey bool // the error also wraps ErrInvalidKey
	}{
		{name: "unknown kind", change: put(store.Key{Kind: "lambda", ID: "f"}, `{}`), wantKey: true},
		{name: "empty kind", change: put(store.Key{ID: "f"}, `{}`), wantKey: true},
		{name: "empty id", change: put(store.Key{Kind: store.KindRole}, `{}`), wantKey: true},
		{name: "NUL in id", change: put(user("a\x00b"), `{}`), wantKey: true},
		{name: "newline in id", change: put(user("a\nb"), `{}`), wantKey: true},
		{name: "invalid UTF-8 id", change: put(user("a\xffb"), `{}`), wantKey: true},
		{name: "id too long", change: put(user(strings.Repeat("x", store.MaxIDLen+1)), `{}`), wantKey: true},
		{name: "unknown op", change: store.Change{Op: 9, Key: user("b"), Value: []byte(`{}`)}},
		{name: "zero op", change: store.Change{Key: user("b"), Value: []byte(`{}`)}},
		{name: "put without value", change: put(user("b"), ``)},
		{name: "delete with value", change: store.Change{Op: store.OpDelete, Key: user("a"), Value: []byte(`{}`)}},
	}
	for _, tc := range tests {
		_, err := s.Apply(t.Context(), store.ChangeSet{Changes: []store.Change{tc.change}})
		if !errors.Is(err, store.ErrInvalidChangeSet) {
			t.Errorf("%s: Apply = %v, want ErrInvalidChangeSet", tc.name, err)
		}
		if tc.wantKey && !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("%s: Apply = %v, want it to wrap ErrInvalidKey", tc.name, err)
		}
	}
	// A key changed twice in one change set is ambiguous.
	_, err := s.Apply(t.Context(), store.ChangeSet{Changes: []store.Change{put(user("b"), `{}`), del(user("b"))}})
	if !errors.Is(err, store.ErrInvalidChangeSet) {
		t.Errorf("Apply(key changed twice) = %v, want ErrInvalidChangeSet", err)
	}
	if got := revision(t, s); got != rev {
		t.Fatalf("Revision after invalid change sets = %d, want %d", got, rev)
	}
	wantGetErr(t, s, user("b"), 0, store.ErrNotFound)
	// A long but valid ID is fine.
	long := user(strings.Repeat("x", store.MaxIDLen))
	r := apply(t, s, put(long, `{}`))
	wantGet(t, s, long, 0, `{}`, r)
}

func testAtomicity(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	rev := apply(t, s, put(user("a"), `"a1"`))
	changes := []store.Change{put(user("a"), `"a2"`), put(user("b"), `"b1"`), del(user("c")), put(store.Key{Kind: "bogus", ID: "x"}, `{}`)}
	if _, err := s.Apply(t.Context(), store.ChangeSet{Changes: changes}); !errors.Is(err, store.ErrInvalidChangeSet) {
		t.Fatalf("Apply(last change invalid) = %v, want ErrInvalidChangeSet", err)
	}
	if got := revision(t, s); got != rev {
		t.Fatalf("Revision = %d, want %d", got, rev)
	}
	wantGet(t, s, user("a"), 0, `"a1"`, rev)
	wantGetErr(t, s, user("b"), 0, store.ErrNotFound)
	wantStates(t, "Snapshot", snapshot(t, s, 0), []state{{user("a"), `"a1"`}})
}

func testCanceledContext(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Apply(ctx, store.ChangeSet{Changes: []store.Change{put(user("a"), `{}`)}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply with a canceled context = %v, want context.Canceled", err)
	}
	if got := revision(t, s); got != 0 {
		t.Fatalf("Revision = %d after a canceled Apply, want 0", got)
	}
}

func testCompareAndSwap(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	r1 := apply(t, s, put(user("a"), `"a1"`))
	r2 := apply(t, s, put(user("a"), `"a2"`))
	for _, expect := range []int64{r1, r2 + 1, r2 + 1000, -1} {
		_, err := s.Apply(t.Context(), store.ChangeSet{Changes: []store.Change{put(user("a"), `"a3"`), put(user("b"), `"b"`)}, ExpectRevision: expect})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("Apply(ExpectRevision %d at revision %d) = %v, want ErrConflict", expect, r2, err)
		}
	}
	if got := revision(t, s); got != r2 {
		t.Fatalf("Revision after conflicts = %d, want %d", got, r2)
	}
	wantGet(t, s, user("a"), 0, `"a2"`, r2)
	wantGetErr(t, s, user("b"), 0, store.ErrNotFound)
	r3 := applySet(t, s, store.ChangeSet{Changes: []store.Change{put(user("a"), `"a3"`)}, ExpectRevision: r2})
	if r3 <= r2 {
		t.Fatalf("Apply(ExpectRevision %d) = %d, want a later revision", r2, r3)
	}
	wantGet(t, s, user("a"), 0, `"a3"`, r3)
}

func testConcurrentCompareAndSwap(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	base := apply(t, s, put(user("counter"), `0`))
	const writers = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins []int64
		errs []error
	)
	start := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			<-start
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()
			rev, err := s.Apply(ctx, store.ChangeSet{
				Changes:        []store.Change{put(user("counter"), `1`), put(user(string(rune('a'+i))), `{}`)},
				ExpectRevision: base,
			})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins = append(wins, rev)
			} else {
				errs = append(errs, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d writers with the same expected revision won, want exactly 1 (errors: %v)", len(wins), errs)
	}
	for _, err := range errs {
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("losing writer: %v, want ErrConflict", err)
		}
	}
	if got := revision(t, s); got != wins[0] {
		t.Fatalf("Revision = %d, want the winner's %d", got, wins[0])
	}
	vs := snapshot(t, s, 0)
	if len(vs) != 2 {
		t.Fatalf("Snapshot after the race holds %v, want counter and the winner's key", states(vs))
	}
}

func testGetAtRevision(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	a := user("a")
	r1 := apply(t, s, put(a, `"v1"`))
	r2 := apply(t, s, put(a, `"v2"`), put(user("b"), `"b"`))
	r3 := apply(t, s, del(a))
	r4 := apply(t, s, put(a, `"v3"`))
	wantGet(t, s, a, r1, `"v1"`, r1)
	wantGet(t, s, a, r2, `"v2"`, r2)
	wantGetErr(t, s, a, r3, store.ErrNotFound)
	wantGet(t, s, a, r4, `"v3"`, r4)
	wantGet(t, s, a, 0, `"v3"`, r4)
	wantGetErr(t, s, user("b"), r1, store.ErrNotFound)
	wantGet(t, s, user("b"), r4, `"b"`, r2)
	wantGetErr(t, s, user("missing"), r4, store.ErrNotFound)
	wantGetErr(t, s, a, r4+1, store.ErrFutureRevision)
	wantGetErr(t, s, a, r4+1000, store.ErrFutureRevision)
	if _, _, err := s.List(t.Context(), store.KindUser, r4+1, store.Page{}); !errors.Is(err, store.ErrFutureRevision) {
		t.Fatalf("List at a future revision: %v, want ErrFutureRevision", err)
	}
	if _, _, err := s.Snapshot(t.Context(), r4+1); !errors.Is(err, store.ErrFutureRevision) {
		t.Fatalf("Snapshot at a future revision: %v, want ErrFutureRevision", err)
	}
}

func testDeleteMissing(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	r1 := apply(t, s, put(user("a"), `{}`))
	r2 := apply(t, s, del(user("never")))
	if r2 <= r1 {
		t.Fatalf("deleting a missing entity: revision %d, want after %d", r2, r1)
	}
	wantGetErr(t, s, user("never"), 0, store.ErrNotFound)
	wantStates(t, "Snapshot", snapshot(t, s, 0), []state{{user("a"), `{}`}})
}

func testConcurrent(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{ProgressInterval: 50 * time.Millisecond})
	w := startWatch(t, s, 0)
	const writers, perWriter = 4, 25
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		revs = map[int64]bool{}
	)
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	for i := range writers {
		wg.Go(func() {
			for j := range perWriter {
				k := user(string(rune('a'+i)) + "-" + string(rune('a'+j%26)))
				rev, err := s.Apply(ctx, store.ChangeSet{Changes: []store.Change{put(k, `{"j":1}`), put(user("shared"), `{}`)}})
				if err != nil {
					t.Errorf("Apply: %v", err)
					return
				}
				mu.Lock()
				revs[rev] = true
				mu.Unlock()
			}
		})
	}
	var readers sync.WaitGroup
	for range 3 {
		readers.Go(func() {
			for ctx.Err() == nil {
				if _, err := s.Get(ctx, user("shared"), 0); err != nil && !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
					t.Errorf("Get: %v", err)
					return
				}
				vs, rev, err := s.Snapshot(ctx, 0)
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("Snapshot: %v", err)
					}
					return
				}
				for _, v := range vs {
					if v.ModRevision > rev {
						t.Errorf("Snapshot at %d holds %s written at %d", rev, v.Key, v.ModRevision)
					}
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	wg.Wait()
	cancel()
	readers.Wait()
	if t.Failed() {
		return
	}
	if len(revs) != writers*perWriter {
		t.Fatalf("%d distinct revisions for %d applies", len(revs), writers*perWriter)
	}
	var last int64
	for range writers * perWriter {
		ev := w.nextChange(t)
		if ev.Revision <= last || !revs[ev.Revision] {
			t.Fatalf("watch yielded revision %d after %d; want the next applied revision", ev.Revision, last)
		}
		last = ev.Revision
	}
}
