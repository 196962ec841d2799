package tlsconf

import "crypto/tls"

// PeerIdentity returns the identity that the peer of a connection proved
// with a verified certificate: on a server, the client's. It reads the leaf
// of the first verified chain and returns, in this order of preference:
//
//  1. its first URI subject alternative name, e.g. "spiffe://example.org/ci"
//     or "urn:pdp:client:pdp-admin" (see GenerateDev);
//  2. its first DNS subject alternative name;
//  3. its subject common name.
//
// ok is false when the peer presented no certificate, when its certificate
// was not verified (VerifiedChains is empty, as with tls.RequestClientCert
// or InsecureSkipVerify), or when the certificate names none of these.
// IP address and email SANs are not identities here. With gRPC, the state
// is in credentials.TLSInfo, the AuthInfo of peer.FromContext.
func PeerIdentity(state tls.ConnectionState) (identity string, ok bool) {
	if len(state.VerifiedChains) == 0 || len(state.VerifiedChains[0]) == 0 {
		return "", false
	}
	leaf := state.VerifiedChains[0][0]
	switch {
	case len(leaf.URIs) > 0:
		return leaf.URIs[0].String(), true
	case len(leaf.DNSNames) > 0:
		return leaf.DNSNames[0], true
	case leaf.Subject.CommonName != "":
		return leaf.Subject.CommonName, true
	}
	return "", false
}
