package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// runPDP runs the command in-process with stdin as input.
func runPDP(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, stdin, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // substring; "" means stdout must be empty
		wantStderr string // substring; "" means stderr must be empty
	}{
		{name: "no command", args: nil, wantCode: 2, wantStderr: "Usage: pdp <command>"},
		{name: "help", args: []string{"help"}, wantCode: 0, wantStdout: "validate"},
		{name: "-h", args: []string{"-h"}, wantCode: 0, wantStdout: "Commands:"},
		{name: "--help", args: []string{"--help"}, wantCode: 0, wantStdout: "Commands:"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, wantStderr: `unknown command "frobnicate"`},
		{name: "help eval", args: []string{"help", "eval"}, wantCode: 0, wantStdout: "-workers"},
		{name: "help validate", args: []string{"help", "validate"}, wantCode: 0, wantStdout: "-quota"},
		{name: "help unknown", args: []string{"help", "frobnicate"}, wantCode: 2, wantStderr: `unknown command "frobnicate"`},
		{name: "help too many", args: []string{"help", "eval", "validate"}, wantCode: 2, wantStderr: "at most one command"},
		{name: "eval -h", args: []string{"eval", "-h"}, wantCode: 0, wantStdout: "Usage: pdp eval [flags]"},
		{name: "validate --help", args: []string{"validate", "--help"}, wantCode: 0, wantStdout: "Usage: pdp validate [flags] FILE…"},
		{name: "eval unknown flag", args: []string{"eval", "--nope"}, wantCode: 2, wantStderr: "flag provided but not defined: -nope"},
		{name: "eval negative workers", args: []string{"eval", "--workers", "-1"}, wantCode: 2, wantStderr: "must not be negative"},
		{name: "eval argument", args: []string{"eval", "cases.jsonl"}, wantCode: 2, wantStderr: "cases are read from stdin"},
		{name: "validate no files", args: []string{"validate"}, wantCode: 2, wantStderr: "no policy files"},
		{name: "validate bad type", args: []string{"validate", "--type", "trust", "-"}, wantCode: 2, wantStderr: "want one of identity, resource"},
		{name: "validate bad format", args: []string{"validate", "--format", "xml", "-"}, wantCode: 2, wantStderr: "want one of text, json"},
		{name: "version argument", args: []string{"version", "x"}, wantCode: 2, wantStderr: `unexpected argument "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPDP(t, nil, tc.args...)
			assert.Equal(t, tc.wantCode, code, "exit status\nstdout: %s\nstderr: %s", stdout, stderr)
			checkOutput(t, "stdout", stdout, tc.wantStdout)
			checkOutput(t, "stderr", stderr, tc.wantStderr)
		})
	}
}

func checkOutput(t *testing.T, name, got, want string) {
	t.Helper()
	if want == "" {
		assert.Empty(t, got, name)
		return
	}
	assert.Contains(t, got, want, name)
}

func TestEnumFlag(t *testing.T) {
	t.Parallel()
	f := newEnumFlag("a", "a", "b")
	assert.NoError(t, f.Set("b"), "Set(b)")
	assert.Equal(t, "b", f.String(), "value after Set(b)")
	assert.Error(t, f.Set("c"), "Set(c)")
	assert.Equal(t, "b", f.String(), "value after a refused Set(c)")
}
