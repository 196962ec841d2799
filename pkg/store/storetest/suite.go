package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdp-dev/pdp/pkg/store"

	"github.com/stretchr/testify/require"
)

// NewStore returns a new, empty store with the given options for one test;
// it closes the store in t.Cleanup (the suite may have closed it already).
type NewStore func(t *testing.T, opts store.Options) store.Store

// timeout bounds every wait of the suite.
const timeout = 10 * time.Second

// Run runs the conformance suite against the stores newStore returns. Each
// subtest gets its own store and runs in parallel with the others.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, newStore NewStore)
	}{
		{"ApplyAndGet", testApplyAndGet},
		{"ValuesAreCopied", testValuesAreCopied},
		{"RevisionsIncrease", testRevisionsIncrease},
		{"EmptyChangeSet", testEmptyChangeSet},
		{"InvalidChangeSet", testInvalidChangeSet},
		{"Atomicity", testAtomicity},
		{"CanceledContext", testCanceledContext},
		{"CompareAndSwap", testCompareAndSwap},
		{"ConcurrentCompareAndSwap", testConcurrentCompareAndSwap},
		{"GetAtRevision", testGetAtRevision},
		{"DeleteMissing", testDeleteMissing},
		{"List", testList},
		{"ListDefaultPage", testListDefaultPage},
		{"Snapshot", testSnapshot},
		{"History", testHistory},
		{"Revisions", testRevisions},
		{"Diff", testDiff},
		{"Rollback", testRollback},
		{"RollbackConflict", testRollbackConflict},
		{"Watch", testWatch},
		{"WatchReplay", testWatchReplay},
		{"WatchResume", testWatchResume},
		{"WatchProgress", testWatchProgress},
		{"WatchFuture", testWatchFuture},
		{"WatchCompacted", testWatchCompacted},
		{"Compact", testCompact},
		{"CompactKeepsWindow", testCompactKeepsWindow},
		{"Close", testClose},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore)
		})
	}
}

// Helpers shared by the tests.

func user(id string) store.Key { return store.Key{Kind: store.KindUser, ID: id} }

func put(k store.Key, v string) store.Change {
	return store.Change{Op: store.OpPut, Key: k, Value: []byte(v)}
}

func del(k store.Key) store.Change { return store.Change{Op: store.OpDelete, Key: k} }

// apply applies changes as one revision and fails the test on error.
func apply(t testing.TB, s store.Store, changes ...store.Change) int64 {
	t.Helper()
	return applySet(t, s, store.ChangeSet{Changes: changes, Author: "storetest", Message: "apply"})
}

func applySet(t testing.TB, s store.Store, cs store.ChangeSet) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	rev, err := s.Apply(ctx, cs)
	require.NoError(t, err, "Apply(%v)", cs.Changes)
	return rev
}

func revision(t *testing.T, s store.Store) int64 {
	t.Helper()
	rev, err := s.Revision(t.Context())
	require.NoError(t, err, "Revision")
	return rev
}

// wantGet checks that key holds want at rev, written by modRev (when
// non-zero).
func wantGet(t *testing.T, s store.Store, key store.Key, rev int64, want string, modRev int64) {
	t.Helper()
	got, err := s.Get(t.Context(), key, rev)
	require.NoError(t, err, "Get(%s, %d), want %q", key, rev, want)
	require.Equal(t, key, got.Key, "Get(%s, %d)", key, rev)
	require.Equal(t, want, string(got.Value), "Get(%s, %d)", key, rev)
	if modRev != 0 {
		require.Equal(t, modRev, got.ModRevision, "Get(%s, %d): mod revision", key, rev)
	}
}

// wantGetErr checks that reading key at rev fails with target.
func wantGetErr(t *testing.T, s store.Store, key store.Key, rev int64, target error) {
	t.Helper()
	got, err := s.Get(t.Context(), key, rev)
	require.ErrorIs(t, err, target, "Get(%s, %d) = %q", key, rev, got.Value)
}

// state is an entity's key and document, without its mod revision.
type state struct {
	Key   store.Key
	Value string
}

func states(vs []store.Value) []state {
	out := make([]state, len(vs))
	for i, v := range vs {
		out[i] = state{v.Key, string(v.Value)}
	}
	return out
}

func snapshot(t *testing.T, s store.Store, rev int64) []store.Value {
	t.Helper()
	vs, got, err := s.Snapshot(t.Context(), rev)
	require.NoError(t, err, "Snapshot(%d)", rev)
	if rev != 0 {
		require.Equal(t, rev, got, "Snapshot(%d) read revision", rev)
	}
	return vs
}

func wantStates(t *testing.T, what string, got []store.Value, want []state) {
	t.Helper()
	g := states(got)
	require.True(t, slices.Equal(g, want), "%s:\n got  %v\n want %v", what, g, want)
}

func changesString(cs []store.Change) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s %s", c.Op, c.Key)
		if c.Op == store.OpPut {
			fmt.Fprintf(&b, "=%q", c.Value)
		}
	}
	return b.String()
}

func equalChanges(a, b []store.Change) bool {
	return slices.EqualFunc(a, b, func(x, y store.Change) bool {
		return x.Op == y.Op && x.Key == y.Key && bytes.Equal(x.Value, y.Value)
	})
}

func wantChanges(t *testing.T, what string, got, want []store.Change) {
	t.Helper()
	if !equalChanges(got, want) {
		t.Fatalf("%s:\n got  %s\n want %s", what, changesString(got), changesString(want))
	}
}

// sortedChanges returns cs sorted by key, the order of Diff and of the
// changes the tests compare.
func sortedChanges(cs []store.Change) []store.Change {
	cs = slices.Clone(cs)
	slices.SortFunc(cs, func(a, b store.Change) int { return a.Key.Compare(b.Key) })
	return cs
}
