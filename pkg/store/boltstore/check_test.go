package boltstore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"github.com/pdp-dev/pdp/pkg/store"
)

func TestCheckSoundStore(t *testing.T) {
	t.Parallel()
	path := writeDamageStore(t)
	r, err := Check(path)
	require.NoError(t, err)
	assert.True(t, r.OK(), "problems: %q", r.Problems)
	assert.Equal(t, int64(damageRevisions), r.Revision)
	assert.Equal(t, damageRevisions*40, r.Entities)
	assert.Equal(t, damageRevisions*40, r.Versions)
	assert.Equal(t, damageRevisions, r.Records)
}

// TestCheckFindsDamage runs Check on each damaged file: it reports the
// problem, returns no error, and changes nothing.
func TestCheckFindsDamage(t *testing.T) {
	t.Parallel()
	for _, tc := range damages {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeDamageStore(t)
			tc.damage(t, path)
			before, err := os.ReadFile(path)
			require.NoError(t, err)
			r, err := Check(path)
			require.NoError(t, err)
			assert.False(t, r.OK())
			assert.Contains(t, r.Problems[0], tc.wantProblem)
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(before, after), "Check changed the file")
		})
	}
	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		_, err := Check(filepath.Join(t.TempDir(), "pdp.db"))
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
}

// TestCheckFindsBadRecords damages records that bbolt's own check cannot
// see: a revision record that is not JSON, a current value without its
// version.
func TestCheckFindsBadRecords(t *testing.T) {
	t.Parallel()
	path := writeDamageStore(t)
	db, err := bbolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketRevisions).Put(u64(2), []byte("{not json")); err != nil {
			return err
		}
		return tx.Bucket(bucketVersions).Delete(versionKey(store.Key{Kind: store.KindUser, ID: "u3-7"}, 4))
	}))
	require.NoError(t, db.Close())
	r, err := Check(path)
	require.NoError(t, err)
	assert.Len(t, r.Problems, 2)
	assert.Contains(t, r.Problems[0], "revision 2: corrupt record")
	assert.Contains(t, r.Problems[1], `"user/u3-7": no version at its revision 4`)
}

// TestBackupWhileWriting takes a backup while another goroutine writes:
// the copy opens, passes Check, and holds at least the revision
// acknowledged before the backup began.
func TestBackupWhileWriting(t *testing.T) {
	t.Parallel()
	path := writeDamageStore(t)
	s, err := Open(path, store.Options{})
	require.NoError(t, err)
	defer s.Close()
	before, err := s.Revision(t.Context())
	require.NoError(t, err)

	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil && i < 1000; i++ {
			_, _ = s.Apply(ctx, store.ChangeSet{Changes: []store.Change{{Op: store.OpPut,
				Key: store.Key{Kind: store.KindRole, ID: "busy"}, Value: []byte(`{"n":1}`)}}})
		}
	})
	var buf bytes.Buffer
	rev, size, err := s.Backup(t.Context(), &buf)
	stop()
	wg.Wait()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, rev, before)
	assert.Equal(t, int64(buf.Len()), size)

	copyPath := filepath.Join(t.TempDir(), "pdp.db")
	require.NoError(t, os.WriteFile(copyPath, buf.Bytes(), 0o600))
	r, err := Check(copyPath)
	require.NoError(t, err)
	assert.True(t, r.OK(), "problems: %q", r.Problems)
	assert.Equal(t, rev, r.Revision)
	restored, err := Open(copyPath, store.Options{})
	require.NoError(t, err)
	defer restored.Close()
	got, err := restored.Revision(t.Context())
	require.NoError(t, err)
	assert.Equal(t, rev, got)
}
