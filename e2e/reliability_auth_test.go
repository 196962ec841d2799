package e2e

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

const (
	adminARN  = "arn:aws:iam::111122223333:role/pdp-admin"
	readerARN = "arn:aws:iam::111122223333:user/reader"
	// mappedIdentity is the client certificate identity that the identity
	// file maps to the admin; the dev client certificate's is not mapped.
	mappedIdentity = "urn:pdp:client:mapped"
)

// adminPoliciesJSON lets the admin do everything and the reader get
// entities but not apply changes.
const adminPoliciesJSON = `{"principals": {
  "arn:aws:iam::111122223333:role/pdp-admin": [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "pdp:*", "Resource": "*"}]}],
  "arn:aws:iam::111122223333:user/reader": [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "pdp:Get*", "Resource": "*"},
    {"Effect": "Deny", "Action": "pdp:ApplyChanges", "Resource": "*"}]}]}}`

// writeConfigFile writes text to name in dir and returns its path.
func writeConfigFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

// tokenLines is a token file's text for tokens and the principals they stand for.
func tokenLines(tokens map[string]string) string {
	var b strings.Builder
	for tok, arn := range tokens {
		sum := sha256.Sum256([]byte(tok))
		b.WriteString("sha256:" + hex.EncodeToString(sum[:]) + " " + arn + "\n")
	}
	return b.String()
}

// withAuthorization adds an authorization metadata value (a bearer token or any other) to ctx.
func withAuthorization(ctx context.Context, value string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", value)
}

// devCA reads the CA that `pdp dev-certs` wrote into dir.
func devCA(t *testing.T, dir string) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	certPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	require.NoError(t, err)
	keyPEM, err := os.ReadFile(filepath.Join(dir, "ca-key.pem"))
	require.NoError(t, err)
	cb, _ := pem.Decode(certPEM)
	require.NotNil(t, cb, "ca.pem holds no PEM block")
	cert, err := x509.ParseCertificate(cb.Bytes)
	require.NoError(t, err)
	kb, _ := pem.Decode(keyPEM)
	require.NotNil(t, kb, "ca-key.pem holds no PEM block")
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	require.NoError(t, err)
	signer, ok := key.(crypto.Signer)
	require.True(t, ok, "the CA key is not a signer")
	return cert, signer
}

// rogueCA makes a self-signed CA that the server has never heard of.
func rogueCA(t *testing.T) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "rogue CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert, key
}

// clientCert issues a client certificate for identity (a URI SAN), valid
// from notBefore to notAfter, signed by ca.
func clientCert(t *testing.T, identity string, notBefore, notAfter time.Time, ca *x509.Certificate, caKey crypto.Signer) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	uri, err := url.Parse(identity)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: identity},
		URIs: []*url.URL{uri}, NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// presenting is a client TLS configuration that sends cert whatever CAs the
// server asks for, as a forger would.
func presenting(t *testing.T, caFile string, cert tls.Certificate) *tls.Config {
	t.Helper()
	conf := devTLS(t, caFile, nil)
	conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	return conf
}

// TestReliabilityAuthTLS attacks the admin API of a TLS server with tokens,
// mTLS identities and admin policies: every unknown or forged caller is refused.
func TestReliabilityAuthTLS(t *testing.T) {
	t.Parallel()
	certs := t.TempDir()
	out, err := exec.Command(pdpBinary(t), "dev-certs", certs).CombinedOutput()
	require.NoError(t, err, "%s", out)
	ca := filepath.Join(certs, "ca.pem")
	dir := t.TempDir()
	tokens := map[string]string{"admin-token": adminARN, "doomed-token": readerARN}
	tokenFile := writeConfigFile(t, dir, "tokens.txt", tokenLines(tokens))
	identities := writeConfigFile(t, dir, "identities.txt", mappedIdentity+" "+adminARN+"\n")
	policies := writeConfigFile(t, dir, "admin.json", adminPoliciesJSON)
	p := startProc(t, nil, "--policies", "examples/model",
		"--tls-cert", filepath.Join(certs, "server.pem"), "--tls-key", filepath.Join(certs, "server-key.pem"),
		"--tls-client-ca", ca, "--auth-tokens", tokenFile, "--auth-mtls-identities", identities,
		"--admin-policies", policies, "--require-auth=true")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	getAlice := func(c *client, ctx context.Context) error {
		_, err := c.admin.GetEntity(ctx, &pdpv1.GetEntityRequest{Key: &pdpv1.EntityKey{
			Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: "arn:aws:iam::111122223333:user/alice"}})
		return err
	}
	tokenClient := clientOf(dialConn(t, p.addr, devTLS(t, ca, nil)))
	caCert, caKey := devCA(t, certs)
	rogue, rogueKey := rogueCA(t)
	now := time.Now()
	devClient, err := tls.LoadX509KeyPair(filepath.Join(certs, "client.pem"), filepath.Join(certs, "client-key.pem"))
	require.NoError(t, err)
	withCert := func(cert tls.Certificate) *client {
		return clientOf(dialConn(t, p.addr, presenting(t, ca, cert)))
	}

	t.Run("callers", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			doc  string
			c    *client
			auth string
			want codes.Code
		}{
			{name: "admin token", doc: "a known token with an allowing policy is served",
				c: tokenClient, auth: "Bearer admin-token", want: codes.OK},
			{name: "mapped certificate", doc: "a dev-CA certificate whose identity is mapped is served",
				c: withCert(clientCert(t, mappedIdentity, now.Add(-time.Hour), now.Add(time.Hour), caCert, caKey)), want: codes.OK},
			{name: "no credentials", doc: "an admin call with no credentials is UNAUTHENTICATED",
				c: tokenClient, want: codes.Unauthenticated},
			{name: "basic scheme", doc: "an Authorization value of another scheme is UNAUTHENTICATED",
				c: tokenClient, auth: "Basic YWRtaW46YWRtaW4=", want: codes.Unauthenticated},
			{name: "unmapped certificate", doc: "a valid client certificate whose identity is not mapped is UNAUTHENTICATED (caller not known)",
				c: withCert(devClient), want: codes.Unauthenticated},
			{name: "expired certificate", doc: "an expired certificate signed by the trusted CA fails the handshake",
				c: withCert(clientCert(t, mappedIdentity, now.Add(-48*time.Hour), now.Add(-24*time.Hour), caCert, caKey)), want: codes.Unavailable},
			{name: "rogue CA", doc: "a certificate from an unknown CA fails the handshake",
				c: withCert(clientCert(t, mappedIdentity, now.Add(-time.Hour), now.Add(time.Hour), rogue, rogueKey)), want: codes.Unavailable},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				callCtx := ctx
				if tc.auth != "" {
					callCtx = withAuthorization(ctx, tc.auth)
				}
				err := getAlice(tc.c, callCtx)
				assertCode(t, tc.want, err, "%s", tc.doc)
			})
		}
	})

	// Removing a token from the file and sending SIGHUP revokes it; the others keep working.
	t.Run("SIGHUP revokes a removed token", func(t *testing.T) {
		doomed := withAuthorization(ctx, "Bearer doomed-token")
		require.NoError(t, getAlice(tokenClient, doomed))
		next := writeConfigFile(t, dir, "tokens.next", tokenLines(map[string]string{"admin-token": adminARN}))
		require.NoError(t, os.Rename(next, tokenFile))
		p.signal(t, syscall.SIGHUP)
		poll(t, time.Now().Add(20*time.Second), "the removed token to be refused", func() bool {
			return status.Code(getAlice(tokenClient, doomed)) == codes.Unauthenticated
		})
		assert.NoError(t, getAlice(tokenClient, withAuthorization(ctx, "Bearer admin-token")))
		assert.True(t, p.alive(), "pdp serve exited after SIGHUP:\n%s", p.log(t))
	})
}

// TestReliabilityAuthLoopback: with tokens and admin policies on a loopback
// listener and no --require-auth, an anonymous write is UNAUTHENTICATED and a denied one PERMISSION_DENIED.
func TestReliabilityAuthLoopback(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tokenFile := writeConfigFile(t, dir, "tokens.txt", tokenLines(map[string]string{"reader-token": readerARN}))
	policies := writeConfigFile(t, dir, "admin.json", adminPoliciesJSON)
	p := startProc(t, nil, "--policies", "examples/model", "--auth-tokens", tokenFile, "--admin-policies", policies)
	c := clientOf(dialConn(t, p.addr, nil))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	putCarolDry := &pdpv1.ApplyChangesRequest{DryRun: true, Changes: []*pdpv1.Change{{Op: pdpv1.ChangeOp_CHANGE_OP_PUT,
		Key: &pdpv1.EntityKey{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: carol}, Document: `{"arn": "` + carol + `"}`}}}
	reader := withAuthorization(ctx, "Bearer reader-token")

	_, err := c.admin.GetEntity(reader, &pdpv1.GetEntityRequest{Key: &pdpv1.EntityKey{
		Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: "arn:aws:iam::111122223333:user/alice"}})
	require.NoError(t, err, "the reader's token must be accepted for reads")
	_, err = c.admin.ApplyChanges(ctx, putCarolDry)
	assertCode(t, codes.Unauthenticated, err, "anonymous ApplyChanges")
	_, err = c.admin.ApplyChanges(reader, putCarolDry)
	assertCode(t, codes.PermissionDenied, err, "ApplyChanges denied by the admin policy")
}

// TestReliabilityStartRefusals: malformed PDP_ environment values and a
// plaintext non-loopback listener make pdp serve refuse to start with exit code 2.
func TestReliabilityStartRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tokenFile := writeConfigFile(t, dir, "tokens.txt", tokenLines(map[string]string{"admin-token": adminARN}))
	policies := writeConfigFile(t, dir, "admin.json", adminPoliciesJSON)
	loopback := []string{"--listen", "127.0.0.1:0", "--policies", "examples/model"}
	for _, tc := range []struct {
		name     string
		doc      string
		env      []string
		args     []string
		wantText []string // the error names one of these
	}{
		{name: "integer with a letter", doc: "PDP_MAX_BATCH=1O is refused, naming the variable",
			env: []string{"PDP_MAX_BATCH=1O"}, args: loopback, wantText: []string{"PDP_MAX_BATCH"}},
		{name: "bool not in Go syntax", doc: "PDP_REQUIRE_AUTH_DECISIONS=yes is refused, naming the variable",
			env: []string{"PDP_REQUIRE_AUTH_DECISIONS=yes"}, args: loopback, wantText: []string{"PDP_REQUIRE_AUTH_DECISIONS"}},
		{name: "plaintext on all interfaces", doc: "--listen 0.0.0.0:0 without TLS or --insecure-plaintext is refused",
			args:     []string{"--listen", "0.0.0.0:0", "--policies", "examples/model", "--auth-tokens", tokenFile, "--admin-policies", policies},
			wantText: []string{"tls", "plaintext"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := serveRefusal(t, tc.env, tc.args...)
			require.False(t, r.served, "%s, but it served:\n%s", tc.doc, r.stderr)
			assert.Equal(t, 2, r.exitCode, "%s:\n%s", tc.doc, r.stderr)
			named := false
			for _, w := range tc.wantText {
				named = named || strings.Contains(strings.ToLower(r.stderr), strings.ToLower(w))
			}
			assert.True(t, named, "%s: stderr names none of %q:\n%s", tc.doc, tc.wantText, r.stderr)
		})
	}
}
