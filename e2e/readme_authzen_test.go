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

// readmeBlock extracts the session between begin and end markers of the
// README, as readmeSession does for the grpcurl session.
func readmeBlock(t *testing.T, readme, begin, end string) []session {
	t.Helper()
	_, rest, ok := strings.Cut(readme, begin)
	block, _, ok2 := strings.Cut(rest, end)
	require.True(t, ok && ok2, "README.md has no %s … %s block", begin, end)
	var out []session
	inFence := false
	for _, line := range strings.Split(block, "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			inFence = !inFence
		case !inFence:
		case strings.HasPrefix(line, "$ "):
			out = append(out, session{command: strings.TrimPrefix(line, "$ ")})
		case len(out) > 0:
			out[len(out)-1].want += line + "\n"
		}
	}
	for i := range out {
		out[i].want = strings.TrimSpace(out[i].want)
	}
	return out
}

// TestREADMEAuthZENSession runs the README's curl session of the AuthZEN
// API against a server started as the README says, and requires the
// README's output.
func TestREADMEAuthZENSession(t *testing.T) {
	_, err := exec.LookPath("curl")
	require.NoError(t, err, "curl is needed to run the README's AuthZEN session")
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	steps := readmeBlock(t, string(readme), "<!-- e2e-authzen:begin -->", "<!-- e2e-authzen:end -->")
	require.GreaterOrEqual(t, len(steps), 5, "README AuthZEN session")

	p := startProc(t, nil, "--policies", "examples/model", "--http-listen", "127.0.0.1:0",
		"--authzen-base-url", "https://pdp.example.com")
	m := authzenAddr.FindStringSubmatch(p.log(t))
	require.NotNil(t, m, "no AuthZEN address in the log:\n%s", p.log(t))
	for _, st := range steps {
		require.True(t, strings.HasPrefix(st.command, "curl "), "the session runs curl only: %s", st.command)
		cmdline := strings.ReplaceAll(st.command, "localhost:8182", m[1])
		out, err := exec.CommandContext(t.Context(), "sh", "-c", cmdline).CombinedOutput()
		require.NoError(t, err, "%s\n%s", cmdline, out)
		assert.Equal(t, st.want, strings.TrimSpace(string(out)), "output of\n  %s", st.command)
	}
}
