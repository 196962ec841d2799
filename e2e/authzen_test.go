package e2e

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/authzen/authzentest"
)

var authzenAddr = regexp.MustCompile(`msg="serving AuthZEN" addr=(\S+)`)

// TestAuthZENConformance runs the AuthZEN conformance table against a real
// pdp serve over loopback: HTTPS with the dev certificates, decisions
// authenticated by bearer token. It stops cleanly on SIGTERM.
func TestAuthZENConformance(t *testing.T) {
	certs := t.TempDir()
	out, err := exec.Command(pdpBinary(t), "dev-certs", certs).CombinedOutput()
	require.NoError(t, err, "%s", out)
	ca := filepath.Join(certs, "ca.pem")
	const token = "authzen-e2e-token"
	tokenFile := writeConfigFile(t, t.TempDir(), "tokens.txt", tokenLines(map[string]string{
		token: "arn:aws:iam::111122223333:user/alice", "bob-token": "arn:aws:iam::111122223333:user/bob"}))
	// The search APIs reveal the model: they are authorized as the access
	// questions of pdp.v1.AccessService are, by the admin policies.
	policies := writeConfigFile(t, t.TempDir(), "admin.json", `{"principals": {"arn:aws:iam::111122223333:user/alice": `+
		`[{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["pdp:WhoCan", "pdp:WhatCan", "pdp:WhichResources"], "Resource": "*"}]}]}}`)
	p := startProc(t, nil, "--policies", "examples/model", "--admin-policies", policies,
		"--tls-cert", filepath.Join(certs, "server.pem"), "--tls-key", filepath.Join(certs, "server-key.pem"),
		"--auth-tokens", tokenFile, "--require-auth-decisions", "--http-listen", "127.0.0.1:0")
	m := authzenAddr.FindStringSubmatch(p.log(t))
	require.NotNil(t, m, "no AuthZEN address in the log:\n%s", p.log(t))
	base := "https://" + m[1]

	for _, proto := range []struct {
		name string
		h2   bool
	}{{"http1.1", false}, {"h2", true}} {
		t.Run(proto.name, func(t *testing.T) {
			tr := &http.Transport{TLSClientConfig: devTLS(t, ca, nil), ForceAttemptHTTP2: proto.h2}
			t.Cleanup(tr.CloseIdleConnections)
			target := authzentest.Target{BaseURL: base, Client: &http.Client{Transport: tr, Timeout: 30 * time.Second}, Token: token}
			authzentest.Run(t, target, authzentest.MetadataCases(base, true))
			authzentest.Run(t, target, authzentest.Cases())
			authzentest.Run(t, target, authzentest.SearchCases())
			authzentest.SearchPages(t, target)

			bob := target
			bob.Token = "bob-token"
			status, _, body := authzentest.Do(t, bob, authzentest.SearchCases()[0])
			assert.Equal(t, http.StatusForbidden, status, "search without pdp:WhoCan: %s", body)
			status, _, body = authzentest.Do(t, bob, authzentest.Cases()[0])
			assert.Equal(t, http.StatusOK, status, "any known caller may ask for decisions: %s", body)
			resp, err := target.Client.Get(base + "/.well-known/authzen-configuration")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, map[bool]int{false: 1, true: 2}[proto.h2], resp.ProtoMajor, "ALPN chose %s", resp.Proto)
		})
	}

	p.signal(t, syscall.SIGTERM)
	require.True(t, p.waitExit(20*time.Second), "pdp serve did not exit after SIGTERM")
	assert.True(t, p.state.Success(), "pdp serve exited %v:\n%s", p.state, p.log(t))
}
