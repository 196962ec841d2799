package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pdp-dev/pdp/pkg/store"

	"github.com/stretchr/testify/require"
)

// A watcher runs one Watch in a goroutine and hands its items over a
// channel, so the test can wait for each with a timeout.
type watcher struct {
	cancel context.CancelFunc
	items  chan item // closed when the sequence ends
}

type item struct {
	ev  store.Event
	err error
}

// startWatch starts Watch(from); t.Cleanup stops it and fails the test if
// it does not end after its context is canceled.
func startWatch(t *testing.T, s store.Store, from int64) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	w := &watcher{cancel: cancel, items: make(chan item)}
	go func() {
		defer close(w.items)
		for ev, err := range s.Watch(ctx, from) {
			select {
			case w.items <- item{ev, err}:
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() { w.stop(t) })
	return w
}

// stop cancels the watch and waits for it to end.
func (w *watcher) stop(t *testing.T) {
	w.cancel()
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-w.items:
			if !ok {
				return
			}
		case <-deadline:
			t.Errorf("Watch did not end %v after its context was canceled", timeout)
			return
		}
	}
}

// next returns the next item; ok is false when the sequence ended.
func (w *watcher) next(t *testing.T) (it item, ok bool) {
	t.Helper()
	select {
	case it, ok = <-w.items:
		return it, ok
	case <-time.After(timeout):
		t.Fatalf("no watch event within %v", timeout)
		return item{}, false
	}
}

// nextChange returns the next event that is not a progress notification.
func (w *watcher) nextChange(t *testing.T) store.Event {
	t.Helper()
	for {
		it, ok := w.next(t)
		if !ok {
			t.Fatal("watch ended, want an event")
		}
		if it.err != nil {
			t.Fatalf("watch: %v", it.err)
		}
		if !it.ev.Progress {
			return it.ev
		}
	}
}

// wantErr checks that the watch yields err (after any progress
// notification) and ends.
func (w *watcher) wantErr(t *testing.T, target error) {
	t.Helper()
	for {
		it, ok := w.next(t)
		if !ok {
			t.Fatalf("watch ended without an error, want %v", target)
		}
		if it.err == nil && it.ev.Progress {
			continue
		}
		if !errors.Is(it.err, target) {
			t.Fatalf("watch yielded {rev %d, err %v}, want error %v", it.ev.Revision, it.err, target)
		}
		if it, ok := w.next(t); ok {
			t.Fatalf("watch went on after an error: {rev %d, err %v}", it.ev.Revision, it.err)
		}
		return
	}
}

// written is one applied change set, as a watch should report it.
type written struct {
	rev int64
	cs  store.ChangeSet
}

func writeN(t *testing.T, s store.Store, n, base int) []written {
	t.Helper()
	var out []written
	for i := base; i < base+n; i++ {
		cs := store.ChangeSet{
			Changes: []store.Change{put(user(fmt.Sprintf("u%d", i)), fmt.Sprintf(`{"i":%d}`, i)), put(user("last"), fmt.Sprintf(`%d`, i))},
			Author:  fmt.Sprintf("author%d", i),
			Message: fmt.Sprintf("write %d", i),
		}
		if i%3 == 2 {
			cs.Changes = append(cs.Changes, del(user(fmt.Sprintf("u%d", i-1))))
		}
		out = append(out, written{applySet(t, s, cs), cs})
	}
	return out
}

// wantEvent checks that ev reports w: revision, info and changes (in any
// order within the revision).
func wantEvent(t *testing.T, ev store.Event, w written) {
	t.Helper()
	if ev.Progress || ev.Revision != w.rev {
		t.Fatalf("watch yielded {rev %d progress %v}, want revision %d", ev.Revision, ev.Progress, w.rev)
	}
	if ev.Info.Revision != w.rev || ev.Info.Author != w.cs.Author || ev.Info.Message != w.cs.Message || ev.Info.Time.IsZero() {
		t.Fatalf("event %d info = {%d %q %q %v}, want {%d %q %q, a time}", w.rev,
			ev.Info.Revision, ev.Info.Author, ev.Info.Message, ev.Info.Time, w.rev, w.cs.Author, w.cs.Message)
	}
	if len(ev.Info.Keys) != len(w.cs.Changes) {
		t.Fatalf("event %d info keys = %v, want the %d keys changed", w.rev, ev.Info.Keys, len(w.cs.Changes))
	}
	wantChanges(t, fmt.Sprintf("event %d changes", w.rev), sortedChanges(ev.Changes), sortedChanges(w.cs.Changes))
}

func testWatch(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	from := apply(t, s, put(user("before"), `{}`))
	w := startWatch(t, s, from)
	ws := writeN(t, s, 6, 0)
	for _, x := range ws {
		wantEvent(t, w.nextChange(t), x)
	}
	// And one more written while the watch waits.
	done := make(chan written, 1)
	go func() {
		time.Sleep(20 * time.Millisecond)
		cs := store.ChangeSet{Changes: []store.Change{del(user("before"))}, Author: "late", Message: "late"}
		rev, err := s.Apply(t.Context(), cs)
		if err != nil {
			t.Errorf("Apply: %v", err)
		}
		done <- written{rev, cs}
	}()
	ev := w.nextChange(t)
	wantEvent(t, ev, <-done)
}

func testWatchReplay(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	ws := writeN(t, s, 8, 0)
	for _, start := range []int{-1, 0, 3, 7} {
		var from int64
		if start >= 0 {
			from = ws[start].rev
		}
		w := startWatch(t, s, from)
		for _, x := range ws[start+1:] {
			wantEvent(t, w.nextChange(t), x)
		}
		w.stop(t)
	}
}

func testWatchResume(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{ProgressInterval: 50 * time.Millisecond})
	ws := writeN(t, s, 5, 0)
	w := startWatch(t, s, 0)
	var seen []int64
	for _, x := range ws[:3] {
		ev := w.nextChange(t)
		wantEvent(t, ev, x)
		seen = append(seen, ev.Revision)
	}
	w.stop(t) // the cut: the consumer goes away mid-stream
	ws = append(ws, writeN(t, s, 4, 5)...)
	w = startWatch(t, s, seen[len(seen)-1])
	for _, x := range ws[3:] {
		ev := w.nextChange(t)
		wantEvent(t, ev, x) // no gap, no duplicate
	}
	// Cut while waiting for a change that has not been written yet.
	w.stop(t)
	last := ws[len(ws)-1].rev
	ws2 := writeN(t, s, 2, 9)
	w = startWatch(t, s, last)
	for _, x := range ws2 {
		wantEvent(t, w.nextChange(t), x)
	}
}

func testWatchProgress(t *testing.T, newStore NewStore) {
	const interval = 100 * time.Millisecond
	s := newStore(t, store.Options{ProgressInterval: interval})
	rev := apply(t, s, put(user("a"), `{}`))
	w := startWatch(t, s, rev)
	progress := func(atLeast int64) {
		t.Helper()
		it, ok := w.next(t)
		if !ok || it.err != nil || !it.ev.Progress {
			t.Fatalf("idle watch yielded {%+v, %v} (open %v), want a progress notification", it.ev, it.err, ok)
		}
		if it.ev.Revision < atLeast || len(it.ev.Changes) != 0 {
			t.Fatalf("progress notification %+v, want revision >= %d and no changes", it.ev, atLeast)
		}
	}
	start := time.Now()
	progress(rev)
	progress(rev)
	if took := time.Since(start); took > 20*interval {
		t.Logf("two progress notifications took %v with interval %v", took, interval)
	}
	ws := writeN(t, s, 1, 0)
	wantEvent(t, w.nextChange(t), ws[0])
	progress(ws[0].rev)
}

func testWatchFuture(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{})
	rev := apply(t, s, put(user("a"), `{}`))
	startWatch(t, s, rev+1000).wantErr(t, store.ErrFutureRevision)
}

func testWatchCompacted(t *testing.T, newStore NewStore) {
	s := newStore(t, store.Options{KeepRevisions: 2})
	ws := writeN(t, s, 6, 0)
	require.NoError(t, s.Compact(t.Context(), 0))
	startWatch(t, s, ws[0].rev).wantErr(t, store.ErrCompacted)
	startWatch(t, s, 0).wantErr(t, store.ErrCompacted)
	// From the oldest kept revision, the watch works.
	w := startWatch(t, s, ws[4].rev)
	wantEvent(t, w.nextChange(t), ws[5])
}
