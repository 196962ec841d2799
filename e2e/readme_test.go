package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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

	addr := startServer(t, pdpBinary(t), root, "--policies", "examples/model")

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
