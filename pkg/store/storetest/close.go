package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/pdp-dev/pdp/pkg/store"

	"github.com/stretchr/testify/require"
)

func testClose(t *testing.T, newStore NewStore) {
	// A long progress interval: the watch must end because of Close, not
	// because a progress timer woke it.
	s := newStore(t, store.Options{ProgressInterval: time.Hour})
	rev := apply(t, s, put(user("a"), `{}`))
	w := startWatch(t, s, rev) // waiting for a change when the store closes
	r2 := apply(t, s, put(user("b"), `{}`))
	if ev := w.nextChange(t); ev.Revision != r2 {
		t.Fatalf("watch yielded revision %d, want %d", ev.Revision, r2)
	}
	time.Sleep(50 * time.Millisecond) // let it wait for the next change
	require.NoError(t, s.Close(), "Close")
	w.wantErr(t, store.ErrClosed)
	ctx := t.Context()
	calls := map[string]func() error{
		"Apply": func() error {
			_, err := s.Apply(ctx, store.ChangeSet{Changes: []store.Change{put(user("b"), `{}`)}})
			return err
		},
		"Revision":  func() error { _, err := s.Revision(ctx); return err },
		"Get":       func() error { _, err := s.Get(ctx, user("a"), 0); return err },
		"List":      func() error { _, _, err := s.List(ctx, store.KindUser, 0, store.Page{}); return err },
		"Snapshot":  func() error { _, _, err := s.Snapshot(ctx, 0); return err },
		"History":   func() error { _, err := s.History(ctx, user("a")); return err },
		"Revisions": func() error { _, err := s.Revisions(ctx, 0, 0); return err },
		"Compact":   func() error { return s.Compact(ctx, 0) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	startWatch(t, s, r2).wantErr(t, store.ErrClosed)
	if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
		t.Errorf("second Close: %v, want nil", err)
	}
}
