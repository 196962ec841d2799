package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildEcho builds pdp-echo into a temporary directory.
func buildEcho(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "pdp-echo")
	if out, err := exec.Command("go", "build", "-o", exe, "../pdp-echo").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
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
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.addr, "127.0.0.1:") || strings.HasSuffix(s.addr, ":0") {
		t.Errorf("addr = %q, want the loopback port the server picked", s.addr)
	}
	if _, err := s.cpuTime(); err != nil {
		if _, statErr := os.Stat("/proc/self/stat"); statErr == nil {
			t.Errorf("cpuTime: %v", err)
		}
	}
	if err := s.alive(); err != nil {
		t.Fatal(err)
	}
	s.stop()
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		t.Fatal("the server still runs after stop")
	}
	if s.alive() == nil {
		t.Error("alive reports a stopped server as running")
	}

	// A server that exits at once is reported with its log.
	bad, err := startServer(t.Context(), "pdp-echo", filepath.Join(dir, "bad.log"), exe, "-listen", "0.0.0.0:0")
	t.Cleanup(bad.stop)
	if err == nil || !strings.Contains(err.Error(), "exited before serving") || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("starting a server that refuses its address: %v, want an error quoting its log", err)
	}
}

// TestGHZ drives the baseline with ghz for a moment and reads its report.
// It needs ghz in bin/, which make test and make loadtest-tools install.
func TestGHZ(t *testing.T) {
	t.Parallel()
	ghz, err := filepath.Abs("../../../bin/ghz")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ghz); err != nil {
		t.Fatalf("no ghz at %s: run make loadtest-tools", ghz)
	}
	exe := buildEcho(t)
	dir := t.TempDir()
	s, err := startServer(t.Context(), "pdp-echo", filepath.Join(dir, "echo.log"), exe, "-listen", "127.0.0.1:0")
	t.Cleanup(s.stop)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "check.json")
	if err := os.WriteFile(data, []byte(`[{"principal":"arn:aws:iam::111122223333:user/alice","action":"mobiletargeting:GetApp","resource":"*"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	run, err := runGHZ(t.Context(), ghz, dir, "check", s.addr, load{method: "Check", dataFile: data,
		concurrency: 4, connections: 1, duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rep := run.report
	if rep.StatusCodeDist["OK"] == 0 || rep.Total <= 0 || rep.percentile(99) <= 0 || rep.percentile(99) < rep.percentile(50) {
		t.Errorf("ghz report: %d OK calls in %v, p50 %v, p99 %v", rep.StatusCodeDist["OK"], rep.Total, rep.percentile(50), rep.percentile(99))
	}
}
