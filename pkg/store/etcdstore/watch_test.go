package etcdstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pdp-dev/pdp/pkg/store"

	"github.com/stretchr/testify/require"
)

// TestWatchEvent checks that one change set is one event: every change in
// change set order (deletes of entities that did not exist among them)
// and the info of the log key, with other clients writing meanwhile.
func TestWatchEvent(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	foreignWrites(t, srv, time.Millisecond)
	s := openStore(t, srv, "/pdp/", store.Options{})
	r0 := apply(t, s, put(user("gone"), `1`))
	w := startWatch(t, s, r0)
	cs := store.ChangeSet{
		Changes: []store.Change{put(user("z"), `"z"`), del(user("gone")), del(user("never")), put(store.Key{Kind: store.KindGroup, ID: "1111/admins"}, `"g"`)},
		Author:  "alice", Message: "mixed",
	}
	rev, err := s.Apply(t.Context(), cs)
	require.NoError(t, err)
	ev := w.nextChange(t)
	if ev.Revision != rev || ev.Info.Revision != rev || ev.Info.Author != "alice" || ev.Info.Message != "mixed" || ev.Info.Time.IsZero() {
		t.Fatalf("event = {%d info %+v}, want revision %d by alice", ev.Revision, ev.Info, rev)
	}
	if !slices.EqualFunc(ev.Changes, cs.Changes, func(a, b store.Change) bool {
		return a.Op == b.Op && a.Key == b.Key && string(a.Value) == string(b.Value)
	}) {
		t.Fatalf("event changes = %v, want %v", ev.Changes, cs.Changes)
	}
	var keys []store.Key
	for _, c := range cs.Changes {
		keys = append(keys, c.Key)
	}
	if !slices.Equal(ev.Info.Keys, keys) {
		t.Fatalf("event keys = %v, want %v", ev.Info.Keys, keys)
	}
}

// TestWatchProgressRevision checks that progress notifications report the
// store's revision, not etcd's, which writes outside the prefix move on.
func TestWatchProgressRevision(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	foreignWrites(t, srv, time.Millisecond)
	s := openStore(t, srv, "/pdp/", store.Options{ProgressInterval: 50 * time.Millisecond})
	rev := apply(t, s, put(user("a"), `1`))
	w := startWatch(t, s, rev)
	for range 3 {
		select {
		case it := <-w.items:
			if it.err != nil || !it.ev.Progress || it.ev.Revision != rev {
				t.Fatalf("idle watch yielded {%+v, %v}, want progress at %d", it.ev, it.err, rev)
			}
			if _, err := s.Get(t.Context(), user("a"), it.ev.Revision); err != nil {
				t.Fatalf("Get at the progress revision: %v", err)
			}
		case <-time.After(timeout):
			t.Fatal("no progress notification")
		}
	}
}

// TestWatchProgressIdleCluster checks that a watch on a cluster nothing
// writes to reports progress at the store's revision, at first and again
// after etcd restarts (when the client resumes the watch from the
// revision after etcd's head, for which etcd sends no progress).
func TestWatchProgressIdleCluster(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	s := openStore(t, srv, "/pdp/", store.Options{ProgressInterval: 50 * time.Millisecond})
	rev := apply(t, s, put(user("a"), `1`))
	w := startWatch(t, s, rev)
	progress := func(when string) {
		t.Helper()
		select {
		case it := <-w.items:
			require.NoError(t, it.err, when)
			require.True(t, it.ev.Progress, "%s: watch yielded revision %d, want progress", when, it.ev.Revision)
			require.Equal(t, rev, it.ev.Revision, when)
		case <-time.After(timeout):
			t.Fatalf("%s: no progress notification within %v", when, timeout)
		}
	}
	progress("before the restart")
	srv.Restart()
	// Notifications queued before the restart are behind us once one
	// arrives after it; drain until etcd answers again.
	for range 3 {
		progress("after the restart")
	}
	cli := rawClient(t, srv)
	resp, err := cli.Get(t.Context(), "/pdp/log")
	require.NoError(t, err)
	require.Equal(t, rev, resp.Header.Revision, "something wrote to the cluster: the test needs it idle")
}

// TestWatchAcrossRestart stops etcd under running watches. While it is
// away, calls fail within their deadline and watches yield no change (nor
// corrupt anything); after it restarts on the same data directory, a
// watch resumed from the last revision seen gets every change written
// since, and a watch that ran through the outage goes on without gap or
// duplicate.
func TestWatchAcrossRestart(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	s := openStore(t, srv, "/pdp/", store.Options{ProgressInterval: 50 * time.Millisecond})
	r0 := apply(t, s, put(user("a"), `0`))
	through := startWatch(t, s, r0) // runs through the outage
	cut := startWatch(t, s, r0)     // its follower stops with etcd
	var seen []int64
	for _, v := range []string{`1`, `2`, `3`} {
		rev := apply(t, s, put(user("a"), v), put(user("b"+v), v))
		for _, w := range []*watcher{through, cut} {
			if ev := w.nextChange(t); ev.Revision != rev {
				t.Fatalf("watch yielded %d, want %d", ev.Revision, rev)
			}
		}
		seen = append(seen, rev)
	}
	last := seen[len(seen)-1]
	cut.stop()

	srv.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	_, err := s.Apply(ctx, store.ChangeSet{Changes: []store.Change{put(user("lost"), `1`)}})
	cancel()
	if err == nil {
		t.Fatal("Apply succeeded while etcd was stopped")
	}
	throughFailed := false
	if it, ok := through.next(t, 500*time.Millisecond); ok {
		if it.err == nil {
			t.Fatalf("watch yielded revision %d while etcd was stopped", it.ev.Revision)
		}
		t.Logf("watch ended while etcd was stopped: %v", it.err)
		throughFailed = true
	}

	srv.Restart()
	if rev, err := s.Revision(t.Context()); err != nil || rev != last {
		t.Fatalf("Revision after restart = %d, %v; want %d (nothing written while stopped)", rev, err, last)
	}
	missed := []int64{
		apply(t, s, put(user("a"), `4`)),
		apply(t, s, del(user("b1")), put(user("c"), `1`)),
	}
	resumed := startWatch(t, s, last)
	for _, rev := range missed {
		if ev := resumed.nextChange(t); ev.Revision != rev {
			t.Fatalf("resumed watch yielded %d, want %d", ev.Revision, rev)
		}
	}
	if !throughFailed {
		for _, rev := range missed {
			if ev := through.nextChange(t); ev.Revision != rev {
				t.Fatalf("watch through the outage yielded %d, want %d (no gap, no duplicate)", ev.Revision, rev)
			}
		}
	}
	vs, _, err := s.Snapshot(t.Context(), 0)
	require.NoError(t, err)
	var got []string
	for _, v := range vs {
		got = append(got, v.Key.ID+"="+string(v.Value))
	}
	if want := []string{"a=4", "b2=2", "b3=3", "c=1"}; !slices.Equal(got, want) {
		t.Fatalf("state after the restart = %v, want %v", got, want)
	}
}

// TestWatchClosedWhileAway checks that Close ends a watch waiting for an
// etcd that does not answer.
func TestWatchClosedWhileAway(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	s := openStore(t, srv, "/pdp/", store.Options{ProgressInterval: 50 * time.Millisecond})
	rev := apply(t, s, put(user("a"), `0`))
	w := startWatch(t, s, rev)
	srv.Stop()
	// The store finds etcd away: the watch waits for it.
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err := s.Revision(ctx)
		return err != nil
	}, timeout, 10*time.Millisecond, "the store still reads with etcd stopped")
	require.NoError(t, s.Close(), "Close")
	it, ok := w.next(t, timeout)
	if !ok || !errors.Is(it.err, store.ErrClosed) {
		t.Fatalf("watch after Close yielded {%+v, %v} (ok %v), want ErrClosed", it.ev, it.err, ok)
	}
}
