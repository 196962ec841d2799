package main

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/tlsconf"
)

// runDevCerts runs "pdp dev-certs" with args as run does, without going
// through the dispatch table.
func runDevCerts(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, log: slog.New(slog.NewTextHandler(&errOut, nil))}
	cmd := devCertsCommand()
	fs := newFlagSet(cmd, &errOut)
	exec := cmd.setup(fs)
	if err := fs.Parse(args); err != nil {
		return exitUsage, out.String(), errOut.String()
	}
	return exec(t.Context(), e, fs.Args()), out.String(), errOut.String()
}

var devCertFiles = []string{
	tlsconf.DevCAFile, tlsconf.DevCAKeyFile,
	tlsconf.DevServerCertFile, tlsconf.DevServerKeyFile,
	tlsconf.DevClientCertFile, tlsconf.DevClientKeyFile,
}

// readDevCerts returns the contents of the six files in dir.
func readDevCerts(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := make(map[string][]byte)
	for _, name := range devCertFiles {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		m[name] = data
	}
	return m
}

func parseCert(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("no PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestDevCerts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		args         []string
		wantIdentity string
		wantDays     int
	}{
		{name: "defaults", wantIdentity: "urn:pdp:client:pdp-admin", wantDays: 30},
		{name: "client name and days", args: []string{"--client-name", "ci-bot", "--days", "2"},
			wantIdentity: "urn:pdp:client:ci-bot", wantDays: 2},
		{name: "client named by an ARN", args: []string{"-client-name", "arn:aws:iam::111122223333:user/admin"},
			wantIdentity: "arn:aws:iam::111122223333:user/admin", wantDays: 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "certs")
			code, stdout, stderr := runDevCerts(t, append(tc.args, dir)...)
			require.Equal(t, exitOK, code, "exit status; stderr %q", stderr)
			require.Empty(t, stderr)
			for _, want := range []string{"client identity: " + tc.wantIdentity, "-tls-client-ca " + filepath.Join(dir, "ca.pem")} {
				assert.Contains(t, stdout, want)
			}
			files := readDevCerts(t, dir)
			client := parseCert(t, files[tlsconf.DevClientCertFile])
			uris := make([]string, len(client.URIs))
			for i, u := range client.URIs {
				uris[i] = u.String()
			}
			assert.Equal(t, []string{tc.wantIdentity}, uris, "client URI SANs")
			wantEnd := time.Now().AddDate(0, 0, tc.wantDays)
			assert.WithinDuration(t, wantEnd, client.NotAfter, time.Minute, "client certificate valid until")
			if runtime.GOOS == "windows" {
				return
			}
			for _, name := range devCertFiles {
				fi, err := os.Stat(filepath.Join(dir, name))
				require.NoError(t, err)
				want := fs.FileMode(0o644)
				if strings.HasSuffix(name, "-key.pem") {
					want = 0o600
				}
				assert.Equal(t, want, fi.Mode(), "mode of %s", name)
			}
		})
	}
}

func TestDevCertsOverwrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, _, stderr := runDevCerts(t, dir); code != exitOK {
		t.Fatalf("first run: exit %d, stderr %q", code, stderr)
	}
	first := readDevCerts(t, dir)

	code, stdout, stderr := runDevCerts(t, dir)
	if code != exitFailure || stdout != "" {
		t.Errorf("second run: exit %d, stdout %q; want 1 and nothing", code, stdout)
	}
	for _, want := range []string{filepath.Join(dir, "ca-key.pem"), "already exists", "Use --force"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not contain %q", stderr, want)
		}
	}
	for name, data := range readDevCerts(t, dir) {
		if !bytes.Equal(data, first[name]) {
			t.Errorf("%s changed although dev-certs refused", name)
		}
	}

	if code, _, stderr := runDevCerts(t, "--force", dir); code != exitOK {
		t.Fatalf("run with --force: exit %d, stderr %q", code, stderr)
	}
	for name, data := range readDevCerts(t, dir) {
		if bytes.Equal(data, first[name]) {
			t.Errorf("%s was not replaced with --force", name)
		}
	}
}

func TestDevCertsUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t.Cleanup(func() { // after the parallel subtests
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("a usage error wrote %d files", len(entries))
		}
	})
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{name: "no directory", wantStderr: "want one directory, got 0 arguments"},
		{name: "two directories", args: []string{dir, dir}, wantStderr: "want one directory, got 2 arguments"},
		{name: "zero days", args: []string{"--days", "0", dir}, wantStderr: "-days must be positive"},
		{name: "empty client name", args: []string{"--client-name", "", dir}, wantStderr: "-client-name must not be empty"},
		{name: "unknown flag", args: []string{"--rsa", dir}, wantStderr: "flag provided but not defined: -rsa"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runDevCerts(t, tc.args...)
			assert.Equal(t, exitUsage, code, "exit status")
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.wantStderr)
		})
	}
}
