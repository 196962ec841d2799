package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildEcho builds pdp-echo into a temporary directory.
func buildEcho(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "pdp-echo")
	out, err := exec.Command("go", "build", "-o", exe, "../pdp-echo").CombinedOutput()
	require.NoError(t, err, "go build:\n%s", out)
	return exe
}

// TestServerLifecycle starts the real baseline as the load test does,
// checks what the load test reads of it, and that stop ends it.
func TestServerLifecycle(t *testing.T) {
	t.Parallel()
	exe := buildEcho(t)
	dir := t.TempDir()

	s, err := startServer(t.Context(), "pdp-echo", filepath.Join(dir, "echo.log"), exe, "-listen", "127.0.0.1:0")
	t.Cleanup(s.stop)
	require.NoError(t, err)
	// The address is the loopback port the server picked.
	assert.True(t, strings.HasPrefix(s.addr, "127.0.0.1:"), "addr = %q, want a loopback address", s.addr)
	assert.False(t, strings.HasSuffix(s.addr, ":0"), "addr = %q, want the port the server picked", s.addr)
	if _, err := s.cpuTime(); err != nil {
		if _, statErr := os.Stat("/proc/self/stat"); statErr == nil {
			assert.NoError(t, err, "cpuTime")
		}
	}
	require.NoError(t, s.alive())
	s.stop()
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		require.FailNow(t, "the server still runs after stop")
	}
	assert.Error(t, s.alive(), "alive reports a stopped server as running")

	// A server that exits at once is reported with its log.
	bad, err := startServer(t.Context(), "pdp-echo", filepath.Join(dir, "bad.log"), exe, "-listen", "0.0.0.0:0")
	t.Cleanup(bad.stop)
	if assert.Error(t, err, "starting a server that refuses its address") {
		assert.Contains(t, err.Error(), "exited before serving", "starting a server that refuses its address")
		assert.Contains(t, err.Error(), "loopback", "starting a server that refuses its address: want an error quoting its log")
	}
}

// TestGHZ drives the baseline with ghz for a moment and reads its report.
// It needs ghz in bin/, which make test and make loadtest-tools install.
func TestGHZ(t *testing.T) {
	t.Parallel()
	ghz, err := filepath.Abs("../../../bin/ghz")
	require.NoError(t, err)
	_, err = os.Stat(ghz)
	require.NoError(t, err, "no ghz at %s: run make loadtest-tools", ghz)
	exe := buildEcho(t)
	dir := t.TempDir()
	s, err := startServer(t.Context(), "pdp-echo", filepath.Join(dir, "echo.log"), exe, "-listen", "127.0.0.1:0")
	t.Cleanup(s.stop)
	require.NoError(t, err)
	data := filepath.Join(dir, "check.json")
	err = os.WriteFile(data, []byte(`[{"principal":"arn:aws:iam::111122223333:user/alice","action":"mobiletargeting:GetApp","resource":"*"}]`), 0o644)
	require.NoError(t, err)
	run, err := runGHZ(t.Context(), ghz, dir, "check", s.addr, load{method: "Check", dataFile: data,
		concurrency: 4, connections: 1, duration: time.Second})
	require.NoError(t, err)
	rep := run.report
	assert.NotZero(t, rep.StatusCodeDist["OK"], "OK calls in the ghz report")
	assert.Positive(t, rep.Total, "total time in the ghz report")
	assert.Positive(t, rep.percentile(99), "p99 in the ghz report")
	assert.GreaterOrEqual(t, rep.percentile(99), rep.percentile(50), "p99 against p50 in the ghz report")
}
