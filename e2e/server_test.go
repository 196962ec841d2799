// Package e2e tests pdp from the outside: the real binary, started as a
// process, driven by the README's grpcurl session and by gRPC clients, alone
// and as a cluster of servers on one etcd.
package e2e

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/logbuf"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// pdpBinary builds cmd/pdp once for the whole test binary.
func pdpBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pdp-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "pdp")
		build := exec.Command("go", "build", "-o", binPath, "./cmd/pdp")
		build.Dir = ".."
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	require.NoError(t, buildErr, "go build:\n%s", binPath)
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" && buildErr == nil {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

var servingAddr = regexp.MustCompile(`msg=serving addr=(\S+)`)

// startServer runs `pdp serve` on a free loopback port with the example
// policies and returns its address once it serves; the server is stopped
// with SIGTERM when the test ends and must exit cleanly.
func startServer(t *testing.T, bin, root string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	args = append([]string{"serve", "--listen", "127.0.0.1:0", "--grace-period", "2s", "--drain-delay", "0s"}, args...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = root
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	addrc := make(chan string, 1)
	logs := &logbuf.Buffer{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			_, _ = logs.Write([]byte(sc.Text() + "\n"))
			if m := servingAddr.FindStringSubmatch(sc.Text()); m != nil {
				addrc <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	t.Cleanup(func() {
		cancel() // sends SIGINT: pdp serve drains and exits 0
		_ = cmd.Wait()
		<-done
		assert.True(t, cmd.ProcessState.Success(), "pdp serve did not stop cleanly: %v\n%s", cmd.ProcessState, logs.String())
	})
	select {
	case addr := <-addrc:
		return addr
	case <-done:
		require.FailNow(t, "pdp serve exited before serving", "log:\n%s", logs.String())
	case <-time.After(30 * time.Second):
		require.FailNow(t, "pdp serve did not start within 30s", "log:\n%s", logs.String())
	}
	return ""
}
