package boltstore

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"github.com/pdp-dev/pdp/pkg/store"
)

// damageRevisions is how many revisions writeDamageStore commits.
const damageRevisions = 5

// writeDamageStore writes a store of a few revisions, large enough to
// span many pages, closes it, and returns its path.
func writeDamageStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pdp.db")
	s, err := Open(path, store.Options{})
	require.NoError(t, err)
	for i := range damageRevisions {
		var changes []store.Change
		for j := range 40 {
			changes = append(changes, store.Change{Op: store.OpPut, Key: store.Key{Kind: store.KindUser, ID: fmt.Sprintf("u%d-%d", i, j)},
				Value: fmt.Appendf(nil, `{"i":%d,"pad":"%0200d"}`, i, j)})
		}
		_, err := s.Apply(t.Context(), store.ChangeSet{Changes: changes, Message: fmt.Sprint(i)})
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
	return path
}

// xorRange flips every bit of n bytes of the file at off.
func xorRange(t *testing.T, path string, off, n int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	buf := make([]byte, n)
	_, err = f.ReadAt(buf, off)
	require.NoError(t, err)
	for i := range buf {
		buf[i] ^= 0xff
	}
	_, err = f.WriteAt(buf, off)
	require.NoError(t, err)
}

func headerOf(t *testing.T, path string) header {
	t.Helper()
	h, err := inspectHeader(path)
	require.NoError(t, err)
	return h
}

// Damages a test applies to a store file.
var damages = []struct {
	name        string
	damage      func(t *testing.T, path string)
	wantProblem string
}{
	{
		name:        "zero bytes",
		damage:      func(t *testing.T, path string) { require.NoError(t, os.Truncate(path, 0)) },
		wantProblem: "the file is empty (0 bytes)",
	},
	{
		name: "half the file",
		damage: func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(path, fi.Size()/2))
		},
		wantProblem: "the file is truncated",
	},
	{
		name: "both meta pages flipped",
		damage: func(t *testing.T, path string) {
			h := headerOf(t, path)
			xorRange(t, path, pageHeaderSize, metaSize)
			xorRange(t, path, h.pageSize+pageHeaderSize, metaSize)
		},
		wantProblem: "both meta pages are damaged",
	},
	{
		name: "data pages flipped",
		damage: func(t *testing.T, path string) {
			h := headerOf(t, path)
			m := h.meta[h.active]
			for id := uint64(2); id < m.highWater; id++ {
				if id != m.root && id != m.freelist {
					xorRange(t, path, int64(id)*h.pageSize, h.pageSize)
				}
			}
		},
		wantProblem: "Page expected to be",
	},
	{
		name: "random bytes",
		damage: func(t *testing.T, path string) {
			b := make([]byte, 64<<10)
			_, _ = rand.Read(b)
			require.NoError(t, os.WriteFile(path, b, 0o600))
		},
		wantProblem: "both meta pages are damaged",
	},
}

// TestOpenRefusesDamagedFile damages a store file in each way and checks
// that Open fails with a *DamagedError that names the file and the
// problem, without panicking and without changing a byte of the file.
func TestOpenRefusesDamagedFile(t *testing.T) {
	t.Parallel()
	for _, tc := range damages {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeDamageStore(t)
			tc.damage(t, path)
			before, err := os.ReadFile(path)
			require.NoError(t, err)

			s, err := Open(path, store.Options{})
			if err == nil {
				s.Close()
			}
			requireDamaged(t, err, path, tc.wantProblem, before, "Open")
		})
	}
}

// TestOpenReadsPastOneDamagedMetaPage flips one meta page: bbolt opens the
// file from the other, and the store keeps its data. With the older meta
// page damaged, nothing is lost; with the newer one, the store opens at
// the transaction before the last.
func TestOpenReadsPastOneDamagedMetaPage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		newer   bool
		wantRev int64
	}{
		{name: "older meta page", newer: false, wantRev: damageRevisions},
		{name: "newer meta page", newer: true, wantRev: damageRevisions - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeDamageStore(t)
			h := headerOf(t, path)
			page := 1 - h.active
			if tc.newer {
				page = h.active
			}
			xorRange(t, path, int64(page)*h.pageSize+pageHeaderSize, metaSize)

			s, err := Open(path, store.Options{})
			require.NoError(t, err)
			defer s.Close()
			assert.Len(t, s.Warnings(), 1)
			assert.Contains(t, s.Warnings()[0], fmt.Sprintf("meta page %d is damaged", page))
			rev, err := s.Revision(t.Context())
			require.NoError(t, err)
			assert.Equal(t, tc.wantRev, rev)
			values, _, err := s.Snapshot(t.Context(), 0)
			require.NoError(t, err)
			assert.Len(t, values, int(40*rev))
			// The store takes writes again.
			_, err = s.Apply(t.Context(), store.ChangeSet{Changes: []store.Change{{Op: store.OpPut,
				Key: store.Key{Kind: store.KindUser, ID: "after"}, Value: []byte(`{}`)}}})
			require.NoError(t, err)
		})
	}
}

// TestStoreRecoversPanics checks the last line of defence: a bbolt panic
// inside a transaction is an error naming the file, not a crash.
func TestStoreRecoversPanics(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pdp.db")
	s, err := Open(path, store.Options{})
	require.NoError(t, err)
	defer s.Close()
	assert.True(t, s.Created())
	assert.Empty(t, s.Warnings(), "a new file")
	err = s.view("test", func(*bbolt.Tx) error { panic("assertion failed: page 7 already freed") })
	var de *DamagedError
	require.ErrorAs(t, err, &de)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "page 7 already freed")
	_, err = s.Revision(t.Context())
	assert.NoError(t, err, "the store works after a recovered panic")
}

func TestOpenExistingIsNotCreated(t *testing.T) {
	t.Parallel()
	path := writeDamageStore(t)
	s, err := Open(path, store.Options{})
	require.NoError(t, err)
	defer s.Close()
	assert.False(t, s.Created())
	assert.Empty(t, s.Warnings())
}

// TestOpenVerifyingRefusesDamagedFile damages a store file in each way
// and checks that OpenVerifying fails with a *DamagedError naming the
// problem, or, when the damage is past the header, opens the file but
// fails every read and write with it: nothing read is returned, nothing is
// written, and the file is left as it was.
func TestOpenVerifyingRefusesDamagedFile(t *testing.T) {
	t.Parallel()
	for _, tc := range damages {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeDamageStore(t)
			tc.damage(t, path)
			before, err := os.ReadFile(path)
			require.NoError(t, err)

			s, err := OpenVerifying(path, store.Options{})
			if tc.name == "data pages flipped" { // past the header: found by the check in the background
				require.NoError(t, err, "OpenVerifying of a file damaged past its header")
			}
			if err == nil {
				values, _, readErr := s.Snapshot(t.Context(), 0)
				assert.Nil(t, values, "values read from a damaged file")
				_, writeErr := s.Apply(t.Context(), store.ChangeSet{Changes: []store.Change{
					{Op: store.OpPut, Key: store.Key{Kind: store.KindUser, ID: "new"}, Value: []byte(`{}`)}}})
				require.NoError(t, s.Close())
				var de *DamagedError
				require.ErrorAs(t, writeErr, &de, "Apply on a damaged file")
				assert.Contains(t, de.Problem, tc.wantProblem, "Apply on a damaged file")
				err = readErr
			}
			requireDamaged(t, err, path, tc.wantProblem, before, "OpenVerifying")
		})
	}
}

// TestOpenVerifyingSoundFile: a sound file opened with OpenVerifying reads
// and writes as with Open.
func TestOpenVerifyingSoundFile(t *testing.T) {
	t.Parallel()
	path := writeDamageStore(t)
	s, err := OpenVerifying(path, store.Options{})
	require.NoError(t, err)
	defer s.Close()
	values, rev, err := s.Snapshot(t.Context(), 0)
	require.NoError(t, err)
	assert.Len(t, values, damageRevisions*40, "values")
	next, err := s.Apply(t.Context(), store.ChangeSet{Changes: []store.Change{
		{Op: store.OpPut, Key: store.Key{Kind: store.KindUser, ID: "new"}, Value: []byte(`{}`)}}})
	require.NoError(t, err)
	assert.Equal(t, rev+1, next, "revision of the write")
}

// requireDamaged checks that err is a *DamagedError naming path and
// wantProblem, and that opener left the file as before holds it.
func requireDamaged(t *testing.T, err error, path, wantProblem string, before []byte, opener string) {
	t.Helper()
	var de *DamagedError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, path, de.Path)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, de.Problem, wantProblem)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, string(before) == string(after), "%s changed the damaged file", opener)
}
