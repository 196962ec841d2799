package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startTLSServe writes certificates with pdp dev-certs into a new
// directory, runs pdp serve over TLS with them on a loopback port (mutual
// TLS if mutual), and waits for its "serving" line. f names a file of the
// directory.
func startTLSServe(t *testing.T, mutual bool) (addr string, f func(name string) string, logs *syncBuffer) {
	t.Helper()
	certs := t.TempDir()
	if code, _, stderr := runPDP(t, nil, "dev-certs", certs); code != exitOK {
		t.Fatalf("dev-certs: exit %d, stderr %q", code, stderr)
	}
	f = func(name string) string { return filepath.Join(certs, name) }
	ctx, cancel := context.WithCancel(t.Context())
	logs = &syncBuffer{}
	args := []string{"serve", "--listen", "127.0.0.1:0", "--policies", modelDir, "--drain-delay", "0",
		"--tls-cert", f("server.pem"), "--tls-key", f("server-key.pem")}
	if mutual {
		args = append(args, "--tls-client-ca", f("ca.pem"), "--tls-require-client-cert")
	}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, args, strings.NewReader(""), &bytes.Buffer{}, logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exit %d; log:\n%s", code, logs)
			}
		case <-time.After(time.Minute):
			t.Errorf("serve did not stop")
		}
	})
	waitCtx, stopWaiting := context.WithTimeout(t.Context(), 30*time.Second)
	defer stopWaiting()
	m := logs.Wait(waitCtx, servingLine)
	if m == nil {
		t.Fatalf("no serving line; log:\n%s", logs)
	}
	return m[1], f, logs
}

func TestServeTLS(t *testing.T) {
	t.Parallel()
	addr, f, logs := startTLSServe(t, true)
	if !strings.Contains(logs.String(), "tls=mutual") {
		t.Errorf("serving line does not say tls=mutual:\n%s", logs)
	}
	check := []string{"check", "--addr", addr, "--principal", alice, "--action", "mobiletargeting:GetSegment", "--resource", segment, "--context", inRegion}
	withTLS := append(check[:len(check):len(check)], "--tls-ca", f("ca.pem"), "--tls-cert", f("client.pem"), "--tls-key", f("client-key.pem"))
	code, stdout, stderr := runPDP(t, nil, withTLS...)
	if code != 0 || !strings.HasPrefix(stdout, "Allow") {
		t.Fatalf("check over mTLS: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"plaintext", check},
		{"no client certificate", append(check[:len(check):len(check)], "--tls-ca", f("ca.pem"))},
		{"system roots", append(check[:len(check):len(check)], "--tls")},
	} {
		code, _, stderr := runPDP(t, nil, tc.args...)
		t.Logf("%s: exit %d: %s", tc.name, code, stderr)
		if code != exitFailure || !strings.Contains(stderr, "Unavailable") {
			t.Errorf("%s: exit %d, stderr %q; want 1, Unavailable", tc.name, code, stderr)
		}
	}
	// Rotate everything, CA included; the server picks it up without a restart.
	if code, _, stderr := runPDP(t, nil, "dev-certs", "--force", filepath.Dir(f("ca.pem"))); code != exitOK {
		t.Fatalf("dev-certs --force: exit %d, stderr %q", code, stderr)
	}
	// The server picks the files up at its next reload check, maybe in
	// more than one step while they are being written.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var stderr bytes.Buffer
		code := run(t.Context(), withTLS, strings.NewReader(""), &bytes.Buffer{}, &stderr)
		assert.Equal(c, exitOK, code, "check with the new certificates: %s", stderr.String())
	}, 30*time.Second, 100*time.Millisecond, "log:\n%s", logs)
	t.Logf("log:\n%s", logs)
}
