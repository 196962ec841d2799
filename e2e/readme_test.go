package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.True(t, ok && ok2, "README.md has no <!-- e2e:begin --> … <!-- e2e:end --> block")
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
	require.GreaterOrEqual(t, len(out), 6, "commands in the README session")
	return out
}

// TestREADMESession runs the README's grpcurl session twice in a row, each
// time against a server freshly started the way `make demo-server` starts
// it, and requires the README's output both times: the session must work
// again on the same clone.
func TestREADMESession(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	grpcurl := filepath.Join(root, "bin", "grpcurl")
	if _, err := os.Stat(grpcurl); errors.Is(err, fs.ErrNotExist) {
		t.Skip("grpcurl not installed in bin/: run `make tools` (make test does, and fails on a skipped test)")
	} else {
		require.NoError(t, err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	steps := readmeSession(t, string(readme))
	serveArgs := demoServeArgs(t, root)

	for run := 1; run <= 2; run++ {
		t.Run(fmt.Sprintf("run%d", run), func(t *testing.T) {
			addr := startServer(t, pdpBinary(t), root, serveArgs...)
			for _, st := range steps {
				cmdline := strings.ReplaceAll(st.command, "localhost:8181", addr)
				cmd := exec.CommandContext(t.Context(), "sh", "-c", cmdline)
				cmd.Dir = root
				cmd.Env = append(os.Environ(), "PATH="+filepath.Join(root, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
				out, err := cmd.CombinedOutput()
				// grpcurl exits non-zero when the call fails; the README shows
				// such a call with its "ERROR:" output.
				wantFail := strings.HasPrefix(st.want, "ERROR:")
				assert.Equal(t, wantFail, err != nil, "%s: exit error %v\n%s", cmdline, err, out)
				assert.Equal(t, st.want, strings.TrimSpace(string(out)), "output of\n  %s", st.command)
			}
		})
	}
}

// demoServeArgs returns the flags of `make demo-server` (DEMO_SERVE_FLAGS in
// the Makefile) without --listen: startServer listens on a free port.
func demoServeArgs(t *testing.T, root string) []string {
	t.Helper()
	flags := strings.Fields(makeVar(t, root, "DEMO_SERVE_FLAGS"))
	require.NotEmpty(t, flags, "DEMO_SERVE_FLAGS is empty")
	var out []string
	for i := 0; i < len(flags); i++ {
		if flags[i] == "--listen" {
			i++ // and its value
			continue
		}
		out = append(out, flags[i])
	}
	require.Contains(t, out, "--seed", "the demo server must seed its fresh store")
	return out
}

// makeVar returns the value of a simple variable (NAME := value) of the
// Makefile.
func makeVar(t *testing.T, root, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "Makefile"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			v = strings.TrimLeft(v, " ")
			for _, op := range []string{":=", "?=", "="} {
				if rest, ok := strings.CutPrefix(v, op); ok {
					return strings.TrimSpace(rest)
				}
			}
		}
	}
	require.FailNow(t, "no such Makefile variable", "Makefile has no variable %s", name)
	return ""
}
