package rotate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFile(t *testing.T) {
	t.Parallel()
	chunk := func(i int) []byte { return []byte(fmt.Sprintf("%029d\n", i)) } // 30 bytes
	tests := []struct {
		name       string
		maxBytes   int64
		maxBackups int
		writes     int
		want       map[string]string // file suffix ("" for the file itself) → chunks it holds
	}{
		{name: "shifts and deletes the oldest", maxBytes: 100, maxBackups: 2, writes: 10,
			want: map[string]string{"": "9", ".1": "678", ".2": "345", ".3": ""}},
		{name: "room for all backups", maxBytes: 100, maxBackups: 5, writes: 10,
			want: map[string]string{"": "9", ".1": "678", ".2": "345", ".3": "012", ".4": ""}},
		{name: "no backups", maxBytes: 60, maxBackups: 0, writes: 5,
			want: map[string]string{"": "4", ".1": ""}},
		{name: "exact fit", maxBytes: 90, maxBackups: 1, writes: 4,
			want: map[string]string{"": "3", ".1": "012"}},
		{name: "no limit", maxBytes: 0, maxBackups: 3, writes: 10,
			want: map[string]string{"": "0123456789", ".1": ""}},
		{name: "write larger than the limit", maxBytes: 20, maxBackups: 3, writes: 3,
			want: map[string]string{"": "2", ".1": "1", ".2": "0", ".3": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "app.log")
			rf := &File{Path: path, MaxBytes: tc.maxBytes, MaxBackups: tc.maxBackups}
			for i := range tc.writes {
				n, err := rf.Write(chunk(i))
				require.NoError(t, err, "write %d", i)
				require.Equal(t, 30, n, "write %d", i)
			}
			require.NoError(t, rf.Close())
			for suffix, chunks := range tc.want {
				data, err := os.ReadFile(path + suffix)
				if chunks == "" {
					assert.ErrorIs(t, err, os.ErrNotExist, "app.log%s should not exist", suffix)
					continue
				}
				var want bytes.Buffer
				for _, c := range chunks {
					want.Write(chunk(int(c - '0')))
				}
				require.NoError(t, err)
				assert.Equal(t, want.String(), string(data), "app.log%s", suffix)
			}
		})
	}
}

func TestFileAppends(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "app.log")
	require.NoError(t, os.WriteFile(path, []byte(strings.Repeat("a", 80)+"\n"), 0o600))
	rf := &File{Path: path, MaxBytes: 100, MaxBackups: 1}
	require.NoError(t, rf.Open())
	_, err := rf.Write([]byte("0123456789\n")) // 81+11 fits
	require.NoError(t, err)
	_, err = rf.Write([]byte("0123456789\n")) // 92+11 does not
	require.NoError(t, err)
	require.NoError(t, rf.Close())
	for name, want := range map[string]int64{path: 11, path + ".1": 92} {
		fi, err := os.Stat(name)
		require.NoError(t, err)
		assert.Equal(t, want, fi.Size(), filepath.Base(name))
	}
	_, err = rf.Write([]byte("x"))
	assert.ErrorIs(t, err, os.ErrClosed, "write after Close")
	assert.ErrorIs(t, rf.Sync(), os.ErrClosed, "Sync after Close")
}

func TestFileOpenFails(t *testing.T) {
	t.Parallel()
	rf := &File{Path: filepath.Join(t.TempDir(), "missing", "app.log")}
	assert.ErrorIs(t, rf.Open(), os.ErrNotExist, "Open in a missing directory")
	_, err := rf.Write([]byte("x\n"))
	assert.ErrorIs(t, err, os.ErrNotExist, "Write in a missing directory")
}

func TestFileSync(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "app.log")
	rf := &File{Path: path}
	require.NoError(t, rf.Sync(), "Sync before the first write has nothing to commit")
	_, err := rf.Write([]byte("one\n"))
	require.NoError(t, err)
	require.NoError(t, rf.Sync())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "one\n", string(data))
	require.NoError(t, rf.Close())
}
