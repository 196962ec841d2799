package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// cipherSuites are the TLS 1.2 suites offered and accepted: ECDHE for
// forward secrecy and AEAD encryption only, which is also what HTTP/2
// (RFC 9113, section 9.2.2) allows. TLS 1.3 suites are not configurable in
// crypto/tls and are all secure.
var cipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// baseConfig returns the settings shared by servers and clients. MaxVersion
// is left at its default, TLS 1.3, which crypto/tls picks when both sides
// offer it.
func baseConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		CipherSuites: append([]uint16(nil), cipherSuites...),
	}
}

// loadCertPool reads a PEM file of CA certificates.
func loadCertPool(name string) (*x509.CertPool, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("no PEM certificate in %s", name)
	}
	return pool, nil
}
