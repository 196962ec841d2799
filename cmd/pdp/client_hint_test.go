package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestClientTransportHints calls servers with the wrong transport: the
// error says what is likely wrong and which flag fixes it.
func TestClientTransportHints(t *testing.T) {
	t.Parallel()
	tlsAddr, f, _ := startTLSServe(t, false)
	plainAddr := startServe(t, "--policies", modelDir).addr
	checkArgs := func(addr string, more ...string) []string {
		return append([]string{"check", "--addr", addr, "--principal", alice, "--action", "mobiletargeting:GetSegment",
			"--resource", segment, "--context", inRegion}, more...)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "check in plaintext to TLS", args: checkArgs(tlsAddr),
			want: "the server at " + tlsAddr + " may be serving TLS: pass --tls-ca FILE"},
		{name: "policy in plaintext to TLS", args: []string{"policy", "--addr", tlsAddr, "list", "user"},
			want: "the server at " + tlsAddr + " may be serving TLS: pass --tls-ca FILE"},
		{name: "policy watch in plaintext to TLS", args: []string{"policy", "--addr", tlsAddr, "watch"},
			want: "the server at " + tlsAddr + " may be serving TLS: pass --tls-ca FILE"},
		{name: "TLS to plaintext", args: checkArgs(plainAddr, "--tls-ca", f("ca.pem")),
			want: "the server at " + plainAddr + " serves plaintext, not TLS: leave out the --tls flags"},
		{name: "system roots", args: checkArgs(tlsAddr, "--tls"),
			want: "not signed by a CA of the system's roots: pass --tls-ca FILE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runPDP(t, nil, tc.args...)
			assert.Equal(t, exitFailure, code, "stderr: %s", stderr)
			assert.Contains(t, stderr, "Unavailable")
			assert.Contains(t, stderr, tc.want)
		})
	}
	code, stdout, stderr := runPDP(t, nil, checkArgs(tlsAddr, "--tls-ca", f("ca.pem"))...)
	assert.Equal(t, exitOK, code, "with --tls-ca: stderr %s", stderr)
	assert.Contains(t, stdout, "Allow")
}
