// Package e2e runs the README's grpcurl session against a real pdp binary:
// the commands the README shows are the commands this test runs, and the
// output it shows is the output this test requires.
package e2e

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// session is one command of the README's grpcurl session and its output.
type session struct {
	command string
	want    string
}

// readmeSession extracts the code blocks between <!-- e2e:begin --> and
// <!-- e2e:end -->: lines starting with "$ " are commands, the lines up to
// the next command or the end of the block are its expected output.
func readmeSession(t *testing.T, readme string) []session {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "<!-- e2e:begin -->")
	block, _, ok2 := strings.Cut(rest, "<!-- e2e:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no <!-- e2e:begin --> … <!-- e2e:end --> block")
	}
	var out []session
	inFence := false
	for _, line := range strings.Split(block, "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			inFence = !inFence
		case !inFence: // prose between the code blocks
		case strings.HasPrefix(line, "$ "):
			out = append(out, session{command: strings.TrimPrefix(line, "$ ")})
		case len(out) > 0:
			out[len(out)-1].want += line + "\n"
		}
	}
	for i := range out {
		out[i].want = strings.TrimSpace(out[i].want)
	}
	if len(out) < 6 {
		t.Fatalf("README session has %d commands, want at least 6", len(out))
	}
	return out
}

func TestREADMESession(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	grpcurl := filepath.Join(root, "bin", "grpcurl")
	if _, err := os.Stat(grpcurl); err != nil {
		t.Fatalf("grpcurl not installed at %s: run `make tools` (make test does)", grpcurl)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	steps := readmeSession(t, string(readme))

	bin := filepath.Join(t.TempDir(), "pdp")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/pdp")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := startServer(t, bin, root)

	for _, st := range steps {
		t.Run(st.command, func(t *testing.T) {
			cmdline := strings.ReplaceAll(st.command, "localhost:8181", addr)
			cmd := exec.CommandContext(t.Context(), "sh", "-c", cmdline)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "PATH="+filepath.Join(root, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			// grpcurl exits non-zero when the call fails; the README shows
			// such a call with its "ERROR:" output.
			if wantFail := strings.HasPrefix(st.want, "ERROR:"); (err != nil) != wantFail {
				t.Fatalf("%s: exit error %v, want failure %v\n%s", cmdline, err, wantFail, out)
			}
			if got := strings.TrimSpace(string(out)); got != st.want {
				t.Errorf("output of\n  %s\ngot:\n%s\nwant (README.md):\n%s", st.command, got, st.want)
			}
		})
	}
}

var servingAddr = regexp.MustCompile(`msg=serving addr=(\S+)`)

// startServer runs `pdp serve` on a free loopback port with the example
// policies and returns its address once it serves; the server is stopped
// with SIGTERM when the test ends and must exit cleanly.
func startServer(t *testing.T, bin, root string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "--listen", "127.0.0.1:0", "--policies", "examples/model", "--grace-period", "2s")
	cmd.Dir = root
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	logs := &syncBuffer{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.write(sc.Text() + "\n")
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
		if !cmd.ProcessState.Success() {
			t.Errorf("pdp serve did not stop cleanly: %v\n%s", cmd.ProcessState, logs.String())
		}
	})
	select {
	case addr := <-addrc:
		return addr
	case <-done:
		t.Fatalf("pdp serve exited before serving:\n%s", logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("pdp serve did not start within 30s:\n%s", logs.String())
	}
	return ""
}

// syncBuffer collects the server's log lines for failure messages.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) write(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(line)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
