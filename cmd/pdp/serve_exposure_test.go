package main

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// TestServeExposure checks what each combination of listener, TLS and
// credentials opens, and what pdp serve warns about at start.
func TestServeExposure(t *testing.T) {
	t.Parallel()
	on, off := optionalBool{value: true, set: true}, optionalBool{value: false, set: true}
	tests := []struct {
		name            string
		o               serveOptions
		wantErr         []string
		wantRequireAuth bool
		wantWarnings    []string // substrings, one per warning, in order
	}{
		{name: "loopback without credentials", o: serveOptions{listen: "127.0.0.1:8181"},
			wantWarnings: []string{"admin API open to every caller: no credentials configured and the listener is loopback"}},
		{name: "loopback with tokens", o: serveOptions{listen: "127.0.0.1:8181", authTokens: "t"}, wantRequireAuth: true},
		{name: "localhost with admin policies", o: serveOptions{listen: "localhost:8181", adminPolicies: "p"}, wantRequireAuth: true},
		{name: "loopback with identities", o: serveOptions{listen: "[::1]:8181", authIdentities: "i"}, wantRequireAuth: true},
		{name: "loopback without credentials, auth required", o: serveOptions{listen: "127.0.0.1:8181", requireAuth: on}, wantRequireAuth: true},
		{name: "credentials, auth turned off", o: serveOptions{listen: "127.0.0.1:8181", authTokens: "t", adminPolicies: "p", requireAuth: off},
			wantWarnings: []string{"admin API open to every caller: -require-auth=false"}},
		{name: "all interfaces without TLS", o: serveOptions{listen: ":8181"},
			wantErr: []string{`-listen ":8181" is not a loopback address`, "-tls-cert and -tls-key", "-insecure-plaintext"}},
		{name: "remote host without TLS", o: serveOptions{listen: "10.0.0.5:8181", authTokens: "t"},
			wantErr: []string{`-listen "10.0.0.5:8181"`, "-insecure-plaintext"}},
		{name: "remote host, insecure plaintext", o: serveOptions{listen: "0.0.0.0:8181", insecurePlaintext: true}, wantRequireAuth: true,
			wantWarnings: []string{"serving plaintext on 0.0.0.0:8181", "decision calls are not authenticated on 0.0.0.0:8181"}},
		{name: "remote host, insecure plaintext, auth off", o: serveOptions{listen: "0.0.0.0:8181", insecurePlaintext: true, requireAuth: off},
			wantWarnings: []string{"serving plaintext", "admin API open to every caller: -require-auth=false", "decision calls are not authenticated"}},
		{name: "remote host with TLS", o: serveOptions{listen: "0.0.0.0:8181", tlsCert: "c", tlsKey: "k"}, wantRequireAuth: true,
			wantWarnings: []string{"decision calls are not authenticated"}},
		{name: "remote host with TLS and decision auth", o: serveOptions{listen: "0.0.0.0:8181", tlsCert: "c", tlsKey: "k", requireAuthDecisions: true},
			wantRequireAuth: true},
		{name: "metrics on every interface", o: serveOptions{listen: "127.0.0.1:8181", authTokens: "t", metricsListen: ":9090"}, wantRequireAuth: true,
			wantWarnings: []string{"metrics are served without authentication on :9090"}},
		{name: "metrics and profiles on a remote address", o: serveOptions{listen: "127.0.0.1:8181", authTokens: "t", metricsListen: "10.0.0.5:9090", pprof: true},
			wantRequireAuth: true, wantWarnings: []string{"metrics and runtime profiles are served without authentication on 10.0.0.5:9090"}},
		{name: "metrics on loopback", o: serveOptions{listen: "127.0.0.1:8181", authTokens: "t", metricsListen: "127.0.0.1:9090", pprof: true},
			wantRequireAuth: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ex, err := tc.o.exposure()
			if len(tc.wantErr) > 0 {
				require.Error(t, err)
				for _, w := range tc.wantErr {
					assert.Contains(t, err.Error(), w)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantRequireAuth, ex.requireAuth, "requireAuth")
			require.Len(t, ex.warnings, len(tc.wantWarnings), "warnings: %q", ex.warnings)
			for i, w := range tc.wantWarnings {
				assert.Contains(t, ex.warnings[i], w)
			}
		})
	}
}

// TestServeRefusesPlaintextBeyondLoopback runs pdp serve on addresses that
// are not loopback without TLS: it exits 2 before listening, and says how
// to fix it.
func TestServeRefusesPlaintextBeyondLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		environ map[string]string
	}{
		{name: "flag", args: []string{"--listen", "0.0.0.0:0"}},
		{name: "empty host", args: []string{"--listen", ":0"}},
		{name: "environment", environ: map[string]string{"PDP_LISTEN": "0.0.0.0:0"}},
		{name: "insecure plaintext refused from the environment", args: []string{"--listen", "0.0.0.0:0"},
			environ: map[string]string{"PDP_INSECURE_PLAINTEXT": "false"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr strings.Builder
			args := append([]string{"serve", "--store", "memory"}, tc.args...)
			code := runEnv(t.Context(), newEnv(strings.NewReader(""), &stdout, &stderr, mapEnv(tc.environ)), args)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, stderr.String(), "is not a loopback address and would serve plaintext")
			assert.Contains(t, stderr.String(), "-tls-cert and -tls-key, or pass -insecure-plaintext")
			assert.NotContains(t, stderr.String(), "serving")
		})
	}
}

var openAdminWarning = regexp.MustCompile(`level=WARN msg="admin API open to every caller: ([^"]*)"`)

// TestServeAdminAuthDefaults runs pdp serve on loopback: configured
// credentials are checked without -require-auth, and an open admin API is
// warned about once, with the reason.
func TestServeAdminAuthDefaults(t *testing.T) {
	t.Parallel()
	tokens := map[string]string{
		"reader-token": "arn:aws:iam::111122223333:user/reader",
		"admin-token":  "arn:aws:iam::111122223333:role/pdp-admin",
	}
	var lines []string
	for tok, arn := range tokens {
		sum := sha256.Sum256([]byte(tok))
		lines = append(lines, "sha256:"+hex.EncodeToString(sum[:])+" "+arn)
	}
	tokenFile := writeFile(t, "tokens.txt", strings.Join(lines, "\n")+"\n")
	adminPolicies := writeFile(t, "admin.json", `{"principals": {
  "arn:aws:iam::111122223333:user/reader": [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "pdp:Get*", "Resource": "*"}]}],
  "arn:aws:iam::111122223333:role/pdp-admin": [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "pdp:*", "Resource": "*"}]}]}}`)
	putCarol := &pdpv1.ApplyChangesRequest{DryRun: true, Changes: []*pdpv1.Change{{Op: pdpv1.ChangeOp_CHANGE_OP_PUT,
		Key: &pdpv1.EntityKey{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: carol}, Document: `{"arn": "` + carol + `"}`}}}

	tests := []struct {
		name         string
		args         []string
		wantOpen     string                // the reason of the one open-admin warning; "" for none
		wantByToken  map[string]codes.Code // bearer token ("" for none) → code of a dry-run ApplyChanges
		wantRequired string
	}{
		{name: "credentials turn authentication on", args: []string{"--auth-tokens", tokenFile, "--admin-policies", adminPolicies},
			wantRequired: "admin_requires_auth=true",
			wantByToken:  map[string]codes.Code{"": codes.Unauthenticated, "reader-token": codes.PermissionDenied, "admin-token": codes.OK}},
		{name: "admin policies alone turn it on", args: []string{"--admin-policies", adminPolicies},
			wantRequired: "admin_requires_auth=true", wantByToken: map[string]codes.Code{"": codes.Unauthenticated}},
		{name: "no credentials", wantOpen: "no credentials configured and the listener is loopback",
			wantRequired: "admin_requires_auth=false", wantByToken: map[string]codes.Code{"": codes.OK}},
		{name: "turned off", args: []string{"--auth-tokens", tokenFile, "--admin-policies", adminPolicies, "--require-auth=false"},
			wantOpen: "-require-auth=false", wantRequired: "admin_requires_auth=false",
			wantByToken: map[string]codes.Code{"": codes.OK, "reader-token": codes.OK}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, append([]string{"--policies", modelDir}, tc.args...)...)
			log := s.log.String()
			assert.Contains(t, log, tc.wantRequired)
			open := openAdminWarning.FindAllStringSubmatch(log, -1)
			if tc.wantOpen == "" {
				assert.Empty(t, open, "log:\n%s", log)
			} else if assert.Len(t, open, 1, "log:\n%s", log) {
				assert.Equal(t, tc.wantOpen, open[0][1])
			}
			admin := pdpv1.NewPolicyServiceClient(dialTest(t, s.addr))
			for token, want := range tc.wantByToken {
				ctx := t.Context()
				if token != "" {
					ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
				}
				_, err := admin.ApplyChanges(ctx, putCarol)
				assert.Equal(t, want, status.Code(err), "token %q: %v", token, err)
			}
		})
	}
}
