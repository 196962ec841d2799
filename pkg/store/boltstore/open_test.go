package boltstore_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/boltstore"

	"github.com/stretchr/testify/require"
)

func TestOpenCreatesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "pdp.db")
	s := open(t, path, store.Options{})
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	fi, err := os.Stat(path)
	require.NoError(t, err)
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}
	if rev, err := s.Revision(t.Context()); err != nil || rev != 0 {
		t.Fatalf("Revision of a new file = %d, %v; want 0", rev, err)
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pdp.db")
	s, err := boltstore.Open(path, store.Options{KeepRevisions: 3})
	require.NoError(t, err)
	ctx := t.Context()
	k := store.Key{Kind: store.KindUser, ID: "alice"}
	var revs []int64
	for i := range 6 {
		rev, err := s.Apply(ctx, store.ChangeSet{Changes: []store.Change{{Op: store.OpPut, Key: k, Value: fmt.Appendf(nil, `{"v":%d}`, i)}}, Author: "a", Message: fmt.Sprint(i)})
		require.NoError(t, err)
		revs = append(revs, rev)
	}
	require.NoError(t, s.Compact(ctx, 0))
	require.NoError(t, s.Close())

	s = open(t, path, store.Options{ProgressInterval: time.Hour})
	if rev, err := s.Revision(ctx); err != nil || rev != revs[5] {
		t.Fatalf("Revision after reopen = %d, %v; want %d", rev, err, revs[5])
	}
	v, err := s.Get(ctx, k, revs[3])
	if err != nil || string(v.Value) != `{"v":3}` {
		t.Fatalf("Get at %d after reopen = %q, %v", revs[3], v.Value, err)
	}
	if _, err := s.Get(ctx, k, revs[1]); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("Get at compacted %d after reopen: %v, want ErrCompacted", revs[1], err)
	}
	// A watch after reopening replays from disk.
	var got []int64
	for ev, err := range s.Watch(ctx, revs[3]) {
		require.NoError(t, err)
		got = append(got, ev.Revision)
		if len(got) == 2 {
			break
		}
	}
	if !slices.Equal(got, revs[4:]) {
		t.Fatalf("watch after reopen yielded %v, want %v", got, revs[4:])
	}
}

func TestOpenRejectsOtherFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pdp.db")
	s := open(t, path, store.Options{})
	s.Close()
	db, err := bbolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	err = db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("format"), []byte{0, 0, 0, 0, 0, 0, 0, 9})
	})
	db.Close()
	require.NoError(t, err)
	if s, err := boltstore.Open(path, store.Options{}); err == nil {
		s.Close()
		t.Fatal("Open of a file in format 9 succeeded, want an error")
	}
	require.NoError(t, os.WriteFile(path+"x", []byte("not a bolt file"), 0o600))
	if s, err := boltstore.Open(path+"x", store.Options{}); err == nil {
		s.Close()
		t.Fatal("Open of a file that is not bbolt succeeded, want an error")
	}
}

// TestCompactDeletesVersions looks inside the file: compaction leaves only
// the versions a kept revision can read, and the kept revision records.
func TestCompactDeletesVersions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pdp.db")
	s, err := boltstore.Open(path, store.Options{KeepRevisions: 3})
	require.NoError(t, err)
	ctx := t.Context()
	key := func(id string) store.Key { return store.Key{Kind: store.KindUser, ID: id} }
	put := func(id string) store.Change { return store.Change{Op: store.OpPut, Key: key(id), Value: []byte(`{}`)} }
	del := func(id string) store.Change { return store.Change{Op: store.OpDelete, Key: key(id)} }
	for _, changes := range [][]store.Change{
		{put("a"), put("b"), put("c"), put("d"), put("e")}, // 1
		{put("a"), del("b")}, // 2
		{put("a"), put("c")}, // 3
		{put("a"), del("d")}, // 4: the oldest kept
		{put("a"), put("c")}, // 5
		{put("a"), put("e")}, // 6
	} {
		if _, err := s.Apply(ctx, store.ChangeSet{Changes: changes}); err != nil {
			t.Fatal(err)
		}
	}
	require.NoError(t, s.Compact(ctx, 0))
	s.Close()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	require.NoError(t, err)
	defer db.Close()
	var versions []string
	var revisions []int
	err = db.View(func(tx *bbolt.Tx) error {
		tx.Bucket([]byte("versions")).ForEach(func(k, _ []byte) error {
			versions = append(versions, fmt.Sprintf("%s@%d", k[len("user/"):len(k)-9], k[len(k)-1]))
			return nil
		})
		return tx.Bucket([]byte("revisions")).ForEach(func(k, _ []byte) error {
			revisions = append(revisions, int(k[7]))
			return nil
		})
	})
	require.NoError(t, err)
	// a: 4 5 6 kept, 3 and older gone; b: deleted before 4, gone; c: 3 is
	// the value at 4, kept; d: deleted at 4, the delete kept (it is revision
	// 4's change), the put before it gone; e: 1 is the value at 4, kept.
	want := []string{"a@4", "a@5", "a@6", "c@3", "c@5", "d@4", "e@1", "e@6"}
	if !slices.Equal(versions, want) {
		t.Errorf("versions after compaction = %v, want %v", versions, want)
	}
	if !slices.Equal(revisions, []int{4, 5, 6}) {
		t.Errorf("revision records after compaction = %v, want [4 5 6]", revisions)
	}
}
