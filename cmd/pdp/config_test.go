package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApplyConfigFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		file    string
		args    []string
		want    map[string]string // flag name → value after the file is applied
		wantErr []string          // substrings of the error
	}{
		{name: "values", file: "listen: 0.0.0.0:9000\nmax-batch: 500\nmask: [aws:SourceIp, aws:UserAgent]\ngrace: 2s\n",
			want: map[string]string{"listen": "0.0.0.0:9000", "max-batch": "500", "mask": "aws:SourceIp,aws:UserAgent", "grace": "2s"}},
		{name: "command line wins", file: "listen: 0.0.0.0:9000\n", args: []string{"-listen", "127.0.0.1:1"},
			want: map[string]string{"listen": "127.0.0.1:1"}},
		{name: "unknown key", file: "listen: x\nlisen: y\n", wantErr: []string{`unknown setting "lisen"`}},
		{name: "bad value", file: "max-batch: many\n", wantErr: []string{`max-batch: "many": want an integer`}},
		{name: "bad duration", file: "grace: forever\n", wantErr: []string{"grace:"}},
		{name: "not yaml", file: "listen: [\n", wantErr: []string{"config.yaml"}},
		{name: "config key refused", file: "config: other.yaml\n", wantErr: []string{`unknown setting "config"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "config.yaml")
			require.NoError(t, os.WriteFile(path, []byte(tc.file), 0o600))
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.String("config", "", "")
			fs.String("listen", "127.0.0.1:8181", "")
			fs.Int("max-batch", 1000, "")
			fs.String("mask", "", "")
			fs.Duration("grace", 10*time.Second, "")
			require.NoError(t, fs.Parse(tc.args))
			err := applyConfigFile(fs, path)
			for _, w := range tc.wantErr {
				assert.ErrorContains(t, err, w)
			}
			if len(tc.wantErr) == 0 {
				require.NoError(t, err)
			}
			for name, want := range tc.want {
				assert.Equal(t, want, fs.Lookup(name).Value.String(), name)
			}
		})
	}
}

func TestServeRejectsBadConfig(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pdp.yaml")
	require.NoError(t, os.WriteFile(path, []byte("listen: 127.0.0.1:0\nstorr: memory\n"), 0o600))
	var stderr bytes.Buffer
	code := run(t.Context(), []string{"serve", "--config", path}, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	assert.Equal(t, exitUsage, code, "exit code")
	assert.Contains(t, stderr.String(), `unknown setting "storr"`, "stderr")
}

func TestParseInterleaved(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "")
	expect := fs.Int64("expect-revision", 0, "")
	file := fs.String("f", "", "")
	pos, err := parseInterleaved(fs, []string{"1", "--expect-revision", "3", "-f", "dir", "2", "--dry-run"})
	if assert.NoError(t, err) {
		assert.Equal(t, "1 2", strings.Join(pos, " "), "positional arguments")
		assert.True(t, *dry, "dry-run")
		assert.EqualValues(t, 3, *expect, "expect-revision")
		assert.Equal(t, "dir", *file, "f")
	}
}
