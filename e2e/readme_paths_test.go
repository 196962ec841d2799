package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// makeTarget finds "make TARGET" in README text.
var makeTarget = regexp.MustCompile(`\bmake\s+([a-z][a-z0-9-]*)\b`)

// TestREADMEPaths checks that what the README tells a reader to use
// exists: every repository path named in its code blocks (a file, a
// directory, or a glob with at least one match), except those a command
// of the block writes itself (after > or >>) and build output in bin/, and
// every make target it names, in code blocks or inline code.
func TestREADMEPaths(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	readme := string(data)
	top := map[string]bool{}
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	for _, e := range entries {
		top[e.Name()] = true
	}

	paths := 0
	for _, line := range codeLines(readme) {
		written := map[string]bool{}
		fields := strings.Fields(line)
		for i, f := range fields {
			if (f == ">" || f == ">>") && i+1 < len(fields) {
				written[fields[i+1]] = true
			}
		}
		for _, f := range fields {
			p := strings.Trim(f, "'\"`,;()")
			p = strings.TrimPrefix(p, "./")
			p, _, _ = strings.Cut(p, ":") // file:line:col in a tool's output
			first, _, hasSlash := strings.Cut(p, "/")
			if !hasSlash || !top[first] || first == "bin" || written[p] {
				continue
			}
			paths++
			matches, err := filepath.Glob(filepath.Join(root, p))
			require.NoError(t, err, "pattern %q", p)
			assert.NotEmpty(t, matches, "README names %q (in %q), which does not exist", p, line)
		}
	}
	assert.GreaterOrEqual(t, paths, 5, "repository paths found in the README's code blocks")

	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	require.NoError(t, err)
	targets := map[string]bool{}
	for _, line := range strings.Split(string(makefile), "\n") {
		if name, _, ok := strings.Cut(line, ":"); ok && regexp.MustCompile(`^[a-z][a-z0-9-]*$`).MatchString(name) && !strings.HasPrefix(line[len(name):], ":=") {
			targets[name] = true
		}
	}
	named := 0
	for _, text := range append(codeLines(readme), inlineCode(readme)...) {
		for _, m := range makeTarget.FindAllStringSubmatch(text, -1) {
			named++
			assert.True(t, targets[m[1]], "README names `make %s`; the Makefile has no such target", m[1])
		}
	}
	for _, want := range []string{"run", "demo-server", "reset", "test"} {
		assert.Contains(t, readme, "make "+want, "the README documents make %s", want)
	}
	assert.Greater(t, named, 5, "make targets found in the README")
	assert.Contains(t, readme, "export PATH=\"$PWD/bin:$PATH\"", "the README puts bin/ on the path")
}

// codeLines returns the lines of the fenced code blocks of a Markdown text.
func codeLines(md string) []string {
	var out []string
	in := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			in = !in
			continue
		}
		if in {
			out = append(out, line)
		}
	}
	return out
}

// inlineCode returns the `code spans` of a Markdown text.
func inlineCode(md string) []string {
	var out []string
	for _, m := range regexp.MustCompile("`([^`\n]+)`").FindAllStringSubmatch(md, -1) {
		out = append(out, m[1])
	}
	return out
}
