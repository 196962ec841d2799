package etcdtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pdp-dev/pdp/internal/etcdprobe"
	"github.com/pdp-dev/pdp/internal/logbuf"
)

// Timeouts of the server's life cycle; generous because tests run under
// the race detector on busy machines.
const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
)

// A Server is one etcd process. Its methods are called from the test's
// goroutine; Stop and Restart may be called any number of times.
type Server struct {
	t       testing.TB
	bin     string
	dataDir string
	args    []string      // extra flags, after the ones Start sets
	client  string        // http://127.0.0.1:PORT
	peer    string        // http://127.0.0.1:PORT
	log     logbuf.Buffer // where etcd logs while the test reads

	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	err    error         // cmd's exit status, set before exited is closed
}

// Start starts an etcd server for t, waits until it serves, and stops it
// in t.Cleanup; if t fails, the server's log is written to the test log.
// args are extra etcd flags, such as "--max-txn-ops=1024".
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Skipf("%v: run `make etcd` to build it (make test does, and fails on a skipped test)", err)
	}
	s := &Server{t: t, bin: bin, args: args}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("etcd log:\n%s", s.log.String())
		}
	})
	// Free ports are found by listening and closing, so another process
	// can take one before etcd binds it: try again with new ports.
	for attempt := 1; ; attempt++ {
		ports, err := etcdprobe.FreePorts(2)
		if err != nil {
			t.Fatalf("etcdtest: %v", err)
		}
		s.client = fmt.Sprintf("http://127.0.0.1:%d", ports[0])
		s.peer = fmt.Sprintf("http://127.0.0.1:%d", ports[1])
		s.dataDir = t.TempDir() // fresh: the member records its URLs there
		err = s.start()
		if err == nil {
			return s
		}
		if attempt == 3 || !strings.Contains(s.log.String(), "address already in use") {
			t.Fatalf("etcdtest: %v", err)
		}
		s.log.Reset()
	}
}

// module is the path of the module whose bin/ holds the etcd server.
const module = "github.com/pdp-dev/pdp"

// Binary returns the path of the etcd server `make etcd` builds: bin/etcd
// in the root of the module, found from the working directory up (go test
// runs a test in its package's directory). It fails when the file is not
// there; the PATH is not searched, so a test never runs another version.
func Binary() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("etcd server not found: %w", err)
	}
	for {
		if isModuleRoot(dir) {
			bin := filepath.Join(dir, "bin", "etcd")
			if _, err := os.Stat(bin); err != nil {
				return "", fmt.Errorf("etcd server not found: %w", err)
			}
			return bin, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("etcd server not found: no directory above the working directory holds the go.mod of %s", module)
		}
		dir = parent
	}
}

// isModuleRoot reports whether dir holds the go.mod of module.
func isModuleRoot(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(data)) {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`) == module
		}
	}
	return false
}

// Endpoints returns the client URLs, for clientv3.Config.Endpoints.
func (s *Server) Endpoints() []string { return []string{s.client} }

// Stop stops the server (SIGTERM, then SIGKILL after a while) and waits
// for it to exit; the data directory stays for Restart.
func (s *Server) Stop() {
	s.t.Helper()
	if s.cmd == nil {
		return
	}
	select {
	case <-s.exited:
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	s.cmd = nil
}

// Restart starts the server again on the same ports and data directory
// (stopping it first if it runs) and waits until it serves.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("etcdtest: restart: %v", err)
	}
}

// start runs etcd and waits until it reports itself healthy.
func (s *Server) start() error {
	args := []string{
		"--name", "default",
		"--data-dir", s.dataDir,
		"--listen-client-urls", s.client,
		"--advertise-client-urls", s.client,
		"--listen-peer-urls", s.peer,
		"--initial-advertise-peer-urls", s.peer,
		"--initial-cluster", "default=" + s.peer,
		// A single member elects itself: short ticks make that quick.
		"--heartbeat-interval", "10",
		"--election-timeout", "100",
		"--logger", "zap",
		"--log-level", "error",
		"--log-outputs", "stderr",
	}
	cmd := exec.Command(s.bin, append(args, s.args...)...)
	cmd.Stdout = &s.log
	cmd.Stderr = &s.log
	orphanProof(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start etcd: %w", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func() { // Stop waits for it through s.exited.
		s.err = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(); err != nil {
		s.Stop()
		return err
	}
	return nil
}

// waitReady polls etcd's /health until it answers healthy, the process
// exits or readyTimeout passes.
func (s *Server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for {
		if etcdprobe.Healthy(ctx, s.client+"/health") {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("etcd exited before serving (%v); log:\n%s", s.err, s.log.String())
		case <-ctx.Done():
			return fmt.Errorf("etcd not healthy after %v; log:\n%s", readyTimeout, s.log.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
