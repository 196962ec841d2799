package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pdp-dev/pdp/internal/etcdtest"
	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/etcdstore"

	"github.com/stretchr/testify/require"
)

func TestOpen(t *testing.T) {
	t.Parallel()
	if _, err := etcdstore.Open(t.Context(), etcdstore.Config{}); err == nil {
		t.Fatal("Open without endpoints succeeded")
	}
	// Nothing listens on port 1 of loopback.
	start := time.Now()
	_, err := etcdstore.Open(t.Context(), etcdstore.Config{Endpoints: []string{"127.0.0.1:1"}, DialTimeout: 200 * time.Millisecond})
	if err == nil {
		t.Fatal("Open of an unreachable endpoint succeeded")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Open of an unreachable endpoint took %v with a 200ms dial timeout", took)
	}
}

// TestRevisionGaps checks that writes outside the prefix make gaps the
// store handles: its revision is log's, a read in a gap reads the revision
// before it, and one past the store's revision is in the future even when
// etcd's revision has reached it.
func TestRevisionGaps(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cli := rawClient(t, srv)
	s := openStore(t, srv, "/pdp", store.Options{})
	outside := func() int64 {
		t.Helper()
		resp, err := cli.Put(t.Context(), "/pdp2/x", "outside") // a prefix of /pdp, not under /pdp/
		require.NoError(t, err)
		return resp.Header.Revision
	}
	r1 := apply(t, s, put(user("a"), `"a1"`))
	gap := outside()
	outside()
	r2 := apply(t, s, put(user("a"), `"a2"`))
	if r2 <= gap {
		t.Fatalf("revision %d after a foreign write at %d", r2, gap)
	}
	after := outside()
	if got, err := s.Revision(t.Context()); err != nil || got != r2 {
		t.Fatalf("Revision = %d, %v; want %d (etcd is at %d)", got, err, r2, after)
	}
	if v, err := s.Get(t.Context(), user("a"), gap); err != nil || string(v.Value) != `"a1"` || v.ModRevision != r1 {
		t.Fatalf("Get in the gap at %d = %+v, %v; want a1 written at %d", gap, v, err, r1)
	}
	for _, rev := range []int64{after, after + 100} {
		if _, err := s.Get(t.Context(), user("a"), rev); !errors.Is(err, store.ErrFutureRevision) {
			t.Fatalf("Get at %d (store at %d, etcd at %d): %v, want ErrFutureRevision", rev, r2, after, err)
		}
	}
	infos, err := s.Revisions(t.Context(), 0, after)
	if !errors.Is(err, store.ErrFutureRevision) {
		t.Fatalf("Revisions up to etcd's revision %d = %v, want ErrFutureRevision", after, infos)
	}
	infos, err = s.Revisions(t.Context(), 0, 0)
	if err != nil || len(infos) != 2 || infos[0].Revision != r1 || infos[1].Revision != r2 {
		t.Fatalf("Revisions(0, 0) = %v, %v; want %d and %d", infos, err, r1, r2)
	}
	if infos, err := s.Revisions(t.Context(), gap, 0); err != nil || len(infos) != 1 || infos[0].Revision != r2 {
		t.Fatalf("Revisions(%d, 0) = %v, %v; want %d", gap, infos, err, r2)
	}
	// The foreign key is not an entity of the store.
	vs, _, err := s.Snapshot(t.Context(), 0)
	if err != nil || len(vs) != 1 {
		t.Fatalf("Snapshot = %v, %v; want only user/a", vs, err)
	}
}

// TestPrefixesAreSeparate runs two stores on one cluster.
func TestPrefixesAreSeparate(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	a := openStore(t, srv, "/tenant", store.Options{})
	b := openStore(t, srv, "/tenant/b/", store.Options{}) // nested: a's keys are under e/, t/ and log only
	wb := startWatch(t, b, 0)
	ra := apply(t, a, put(user("x"), `"a"`))
	rb := apply(t, b, put(user("x"), `"b"`), del(user("y")))
	if got, _ := a.Revision(t.Context()); got != ra {
		t.Fatalf("a's revision = %d, want %d", got, ra)
	}
	for _, tc := range []struct {
		s    store.Store
		want string
	}{{a, `"a"`}, {b, `"b"`}} {
		vs, _, err := tc.s.Snapshot(t.Context(), 0)
		if err != nil || len(vs) != 1 || string(vs[0].Value) != tc.want {
			t.Fatalf("Snapshot = %v, %v; want only user/x = %s", vs, err, tc.want)
		}
	}
	if ev := wb.nextChange(t); ev.Revision != rb || len(ev.Changes) != 2 {
		t.Fatalf("b's watch yielded revision %d with %d changes, want b's %d with 2", ev.Revision, len(ev.Changes), rb)
	}
}

// TestConflictWritesNothing checks a failed compare-and-swap leaves etcd
// untouched and names the current revision.
func TestConflictWritesNothing(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cli := rawClient(t, srv)
	s := openStore(t, srv, "/pdp/", store.Options{})
	r1 := apply(t, s, put(user("a"), `1`))
	r2 := apply(t, s, put(user("a"), `2`))
	before, err := cli.Get(t.Context(), "", clientv3.WithPrefix())
	require.NoError(t, err)
	_, err = s.Apply(t.Context(), store.ChangeSet{Changes: []store.Change{put(user("a"), `3`), del(user("b"))}, ExpectRevision: r1})
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), fmt.Sprintf("current is %d", r2)) {
		t.Fatalf("Apply(ExpectRevision %d) = %v, want ErrConflict naming current revision %d", r1, err, r2)
	}
	after, err := cli.Get(t.Context(), "", clientv3.WithPrefix())
	require.NoError(t, err)
	if after.Header.Revision != before.Header.Revision || len(after.Kvs) != len(before.Kvs) {
		t.Fatalf("etcd went from revision %d (%d keys) to %d (%d keys) on a conflict",
			before.Header.Revision, len(before.Kvs), after.Header.Revision, len(after.Kvs))
	}
}

// TestTxnLimit checks that a change set larger than etcd's --max-txn-ops
// fails whole, with an error saying what to raise, whether the limit is
// known to the store (Config.MaxTxnOps) or only to etcd.
func TestTxnLimit(t *testing.T) {
	t.Parallel()
	srv := etcdtest.Start(t) // etcd's default --max-txn-ops, 128
	open := func(maxOps int) *etcdstore.Store {
		s, err := etcdstore.Open(t.Context(), etcdstore.Config{Endpoints: srv.Endpoints(), Prefix: fmt.Sprintf("/limit%d/", maxOps), MaxTxnOps: maxOps})
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	}
	puts := func(n int) []store.Change {
		var cs []store.Change
		for i := range n {
			cs = append(cs, put(user(fmt.Sprintf("u%03d", i)), `{}`))
		}
		return cs
	}
	dels := func(n int) []store.Change {
		var cs []store.Change
		for i := range n {
			cs = append(cs, del(user(fmt.Sprintf("u%03d", i))))
		}
		return cs
	}
	for _, maxOps := range []int{0, 128} {
		s := open(maxOps)
		tests := []struct {
			name    string
			changes []store.Change
			wantErr bool
		}{
			{name: "127 puts and the log", changes: puts(127)},
			{name: "128 puts and the log", changes: puts(128), wantErr: true},
			{name: "63 deletes (two operations each) and the log", changes: dels(63)},
			{name: "64 deletes and the log", changes: dels(64), wantErr: true},
		}
		for _, tc := range tests {
			before, _ := s.Revision(t.Context())
			_, err := s.Apply(t.Context(), store.ChangeSet{Changes: tc.changes})
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("MaxTxnOps %d: %s: %v", maxOps, tc.name, err)
				}
				continue
			}
			if !errors.Is(err, etcdstore.ErrTooLarge) || !errors.Is(err, store.ErrInvalidChangeSet) || !strings.Contains(err.Error(), "--max-txn-ops") {
				t.Fatalf("MaxTxnOps %d: %s: %v, want ErrTooLarge and ErrInvalidChangeSet naming --max-txn-ops", maxOps, tc.name, err)
			}
			if after, _ := s.Revision(t.Context()); after != before {
				t.Fatalf("MaxTxnOps %d: %s: revision went from %d to %d", maxOps, tc.name, before, after)
			}
		}
	}
}

// TestRequestTooLarge checks the other etcd limit, --max-request-bytes.
func TestRequestTooLarge(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--max-request-bytes=65536")
	s := openStore(t, srv, "/pdp/", store.Options{})
	doc := `"` + strings.Repeat("x", 70000) + `"`
	_, err := s.Apply(t.Context(), store.ChangeSet{Changes: []store.Change{put(user("big"), doc)}})
	if !errors.Is(err, etcdstore.ErrTooLarge) || !strings.Contains(err.Error(), "--max-request-bytes") {
		t.Fatalf("Apply of 70 kB with --max-request-bytes=65536: %v, want ErrTooLarge naming --max-request-bytes", err)
	}
	if rev, _ := s.Revision(t.Context()); rev != 0 {
		t.Fatalf("revision %d after a rejected change set", rev)
	}
}

// TestHistoryTombstones checks that History keeps deletes, of entities
// that existed and of ones that did not, across re-creation.
func TestHistoryTombstones(t *testing.T) {
	t.Parallel()
	s := openStore(t, startServer(t), "/pdp/", store.Options{})
	a := user("group/with/slashes")
	r1 := apply(t, s, del(a)) // did not exist
	r2 := apply(t, s, put(a, `1`))
	r3 := apply(t, s, put(user("other"), `1`))
	r4 := apply(t, s, del(a))
	r5 := apply(t, s, del(a)) // again
	r6 := apply(t, s, put(a, `2`))
	r7 := apply(t, s, put(a, `3`))
	hist, err := s.History(t.Context(), a)
	require.NoError(t, err)
	var got []int64
	for _, info := range hist {
		got = append(got, info.Revision)
		if len(info.Keys) != 1 || info.Keys[0] != a || info.Author != "test" {
			t.Errorf("History[%d] = %+v, want %s by test", info.Revision, info, a)
		}
	}
	if want := []int64{r7, r6, r5, r4, r2, r1}; !slices.Equal(got, want) {
		t.Fatalf("History = %v, want %v (not %d)", got, want, r3)
	}
}

// TestForeignEntityWrite checks that an entity written under the prefix
// by something other than Apply (etcdctl, say) still reaches followers,
// with a bare revision info.
func TestForeignEntityWrite(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cli := rawClient(t, srv)
	s := openStore(t, srv, "/pdp/", store.Options{})
	r1 := apply(t, s, put(user("a"), `1`))
	w := startWatch(t, s, r1)
	resp, err := cli.Put(t.Context(), "/pdp/e/user/a", `"by hand"`)
	require.NoError(t, err)
	if _, err := cli.Delete(context.Background(), "/pdp/t/nothing/x"); err != nil { // no event at all
		t.Fatal(err)
	}
	r2 := apply(t, s, put(user("b"), `1`))
	ev := w.nextChange(t)
	if ev.Revision != resp.Header.Revision || len(ev.Changes) != 1 || string(ev.Changes[0].Value) != `"by hand"` ||
		ev.Info.Revision != ev.Revision || len(ev.Info.Keys) != 1 || ev.Info.Keys[0] != user("a") {
		t.Fatalf("watch yielded %+v, want the hand-written user/a at %d", ev, resp.Header.Revision)
	}
	if ev := w.nextChange(t); ev.Revision != r2 {
		t.Fatalf("watch yielded revision %d, want %d", ev.Revision, r2)
	}
	hist, err := s.History(t.Context(), user("a"))
	if err != nil || len(hist) != 2 || hist[0].Revision != resp.Header.Revision || hist[1].Revision != r1 {
		t.Fatalf("History(user/a) = %+v, %v; want the hand-written revision and %d", hist, err, r1)
	}
}
