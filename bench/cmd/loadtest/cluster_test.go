package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/bench/cmd/internal/loadgen"
)

// buildPDP builds pdp from the repository root, the module bench/
// replaces pdp with, into a temporary directory.
func buildPDP(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "pdp")
	cmd := exec.Command("go", "build", "-o", exe, "./cmd/pdp")
	cmd.Dir = "../../.."
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/pdp:\n%s", out)
	return exe
}

// TestClusterRun runs the freshness load test for two seconds a phase on a
// small model, with the real pdp, etcd and ghz: every write made through
// A is seen by B and C with its decision and every Check succeeds. It needs etcd (make etcd) and ghz (make loadtest-tools) in bin/
// which make test installs.
func TestClusterRun(t *testing.T) {
	t.Parallel()
	ghz, err := filepath.Abs("../../../bin/ghz")
	require.NoError(t, err)
	_, err = os.Stat(ghz)
	require.NoError(t, err, "no ghz: run make loadtest-tools")
	etcd, err := filepath.Abs("../../../bin/etcd")
	require.NoError(t, err)
	_, err = os.Stat(etcd)
	require.NoError(t, err, "no etcd server in bin/: run make etcd")

	o := clusterOptions{pdp: buildPDP(t), etcd: etcd, ghz: ghz, duration: 2 * time.Second,
		rate: 50, concurrency: 2, writes: 10, workDir: t.TempDir(),
		model: loadgen.Config{Accounts: 2, Teams: 3, Apps: 24, Users: 30, Roles: 8, InlinePerUser: 6, InlinePerRole: 3,
			Checks: 100, BatchSizes: []int{10}, BatchesPerSize: 1, Seed: 7}}
	var out bytes.Buffer
	res, err := runCluster(t.Context(), &out, o)
	require.NoError(t, err, "output:\n%s", out.String())

	assert.Zero(t, res.errors(), "errors: %v", res.problems)
	require.Len(t, res.checks, 6, "a row per server and phase")
	for _, c := range res.checks {
		assert.Positive(t, c.calls, "%s on %s", c.phase, c.server)
		assert.GreaterOrEqual(t, c.p99, c.p50, "%s on %s", c.phase, c.server)
	}
	require.NotEmpty(t, res.writes)
	assert.LessOrEqual(t, len(res.writes), 20, "more writes than 10/s for 2 s")
	require.Len(t, res.visible, 2, "a row for B and for C")
	for _, v := range res.visible {
		assert.Len(t, v.delays, len(res.writes), "writes seen by %s", v.server)
	}
	for _, name := range []string{"pdp-A.log", "pdp-B.log", "pdp-C.log"} {
		assert.FileExists(t, filepath.Join(o.workDir, name))
	}
}
