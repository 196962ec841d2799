package auth

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestGuardHTTP: HTTP decision requests are authenticated as gRPC
// decision calls are, by bearer token or verified client certificate.
func TestGuardHTTP(t *testing.T) {
	cfg := fixtureConfig(t)
	cfg.RequireForDecisions = true
	az, _ := newAuthorizer(t, cfg)
	verified := func(cn string) *tls.ConnectionState {
		leaf := &x509.Certificate{DNSNames: []string{cn}, Subject: pkix.Name{CommonName: cn}}
		return &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}, VerifiedChains: [][]*x509.Certificate{{leaf}}}
	}
	tests := []struct {
		name          string
		authorization []string
		tls           *tls.ConnectionState
		wantPrincipal string
		wantCode      codes.Code
	}{
		{name: "bearer token", authorization: []string{"Bearer " + fixtureTokens[aliceARN]}, wantPrincipal: aliceARN},
		{name: "scheme in any case", authorization: []string{"bearer " + fixtureTokens[opsARN]}, wantPrincipal: opsARN},
		{name: "verified certificate", tls: verified("ops.example.org"), wantPrincipal: opsARN},
		{name: "token wins over certificate", authorization: []string{"Bearer " + fixtureTokens[aliceARN]},
			tls: verified("ops.example.org"), wantPrincipal: aliceARN},
		{name: "no credentials", wantCode: codes.Unauthenticated},
		{name: "unknown token", authorization: []string{"Bearer nope"}, wantCode: codes.Unauthenticated},
		{name: "not bearer", authorization: []string{"Basic YWxpY2U6cHc="}, wantCode: codes.Unauthenticated},
		{name: "two authorization headers", authorization: []string{"Bearer " + fixtureTokens[aliceARN], "Bearer x"},
			wantCode: codes.Unauthenticated},
		{name: "unmapped certificate", tls: verified("stranger.example.org"), wantCode: codes.Unauthenticated},
		{name: "unverified certificate", tls: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{{DNSNames: []string{"ops.example.org"}}}},
			wantCode: codes.Unauthenticated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/access/v1/evaluation", nil)
			for _, v := range tc.authorization {
				r.Header.Add("Authorization", v)
			}
			r.TLS = tc.tls
			ctx, err := az.GuardHTTP(r, "/pdp.v1.AuthorizationService/Check", nil)
			if tc.wantCode != codes.OK {
				require.Error(t, err)
				assert.Equal(t, tc.wantCode, status.Code(err))
				return
			}
			require.NoError(t, err)
			p, ok := Caller(ctx)
			assert.True(t, ok)
			assert.Equal(t, tc.wantPrincipal, p)
		})
	}

	t.Run("open when decisions need no authentication", func(t *testing.T) {
		open, _ := newAuthorizer(t, fixtureConfig(t))
		ctx, err := open.GuardHTTP(httptest.NewRequest("POST", "/access/v1/evaluation", nil), "/pdp.v1.AuthorizationService/Check", nil)
		require.NoError(t, err)
		_, ok := Caller(ctx)
		assert.False(t, ok)
	})
}
