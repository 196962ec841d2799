package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/logbuf"
)

// TestMakeRunStopsGracefully runs the recipe of `make run` through make, in
// a process group of its own as a shell runs it, and sends SIGTERM to the
// whole group, as a terminal or a supervisor does: make passes the signal
// on to pdp a second time, and pdp must still stop gracefully. The recipe
// runs the binary under test on a free port with a bolt store in a
// temporary directory; its prerequisites (build, grpcurl) are taken as
// made.
func TestMakeRunStopsGracefully(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	grpcurlStamp := filepath.Join(root, "bin", ".grpcurl-"+makeVar(t, root, "GRPCURL_VERSION"))
	cmd := makeCommand(root, "-o", "build", "-o", grpcurlStamp, "run",
		"PDP="+pdpBinary(t), "PDP_LISTEN=127.0.0.1:0", "PDP_DATA_DIR="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = cmd.Stdout
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })

	logs := &logbuf.Buffer{}
	serving := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		once := false
		for sc.Scan() {
			_, _ = logs.Write([]byte(sc.Text() + "\n"))
			if !once && servingAddr.MatchString(sc.Text()) {
				once = true
				close(serving)
			}
		}
	}()
	select {
	case <-serving:
	case <-done:
		require.FailNow(t, "make run ended before serving", "log:\n%s", logs.String())
	case <-time.After(60 * time.Second):
		require.FailNow(t, "make run did not serve within 60s", "log:\n%s", logs.String())
	}

	require.NoError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM))
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		require.FailNow(t, "make run did not end within 60s of SIGTERM", "log:\n%s", logs.String())
	}
	_ = cmd.Wait()
	got := logs.String()
	assert.Contains(t, got, "export PATH=", "the banner puts bin/ on the path")
	assert.Contains(t, got, `msg="shutting down"`)
	assert.Contains(t, got, "msg=stopped", "pdp must stop gracefully under make")
	assert.Contains(t, got, "(seeded with examples/model if empty;", "the banner claims no seeding: the server's log says")
	assert.Contains(t, got, `msg="seeded the new policy store"`, "a fresh data directory is seeded")
}

// TestMakeRunExecsPDP checks that the recipes of run and demo-server exec
// pdp, so that no shell stands between make and pdp, and that make reset
// removes the store of make run.
func TestMakeRunExecsPDP(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	for _, target := range []string{"run", "demo-server"} {
		cmd := makeCommand(root, "-n", "-o", "build", "-o", filepath.Join(root, "bin", ".grpcurl-"+makeVar(t, root, "GRPCURL_VERSION")), target)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		last := lines[len(lines)-1]
		assert.True(t, strings.HasPrefix(last, "exec ") && strings.Contains(last, " serve "), "make %s: last command %q does not exec pdp serve", target, last)
	}
	cmd := makeCommand(root, "-n", "reset")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "rm -rf pdp-data\n", string(out), "make reset removes the store of make run")
}

// TestServeStopsGracefullyOnRepeatedSIGTERM sends pdp serve two SIGTERMs
// back to back, as make does when its process group is signalled: the
// second must not cut the graceful stop short.
func TestServeStopsGracefullyOnRepeatedSIGTERM(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	cmd := exec.Command(pdpBinary(t), "serve", "--listen", "127.0.0.1:0", "--store", "memory",
		"--seed", "examples/model", "--drain-delay", "0s")
	cmd.Dir = root
	out, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	logs := &logbuf.Buffer{}
	serving := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		once := false
		for sc.Scan() {
			_, _ = logs.Write([]byte(sc.Text() + "\n"))
			if !once && servingAddr.MatchString(sc.Text()) {
				once = true
				close(serving)
			}
		}
	}()
	select {
	case <-serving:
	case <-time.After(30 * time.Second):
		require.FailNow(t, "pdp serve did not serve within 30s", "log:\n%s", logs.String())
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	<-done
	err = cmd.Wait()
	require.NoError(t, err, "pdp serve must exit 0 after SIGTERM twice:\n%s", logs.String())
	assert.Contains(t, logs.String(), "msg=stopped")
}

// makeCommand runs make in root with args, outside any make that runs the
// tests: without its MAKEFLAGS (jobs, silence) and MAKELEVEL.
func makeCommand(root string, args ...string) *exec.Cmd {
	cmd := exec.Command("make", append([]string{"--no-print-directory"}, args...)...)
	cmd.Dir = root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MAKEFLAGS=") && !strings.HasPrefix(kv, "MAKELEVEL=") && !strings.HasPrefix(kv, "MFLAGS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}
