package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/store/boltstore"
)

func TestStoreCheck(t *testing.T) {
	t.Parallel()
	good := seededBoltFile(t)
	dataDir := t.TempDir()
	path := filepath.Join(dataDir, "pdp.db")
	require.NoError(t, os.WriteFile(path, good, 0o600))
	damaged := filepath.Join(t.TempDir(), "pdp.db")
	require.NoError(t, os.WriteFile(damaged, good[:len(good)/2], 0o600))

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // regexp
		wantStderr string
	}{
		{name: "file", args: []string{"check", path}, wantCode: exitOK,
			wantStdout: regexp.QuoteMeta(path) + `: OK: revision 2 \(history from 1\), \d+ entities, \d+ versions, 2 revision records\n$`},
		{name: "data dir", args: []string{"--data-dir", dataDir, "check"}, wantCode: exitOK, wantStdout: `: OK: revision 2 `},
		{name: "damaged", args: []string{"check", damaged}, wantCode: exitFailure,
			wantStdout: regexp.QuoteMeta(damaged) + `: the file is truncated: .*\n.*: DAMAGED: 1 problems; restore it from a backup\n$`},
		{name: "missing", args: []string{"check", filepath.Join(dataDir, "nope.db")}, wantCode: exitUsage, wantStderr: "nope.db: no such file"},
		{name: "two files", args: []string{"check", path, path}, wantCode: exitUsage, wantStderr: "at most one FILE"},
		{name: "no subcommand", args: nil, wantCode: exitUsage, wantStderr: "missing subcommand"},
		{name: "unknown subcommand", args: []string{"fix"}, wantCode: exitUsage, wantStderr: `unknown subcommand "fix"`},
		{name: "backup without -o", args: []string{"backup"}, wantCode: exitUsage, wantStderr: "backup takes -o FILE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPDP(t, nil, append([]string{"store"}, tc.args...)...)
			assert.Equal(t, tc.wantCode, code, "stderr:\n%s", stderr)
			if tc.wantStdout != "" {
				assert.Regexp(t, regexp.MustCompile(tc.wantStdout), stdout)
			}
			if tc.wantStderr != "" {
				assert.Contains(t, stderr, tc.wantStderr)
			}
		})
	}
	after, err := os.ReadFile(damaged)
	require.NoError(t, err)
	assert.Len(t, after, len(good)/2, "check changed the damaged file")
}

// TestStoreBackupRestore backs up a running server's store while another
// client writes: the copy holds at least the revision acknowledged before
// the backup began, passes check, and a server started on it serves that
// revision.
func TestStoreBackupRestore(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--data-dir", t.TempDir(), "--seed", modelDir, "--drain-delay", "0")
	out := policyMust(t, s.addr, "--author", "ann", "-f", writeDir(t, map[string]string{"users.yaml": carolBundle}), "apply")
	wantLines(t, "apply", out, "revision 2")

	ctx, stopWriting := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; i < 50 && ctx.Err() == nil; i++ {
			bundle := fmt.Sprintf("users:\n  - arn: arn:aws:iam::111122223333:user/writer-%d\n    groups: [marketing]\n", i)
			runPDP(t, nil, "policy", "--addr", s.addr, "-f", writeDir(t, map[string]string{"users.yaml": bundle}), "apply")
		}
	})
	backupDir := t.TempDir()
	backupPath := filepath.Join(backupDir, "pdp.db")
	code, stdout, stderr := runPDP(t, nil, "store", "backup", "--addr", s.addr, "-o", backupPath)
	stopWriting()
	wg.Wait()
	require.Equal(t, exitOK, code, "stderr:\n%s", stderr)
	m := regexp.MustCompile(regexp.QuoteMeta(backupPath) + `: OK: revision (\d+) `).FindStringSubmatch(stdout)
	require.NotNil(t, m, "stdout:\n%s", stdout)
	rev, _ := strconv.ParseInt(m[1], 10, 64)
	assert.GreaterOrEqual(t, rev, int64(2))
	r, err := boltstore.Check(backupPath)
	require.NoError(t, err)
	assert.True(t, r.OK(), "problems: %q", r.Problems)
	assert.Equal(t, rev, r.Revision)
	leftovers, err := filepath.Glob(filepath.Join(backupDir, ".pdp.db.tmp-*"))
	require.NoError(t, err)
	assert.Empty(t, leftovers, "temporary files left beside the backup")
	stop(t, s)

	restored := startServe(t, "--data-dir", backupDir, "--drain-delay", "0")
	assert.Regexp(t, regexp.MustCompile(`msg=serving .*revision=`+m[1]+` `), restored.log.String())
	assert.Contains(t, policyMust(t, restored.addr, "get", "user", carol), `"arn": "`+carol+`"`)
	stop(t, restored)
}

// TestStoreBackupNeedsBoltStore asks a memory store for a backup: the call
// fails FAILED_PRECONDITION with what to do instead, and writes no file.
func TestStoreBackupNeedsBoltStore(t *testing.T) {
	t.Parallel()
	s := startMemoryServe(t)
	out := filepath.Join(t.TempDir(), "pdp.db")
	code, _, stderr := runPDP(t, nil, "store", "backup", "--addr", s.addr, "-o", out)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "FailedPrecondition")
	assert.Contains(t, stderr, "etcdctl snapshot save")
	entries, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	assert.Empty(t, entries)
}
