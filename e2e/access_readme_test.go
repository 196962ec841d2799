package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// accessSession extracts the README's access-analysis session: the code
// block between <!-- e2e-access:begin --> and <!-- e2e-access:end -->,
// lines starting with "$ " being commands and the lines up to the next
// command their output.
func accessSession(t *testing.T, readme string) []session {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "<!-- e2e-access:begin -->")
	block, _, ok2 := strings.Cut(rest, "<!-- e2e-access:end -->")
	require.True(t, ok && ok2, "README.md has no <!-- e2e-access:begin --> … <!-- e2e-access:end --> block")
	var out []session
	for _, line := range strings.Split(block, "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
		case strings.HasPrefix(line, "$ "):
			out = append(out, session{command: strings.TrimPrefix(line, "$ ")})
		case len(out) > 0:
			out[len(out)-1].want += line + "\n"
		}
	}
	for i := range out {
		out[i].want = strings.TrimSpace(out[i].want)
	}
	require.GreaterOrEqual(t, len(out), 5, "commands in the README access session")
	return out
}

// TestREADMEAccessSession runs the README's who-can, what-can,
// which-resources and impact examples, in order, with the real pdp binary
// against a demo server, and compares their output with the README's.
func TestREADMEAccessSession(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	grpcurl := filepath.Join(root, "bin", "grpcurl")
	_, err = os.Stat(grpcurl)
	require.NoError(t, err, "grpcurl not installed at %s: run `make tools` (make test does)", grpcurl)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	steps := accessSession(t, string(readme))
	bin := pdpBinary(t)
	addr := startServer(t, bin, root, "--policies", "examples/model")
	path := filepath.Dir(bin) + string(os.PathListSeparator) + filepath.Join(root, "bin") + string(os.PathListSeparator) + os.Getenv("PATH")
	for _, st := range steps {
		t.Run(st.command, func(t *testing.T) {
			cmdline := strings.ReplaceAll(st.command, "localhost:8181", addr)
			cmd := exec.CommandContext(t.Context(), "sh", "-c", cmdline)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "PATH="+path, "PDP_ADDR=")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s\n%s", cmdline, out)
			assert.Equal(t, st.want, strings.TrimSpace(string(out)), "output of\n  %s\n(want: README.md)", st.command)
		})
	}
}
