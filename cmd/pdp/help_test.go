package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// singleDashLong matches a long flag spelt with one dash, "-addr", where
// the help texts and the README spell it "--addr".
var singleDashLong = regexp.MustCompile(`(^|[\s(\x60"])-[a-z][a-z]+(-[a-z]+)*\b`)

// TestHelpFlagStyle checks that help spells long flags --name: the flag
// lists of every command, and the texts of the commands other than serve.
func TestHelpFlagStyle(t *testing.T) {
	t.Parallel()
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, _ := runPDP(t, nil, "help", c.name)
			require.Equal(t, 0, code)
			_, flags, _ := strings.Cut(stdout, "\nFlags:\n")
			for _, line := range strings.Split(flags, "\n") {
				if strings.HasPrefix(line, "  -") {
					name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
					assert.True(t, strings.HasPrefix(name, "--") || len(name) == 2, "flag %q: long flags are listed as --name", name)
				}
			}
			if c.name == "serve" {
				return
			}
			assert.Empty(t, singleDashLong.FindAllString(c.summary+"\n"+c.doc, -1), "single-dash long flags in the help text")
		})
	}
}

// TestPolicyHelpListsSubcommands checks that the summary and the help of
// pdp policy name every subcommand it runs.
func TestPolicyHelpListsSubcommands(t *testing.T) {
	t.Parallel()
	c := policyCommand()
	for _, sub := range []string{"apply", "import", "delete", "get", "list", "history", "diff", "rollback", "export", "watch"} {
		assert.Contains(t, c.summary, sub)
		assert.Contains(t, c.doc, "\n  "+sub+" ")
	}
}

// TestREADMEFlags checks every pdp command line in the README's code
// blocks: the command exists, each flag it gives is one of its flags, and
// long flags are spelt --name.
func TestREADMEFlags(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	lines := 0
	for _, line := range readmeCodeLines(string(data)) {
		if before, _, ok := strings.Cut(line, " #"); ok {
			line = before // a shell comment
		}
		fields := strings.Fields(line)
		i := -1
		for j, f := range fields {
			if f == "pdp" || f == "bin/pdp" || strings.HasSuffix(f, "/bin/pdp") {
				i = j
				break
			}
		}
		if i < 0 || i+1 >= len(fields) {
			continue
		}
		cmd, ok := lookup(fields[i+1])
		if !assert.True(t, ok, "README: unknown command in %q", line) {
			continue
		}
		lines++
		fs := newFlagSet(cmd, nil)
		cmd.setup(fs)
		for _, f := range fields[i+2:] {
			if f == "|" || f == ">" || f == "<" || f == "&&" || f == "#" {
				break
			}
			if !strings.HasPrefix(f, "-") || f == "-" {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
			assert.NotNil(t, fs.Lookup(name), "README: pdp %s has no flag %q in %q", cmd.name, f, line)
			assert.True(t, strings.HasPrefix(f, "--") || len(name) == 1, "README: write %q as --%s in %q", f, name, line)
		}
	}
	assert.Greater(t, lines, 10, "README pdp command lines found")
}

// readmeCodeLines returns the command lines of the fenced code blocks of
// a Markdown text: in a block with "$ " prompts, the prompted lines without
// the prompt (the others are output); in other blocks, every line.
// Continuation lines (ending in "\") are joined.
func readmeCodeLines(md string) []string {
	var out, block []string
	in, prompted := false, false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			if in {
				out = append(out, joinContinued(block, prompted)...)
			}
			in, block, prompted = !in, nil, false
			continue
		}
		if in {
			block = append(block, line)
			prompted = prompted || strings.HasPrefix(line, "$ ")
		}
	}
	return out
}

func joinContinued(block []string, prompted bool) []string {
	var out []string
	cont := ""
	for _, line := range block {
		if prompted && cont == "" {
			l, ok := strings.CutPrefix(line, "$ ")
			if !ok {
				continue // output
			}
			line = l
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cont += s + " "
			continue
		}
		out = append(out, cont+line)
		cont = ""
	}
	return out
}

// TestRevisionLineTruncates checks that a history line names the first
// few changed entities and counts the rest.
func TestRevisionLineTruncates(t *testing.T) {
	t.Parallel()
	info := &pdpv1.RevisionInfo{Revision: 1, Author: "pdp serve", Message: "seed"}
	for i := range 30 {
		info.Keys = append(info.Keys, &pdpv1.EntityKey{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: "u" + strings.Repeat("x", i)})
	}
	line := revisionLine(info)
	assert.Equal(t, revisionLineKeys, strings.Count(line, "user/"))
	assert.True(t, strings.HasSuffix(line, "(and 26 more)"), "line %q", line)
	assert.Less(t, len(line), 200)

	info.Keys = info.Keys[:2]
	line = revisionLine(info)
	assert.Equal(t, "1\t\tpdp serve\tseed\tuser/u user/ux", line)
}

// TestREADMEValidateExample runs the README's pdp validate example on the
// file it names and requires the output the README shows.
func TestREADMEValidateExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(data), "$ pdp validate --type identity examples/policies/campaign-readers.json\n")
	require.True(t, ok, "README has no pdp validate example on examples/policies/campaign-readers.json")
	want, _, _ := strings.Cut(rest, "\n")
	code, stdout, stderr := runPDP(t, nil, "validate", "--type", "identity", "../../examples/policies/campaign-readers.json")
	assert.Equal(t, 1, code, "stderr %q", stderr)
	assert.Equal(t, strings.ReplaceAll(want, "examples/", "../../examples/")+"\n", stdout)
}

// TestREADMEApplyFindingsExample runs the README's example of a refused
// change bundle against a server of the example model and requires the
// output the README shows.
func TestREADMEApplyFindingsExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(data), "$ pdp policy apply -f examples/broken-changes/ --dry-run\n")
	require.True(t, ok, "README has no pdp policy apply example on examples/broken-changes/")
	want, _, _ := strings.Cut(rest, "\n```")
	s := startMemoryServe(t)
	code, stdout, stderr := policyRun(t, s.addr, "apply", "-f", "../../examples/broken-changes/", "--dry-run")
	assert.Equal(t, exitFailure, code)
	assert.Empty(t, stdout)
	assert.Equal(t, strings.ReplaceAll(want, "examples/", "../../examples/")+"\n", stderr)
}
