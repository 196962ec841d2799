package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/url"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

func TestTLSIdentity(t *testing.T) {
	spiffe, _ := url.Parse("spiffe://example.org/deployer")
	tests := []struct {
		name     string
		leaf     *x509.Certificate
		verified bool
		want     string
		wantOK   bool
	}{
		{name: "URI SAN first", verified: true, want: "spiffe://example.org/deployer", wantOK: true,
			leaf: &x509.Certificate{URIs: []*url.URL{spiffe}, DNSNames: []string{"ops.example.org"}, Subject: pkix.Name{CommonName: "ops"}}},
		{name: "then DNS SAN", verified: true, want: "ops.example.org", wantOK: true,
			leaf: &x509.Certificate{DNSNames: []string{"ops.example.org", "b.example.org"}, Subject: pkix.Name{CommonName: "ops"}}},
		{name: "then CN", verified: true, want: "Jane Ops", wantOK: true,
			leaf: &x509.Certificate{Subject: pkix.Name{CommonName: "Jane Ops"}}},
		{name: "nothing to name", verified: true, leaf: &x509.Certificate{}},
		{name: "unverified certificate", leaf: &x509.Certificate{DNSNames: []string{"ops.example.org"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info := credentials.TLSInfo{State: tls.ConnectionState{PeerCertificates: []*x509.Certificate{tc.leaf}}}
			if tc.verified {
				info.State.VerifiedChains = [][]*x509.Certificate{{tc.leaf}}
			}
			ctx := peer.NewContext(t.Context(), &peer.Peer{AuthInfo: info})
			got, ok := TLSIdentity(ctx)
			assert.Equal(t, tc.want, got, "TLSIdentity")
			assert.Equal(t, tc.wantOK, ok, "TLSIdentity found an identity")
		})
	}
	_, ok := TLSIdentity(t.Context())
	assert.False(t, ok, "TLSIdentity without a peer reports an identity")
}

// TestMutualTLS runs real TLS with client certificates over bufconn: the
// identity comes from the verified certificate through TLSIdentity, and
// aws:SecureTransport is true.
func TestMutualTLS(t *testing.T) {
	pki := newTestPKI(t)
	cfg := fixtureConfig(t) // Identity nil: TLSIdentity
	az, _ := newAuthorizer(t, cfg)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{pki.server}, ClientCAs: pki.pool,
		ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS13}
	dial := func(certs ...tls.Certificate) []grpc.DialOption {
		return []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{
			RootCAs: pki.pool, ServerName: "pdp.test", Certificates: certs, MinVersion: tls.VersionTLS13}))}
	}
	serverOpts := []grpc.ServerOption{grpc.Creds(credentials.NewTLS(serverTLS))}

	t.Run("mapped certificate", func(t *testing.T) {
		h := serve(t, az, serverOpts, dial(pki.client("spiffe://example.org/deployer"))...)
		// The deployer's policy allows Export only with aws:SecureTransport.
		_, err := h.policy.Export(t.Context(), &pdpv1.ExportRequest{})
		require.NoError(t, err, "Export over mTLS")
		caller, _ := h.calls.last()
		assert.Equal(t, deployerARN, caller, "caller the handler saw")
	})
	t.Run("unmapped certificate", func(t *testing.T) {
		h := serve(t, az, serverOpts, dial(pki.client("spiffe://example.org/eve"))...)
		_, err := h.policy.Export(t.Context(), &pdpv1.ExportRequest{})
		require.Equal(t, codes.Unauthenticated, status.Code(err), "err = %v", err)
	})
	t.Run("no certificate", func(t *testing.T) {
		h := serve(t, az, serverOpts, dial()...)
		_, err := h.policy.Export(t.Context(), &pdpv1.ExportRequest{})
		require.Equal(t, codes.Unauthenticated, status.Code(err), "err = %v", err)
	})
	t.Run("token over TLS", func(t *testing.T) {
		h := serve(t, az, serverOpts, dial()...)
		_, err := h.policy.GetEntity(as(t.Context(), opsARN), &pdpv1.GetEntityRequest{Key: key(kindUser, "x")})
		require.NoError(t, err, "GetEntity")
	})
}

// TestSecureTransportOverPlaintext: the deployer's identity, injected
// without TLS, is denied by its aws:SecureTransport condition.
func TestSecureTransportOverPlaintext(t *testing.T) {
	cfg := fixtureConfig(t)
	cfg.Identity = func(ctx context.Context) (string, bool) { return "spiffe://example.org/deployer", true }
	az, _ := newAuthorizer(t, cfg)
	h := serve(t, az, nil)
	_, err := h.policy.Export(t.Context(), &pdpv1.ExportRequest{})
	require.Equal(t, codes.PermissionDenied, status.Code(err), "err = %v", err)
}

func TestParseIdentities(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    map[string]string
		wantErr string
	}{
		{name: "text", data: identityFixture, want: map[string]string{
			"spiffe://example.org/deployer": deployerARN, "ops.example.org": opsARN}},
		{name: "text with a CN holding spaces", data: "Jane Ops  " + opsARN + "\n",
			want: map[string]string{"Jane Ops": opsARN}},
		{name: "JSON", data: `{"ops.example.org": "` + opsARN + `"}`, want: map[string]string{"ops.example.org": opsARN}},
		{name: "empty", data: "# nobody\n", want: map[string]string{}},
		{name: "duplicate in JSON", data: "{\n\"a\": \"" + opsARN + "\",\n\"a\": \"" + adminARN + "\"}",
			wantErr: `ids.json:3: "a" is listed twice (first on line 2)`},
		{name: "not a principal", data: "a arn:aws:s3:::bucket\n", wantErr: "ids.json:1: \"arn:aws:s3:::bucket\" is not the ARN of an IAM user"},
		{name: "one field", data: "\n" + opsARN + "\n", wantErr: "ids.json:2: want KEY PRINCIPAL_ARN"},
		{name: "value not a string", data: `{"a": ["x"]}`, wantErr: `ids.json:1: the value of "a" must be a principal ARN string`},
		{name: "bad JSON", data: "{\n  \"a\": }", wantErr: "ids.json:2:8: invalid character '}'"},
		{name: "trailing data", data: `{"a": "` + opsARN + `"} {}`, wantErr: "unexpected data after the top-level object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ids, err := ParseIdentities("ids.json", []byte(tc.data))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, len(tc.want), ids.Len(), "Len")
			for id, p := range tc.want {
				got, ok := ids.Lookup(id)
				assert.True(t, ok, "Lookup(%q) found nothing", id)
				assert.Equal(t, p, got, "Lookup(%q)", id)
			}
		})
	}
}

// testPKI is a CA with a server certificate and client certificates on
// demand.
type testPKI struct {
	t      *testing.T
	pool   *x509.CertPool
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	server tls.Certificate
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	p := &testPKI{t: t, pool: x509.NewCertPool(), ca: ca, caKey: key}
	p.pool.AddCert(ca)
	p.server = p.issue(&x509.Certificate{DNSNames: []string{"pdp.test"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return p
}

func (p *testPKI) client(uri string) tls.Certificate {
	u, err := url.Parse(uri)
	require.NoError(p.t, err)
	return p.issue(&x509.Certificate{URIs: []*url.URL{u}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
}

func (p *testPKI) issue(tmpl *x509.Certificate) tls.Certificate {
	p.t.Helper()
	key := newKey(p.t)
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	require.NoError(p.t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return key
}
