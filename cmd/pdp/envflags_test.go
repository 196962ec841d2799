package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mapEnv is an environment of exactly the variables of m.
func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// An envCase runs a command with an environment and a command line. The
// command line ends with an extra argument, so that a command that accepts
// its settings stops with a usage error instead of serving or calling.
type envCase struct {
	name    string
	cmd     string            // "" is serve
	env     map[string]string // "$CONFIG" in a value is the path of the config file
	args    []string          // flags; "$CONFIG" is the path of the config file
	config  string            // YAML of the config file, if any
	want    map[string]string // flag → value once command line, environment and config file are applied
	wantErr []string          // lines the command prints instead, exiting 2
}

func runEnvCases(t *testing.T, tests []envCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmdName := tc.cmd
			if cmdName == "" {
				cmdName = "serve"
			}
			path := filepath.Join(t.TempDir(), "pdp.yaml")
			if tc.config != "" {
				require.NoError(t, os.WriteFile(path, []byte(tc.config), 0o600))
			}
			environ := map[string]string{}
			for k, v := range tc.env {
				environ[k] = strings.ReplaceAll(v, "$CONFIG", path)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$CONFIG", path)
			}

			var stdout, stderr bytes.Buffer
			e := newEnv(strings.NewReader(""), &stdout, &stderr, mapEnv(environ))
			code := runEnv(t.Context(), e, append(append([]string{cmdName}, args...), "stop-here"))
			require.Equal(t, exitUsage, code, "stderr:\n%s", stderr.String())
			if len(tc.wantErr) > 0 {
				for _, w := range tc.wantErr {
					assert.Contains(t, stderr.String(), "pdp "+cmdName+": "+w+"\n")
				}
				assert.NotContains(t, stderr.String(), "stop-here", "the command ran despite the environment")
				return
			}
			assert.Contains(t, stderr.String(), `"stop-here"`)
			assert.NotContains(t, stderr.String(), "PDP_")

			// The values the command would run with, by the same steps.
			cmd, ok := lookup(cmdName)
			require.True(t, ok)
			fs := newFlagSet(cmd, io.Discard)
			cmd.setup(fs)
			require.NoError(t, fs.Parse(args))
			require.Empty(t, applyEnv(fs, cmd.env, mapEnv(environ)))
			if cfg := fs.Lookup("config"); cfg != nil && cfg.Value.String() != "" {
				require.NoError(t, applyConfigFile(fs, cfg.Value.String()))
			}
			for name, want := range tc.want {
				assert.Equal(t, want, fs.Lookup(name).Value.String(), "-%s", name)
			}
		})
	}
}

func TestEnvString(t *testing.T) {
	t.Parallel()
	runEnvCases(t, []envCase{
		{name: "sets", env: map[string]string{"PDP_LISTEN": "127.0.0.1:9", "PDP_STORE": "memory"},
			want: map[string]string{"listen": "127.0.0.1:9", "store": "memory"}},
		{name: "empty is a value", env: map[string]string{"PDP_DATA_DIR": ""}, want: map[string]string{"data-dir": ""}},
		{name: "unset keeps the default", env: map[string]string{"PDP_LISTN": "0.0.0.0:1"},
			want: map[string]string{"listen": "127.0.0.1:8181"}},
		{name: "command line wins", env: map[string]string{"PDP_LISTEN": "127.0.0.1:9"}, args: []string{"--listen", "127.0.0.1:8"},
			want: map[string]string{"listen": "127.0.0.1:8"}},
		{name: "environment wins over config file", config: "listen: 127.0.0.1:7\nstore: memory\n",
			env: map[string]string{"PDP_LISTEN": "127.0.0.1:9"}, args: []string{"--config", "$CONFIG"},
			want: map[string]string{"listen": "127.0.0.1:9", "store": "memory"}},
		{name: "PDP_CONFIG names the config file", config: "listen: 127.0.0.1:7\n",
			env: map[string]string{"PDP_CONFIG": "$CONFIG"}, want: map[string]string{"listen": "127.0.0.1:7"}},
		{name: "client address", cmd: "check", env: map[string]string{"PDP_ADDR": "127.0.0.1:9", "PDP_TLS_CLIENT_CERT": "c.pem"},
			want: map[string]string{"addr": "127.0.0.1:9", "tls-cert": "c.pem"}},
		{name: "client reads only its own variables", cmd: "check", env: map[string]string{"PDP_TLS_CERT": "server.pem", "PDP_FORMAT": "xml"},
			want: map[string]string{"tls-cert": "", "format": "text"}},
		{name: "policy author", cmd: "policy", env: map[string]string{"PDP_AUTHOR": "ops"}, want: map[string]string{"author": "ops"}},
	})
}

func TestEnvBool(t *testing.T) {
	t.Parallel()
	runEnvCases(t, []envCase{
		{name: "true", env: map[string]string{"PDP_REQUIRE_AUTH_DECISIONS": "true", "PDP_PPROF": "1"},
			want: map[string]string{"require-auth-decisions": "true", "pprof": "true"}},
		{name: "refused", env: map[string]string{"PDP_REQUIRE_AUTH_DECISIONS": "yes", "PDP_TLS_REQUIRE_CLIENT_CERT": "on"},
			wantErr: []string{`PDP_REQUIRE_AUTH_DECISIONS="yes": want true or false`, `PDP_TLS_REQUIRE_CLIENT_CERT="on": want true or false`}},
		{name: "empty refused", env: map[string]string{"PDP_TRACING": ""}, wantErr: []string{`PDP_TRACING="": want true or false`}},
		{name: "command line wins", env: map[string]string{"PDP_REQUIRE_AUTH_DECISIONS": "yes"}, args: []string{"--require-auth-decisions=false"},
			want: map[string]string{"require-auth-decisions": "false"}},
		{name: "environment wins over config file", config: "tracing: true\n", env: map[string]string{"PDP_TRACING": "false"},
			args: []string{"--config", "$CONFIG"}, want: map[string]string{"tracing": "false"}},
		{name: "new flag", env: map[string]string{"PDP_INSECURE_PLAINTEXT": "maybe"},
			wantErr: []string{`PDP_INSECURE_PLAINTEXT="maybe": want true or false`}},
		{name: "client", cmd: "policy", env: map[string]string{"PDP_TLS": "yes"}, wantErr: []string{`PDP_TLS="yes": want true or false`}},
	})
}

func TestEnvOptionalBool(t *testing.T) {
	t.Parallel()
	runEnvCases(t, []envCase{
		{name: "unset", want: map[string]string{"require-auth": "auto"}},
		{name: "false", env: map[string]string{"PDP_REQUIRE_AUTH": "false"}, want: map[string]string{"require-auth": "false"}},
		{name: "refused", env: map[string]string{"PDP_REQUIRE_AUTH": "yes"}, wantErr: []string{`PDP_REQUIRE_AUTH="yes": want true or false`}},
		{name: "command line wins", env: map[string]string{"PDP_REQUIRE_AUTH": "yes"}, args: []string{"--require-auth"},
			want: map[string]string{"require-auth": "true"}},
		{name: "environment wins over config file", config: "require-auth: false\n", env: map[string]string{"PDP_REQUIRE_AUTH": "true"},
			args: []string{"--config", "$CONFIG"}, want: map[string]string{"require-auth": "true"}},
	})
}

func TestEnvInt(t *testing.T) {
	t.Parallel()
	runEnvCases(t, []envCase{
		{name: "sets", env: map[string]string{"PDP_MAX_BATCH": "7", "PDP_ADMIN_WRITE_BURST": "0x10"},
			want: map[string]string{"max-batch": "7", "admin-write-burst": "16"}},
		{name: "letter O for zero", env: map[string]string{"PDP_MAX_BATCH": "1O"}, wantErr: []string{`PDP_MAX_BATCH="1O": want an integer`}},
		{name: "spaces", env: map[string]string{"PDP_DECISION_LOG_BACKUPS": " 5"}, wantErr: []string{`PDP_DECISION_LOG_BACKUPS=" 5": want an integer`}},
		{name: "out of range", env: map[string]string{"PDP_MAX_MESSAGE_BYTES": "99999999999999999999"},
			wantErr: []string{`PDP_MAX_MESSAGE_BYTES="99999999999999999999": want an integer: out of range`}},
		{name: "command line wins", env: map[string]string{"PDP_MAX_BATCH": "1O"}, args: []string{"--max-batch", "9"},
			want: map[string]string{"max-batch": "9"}},
		{name: "environment wins over config file", config: "max-batch: 3\nadmin-write-burst: 4\n", env: map[string]string{"PDP_MAX_BATCH": "2"},
			args: []string{"--config", "$CONFIG"}, want: map[string]string{"max-batch": "2", "admin-write-burst": "4"}},
	})
}

func TestEnvInt64(t *testing.T) {
	t.Parallel()
	runEnvCases(t, []envCase{
		{name: "sets", env: map[string]string{"PDP_KEEP_REVISIONS": "5000", "PDP_DECISION_LOG_MAX_BYTES": "0"},
			want: map[string]string{"keep-revisions": "5000", "decision-log-max-bytes": "0"}},
		{name: "exponent", env: map[string]string{"PDP_DECISION_LOG_MAX_BYTES": "1e6"},
			wantErr: []string{`PDP_DECISION_LOG_MAX_BYTES="1e6": want an integer`}},
		{name: "fraction", env: map[string]string{"PDP_KEEP_REVISIONS": "1.5"}, wantErr: []string{`PDP_KEEP_REVISIONS="1.5": want an integer`}},
		{name: "command line wins", env: map[string]string{"PDP_KEEP_REVISIONS": "many"}, args: []string{"--keep-revisions", "10"},
			want: map[string]string{"keep-revisions": "10"}},
	})
}

func TestEnvFloat(t *testing.T) {
	t.Parallel()
	runEnvCases(t, []envCase{
		{name: "sets", env: map[string]string{"PDP_ADMIN_WRITE_RATE": "2.5"}, want: map[string]string{"admin-write-rate": "2.5"}},
		{name: "exponent", env: map[string]string{"PDP_ADMIN_WRITE_RATE": "1e1"}, want: map[string]string{"admin-write-rate": "10"}},
		{name: "refused", env: map[string]string{"PDP_ADMIN_WRITE_RATE": "fast"}, wantErr: []string{`PDP_ADMIN_WRITE_RATE="fast": want a number`}},
		{name: "environment wins over config file", config: "admin-write-rate: 1\n", env: map[string]string{"PDP_ADMIN_WRITE_RATE": "3"},
			args: []string{"--config", "$CONFIG"}, want: map[string]string{"admin-write-rate": "3"}},
	})
}

func TestEnvDuration(t *testing.T) {
	t.Parallel()
	runEnvCases(t, []envCase{
		{name: "sets", env: map[string]string{"PDP_GRACE_PERIOD": "1m30s", "PDP_DRAIN_DELAY": "0s"},
			want: map[string]string{"grace-period": "1m30s", "drain-delay": "0s"}},
		{name: "no unit", env: map[string]string{"PDP_WATCH_PROGRESS": "30"},
			wantErr: []string{`PDP_WATCH_PROGRESS="30": want a duration such as "500ms", "30s" or "5m"`}},
		{name: "command line wins", env: map[string]string{"PDP_GRACE_PERIOD": "soon"}, args: []string{"--grace-period", "2s"},
			want: map[string]string{"grace-period": "2s"}},
		{name: "environment wins over config file", config: "grace-period: 5s\n", env: map[string]string{"PDP_GRACE_PERIOD": "7s"},
			args: []string{"--config", "$CONFIG"}, want: map[string]string{"grace-period": "7s"}},
	})
}

func TestEnvLogLevelAndFormat(t *testing.T) {
	t.Parallel()
	runEnvCases(t, []envCase{
		{name: "sets", env: map[string]string{"PDP_LOG_LEVEL": "warn", "PDP_LOG_FORMAT": "json"},
			want: map[string]string{"log-level": "WARN", "log-format": "json"}},
		{name: "level offset", env: map[string]string{"PDP_LOG_LEVEL": "debug+2"}, want: map[string]string{"log-level": "DEBUG+2"}},
		{name: "unknown level", env: map[string]string{"PDP_LOG_LEVEL": "loud"},
			wantErr: []string{`PDP_LOG_LEVEL="loud": want debug, info, warn or error, optionally with an offset such as warn+2`}},
		{name: "unknown format", env: map[string]string{"PDP_LOG_FORMAT": "xml"}, wantErr: []string{`PDP_LOG_FORMAT="xml": want one of text, json`}},
		{name: "command line wins", env: map[string]string{"PDP_LOG_FORMAT": "xml"}, args: []string{"--log-format", "text"},
			want: map[string]string{"log-format": "text"}},
		{name: "environment wins over config file", config: "log-level: error\n", env: map[string]string{"PDP_LOG_LEVEL": "debug"},
			args: []string{"--config", "$CONFIG"}, want: map[string]string{"log-level": "DEBUG"}},
	})
}

// TestHelpNamesVariables checks that every flag read from the environment
// names its variable in the help, new flags included.
func TestHelpNamesVariables(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ cmd, want string }{
		{"serve", "(PDP_INSECURE_PLAINTEXT)"},
		{"serve", "(PDP_MAX_BATCH)"},
		{"check", "(PDP_TLS_CLIENT_CERT)"},
		{"policy", "(PDP_AUTHOR)"},
	} {
		code, stdout, _ := runPDP(t, nil, "help", tc.cmd)
		assert.Equal(t, exitOK, code)
		assert.Contains(t, stdout, tc.want, "pdp help %s", tc.cmd)
	}
	cmd, _ := lookup("serve")
	fs := newFlagSet(cmd, io.Discard)
	cmd.setup(fs)
	fs.Int("added-later", 1, "a flag another file adds")
	envHelp(fs, cmd.env)
	assert.Equal(t, "a flag another file adds (PDP_ADDED_LATER)", fs.Lookup("added-later").Usage)
}
