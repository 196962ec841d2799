package tlsconf_test

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/url"
	"testing"

	"github.com/pdp-dev/pdp/internal/tlsconf"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPeerIdentity(t *testing.T) {
	t.Parallel()
	uri := func(s string) *url.URL {
		u, err := url.Parse(s)
		require.NoError(t, err)
		return u
	}
	full := &x509.Certificate{
		Subject:  pkix.Name{CommonName: "cn"},
		DNSNames: []string{"a.example.com", "b.example.com"},
		URIs:     []*url.URL{uri("spiffe://example.org/ci"), uri("urn:pdp:client:x")},
	}
	chain := func(leaf *x509.Certificate) tls.ConnectionState {
		return tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}, VerifiedChains: [][]*x509.Certificate{{leaf, {}}}}
	}
	tests := []struct {
		name   string
		state  tls.ConnectionState
		want   string
		wantOK bool
	}{
		{name: "first URI SAN", state: chain(full), want: "spiffe://example.org/ci", wantOK: true},
		{name: "ARN as URI SAN", state: chain(&x509.Certificate{URIs: []*url.URL{uri("arn:aws:iam::111122223333:role/ci")}}),
			want: "arn:aws:iam::111122223333:role/ci", wantOK: true},
		{name: "first DNS SAN without URIs", state: chain(&x509.Certificate{Subject: full.Subject, DNSNames: full.DNSNames}),
			want: "a.example.com", wantOK: true},
		{name: "common name without SANs", state: chain(&x509.Certificate{Subject: full.Subject}), want: "cn", wantOK: true},
		{name: "nothing to name", state: chain(&x509.Certificate{EmailAddresses: []string{"a@example.com"}})},
		{name: "no certificate", state: tls.ConnectionState{}},
		{name: "certificate not verified", state: tls.ConnectionState{PeerCertificates: []*x509.Certificate{full}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := tlsconf.PeerIdentity(tc.state)
			assert.Equal(t, tc.want, got, "PeerIdentity")
			assert.Equal(t, tc.wantOK, ok, "PeerIdentity found one")
		})
	}
}
