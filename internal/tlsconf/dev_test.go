package tlsconf_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pdp-dev/pdp/internal/tlsconf"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var devFiles = []string{
	tlsconf.DevCAFile, tlsconf.DevCAKeyFile,
	tlsconf.DevServerCertFile, tlsconf.DevServerKeyFile,
	tlsconf.DevClientCertFile, tlsconf.DevClientKeyFile,
}

// readCert parses the one certificate of a PEM file.
func readCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	block, rest := pem.Decode(data)
	require.NotNil(t, block, "%s is not a PEM file", name)
	require.Equal(t, "CERTIFICATE", block.Type, "%s: PEM block type", name)
	require.Empty(t, bytes.TrimSpace(rest), "%s holds more than one PEM certificate", name)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return cert
}

// checkModes checks the modes of the files of GenerateDev.
func checkModes(t *testing.T, dir string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	for _, name := range devFiles {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		want := fs.FileMode(0o644)
		if strings.HasSuffix(name, "-key.pem") {
			want = 0o600
		}
		assert.Equal(t, want, fi.Mode(), "mode of %s", name)
	}
}

func TestGenerateDev(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "certs") // created by GenerateDev
	before := time.Now()
	require.NoError(t, tlsconf.GenerateDev(dir, tlsconf.DevOptions{}))
	checkModes(t, dir)

	ca := readCert(t, filepath.Join(dir, tlsconf.DevCAFile))
	assert.True(t, ca.IsCA, "ca.pem is not a CA")
	assert.NoError(t, ca.CheckSignatureFrom(ca), "ca.pem is not self-signed")
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	server := readCert(t, filepath.Join(dir, tlsconf.DevServerCertFile))
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		_, err := server.Verify(x509.VerifyOptions{Roots: roots, DNSName: host})
		assert.NoError(t, err, "server certificate for %s", host)
	}
	client := readCert(t, filepath.Join(dir, tlsconf.DevClientCertFile))
	_, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.NoError(t, err, "client certificate")
	_, err = server.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.Error(t, err, "the server certificate is also good for client authentication")
	assert.Equal(t, "pdp-admin", client.Subject.CommonName, "client certificate CN")
	if assert.Len(t, client.URIs, 1, "client certificate URIs") {
		assert.Equal(t, "urn:pdp:client:pdp-admin", client.URIs[0].String(), "client certificate URI")
	}
	for _, c := range []*x509.Certificate{ca, server, client} {
		pub, ok := c.PublicKey.(*ecdsa.PublicKey)
		if assert.True(t, ok, "%s: public key %T, want ECDSA P-256", c.Subject.CommonName, c.PublicKey) {
			assert.True(t, pub.Curve == elliptic.P256(), "%s: curve %v, want P-256", c.Subject.CommonName, pub.Curve.Params().Name)
		}
		life := c.NotAfter.Sub(before)
		assert.GreaterOrEqual(t, life, tlsconf.DefaultDevValidity-time.Minute, "%s: valid until %v, want about 30 days from now", c.Subject.CommonName, c.NotAfter)
		assert.LessOrEqual(t, life, tlsconf.DefaultDevValidity+time.Minute, "%s: valid until %v, want about 30 days from now", c.Subject.CommonName, c.NotAfter)
	}
	for _, name := range []string{tlsconf.DevCAKeyFile, tlsconf.DevServerKeyFile, tlsconf.DevClientKeyFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		block, _ := pem.Decode(data)
		require.NotNil(t, block, "%s is not a PEM file", name)
		require.Equal(t, "PRIVATE KEY", block.Type, "%s: PEM block type, want PKCS #8", name)
		_, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		assert.NoError(t, err, "%s", name)
	}
}

func TestGenerateDevOptions(t *testing.T) {
	t.Parallel()
	now := time.Now().Truncate(time.Second)
	notBefore, notAfter := now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	dir := devDir(t, tlsconf.DevOptions{
		ClientName: "spiffe://example.org/ci", Hosts: []string{"pdp.internal", "10.0.0.7"},
		NotBefore: notBefore, NotAfter: notAfter,
	})
	ca := readCert(t, filepath.Join(dir, tlsconf.DevCAFile))
	server := readCert(t, filepath.Join(dir, tlsconf.DevServerCertFile))
	client := readCert(t, filepath.Join(dir, tlsconf.DevClientCertFile))
	for _, c := range []*x509.Certificate{ca, server, client} {
		assert.True(t, c.NotBefore.Equal(notBefore), "%s: valid from %v, want %v", c.Subject.CommonName, c.NotBefore, notBefore)
		assert.True(t, c.NotAfter.Equal(notAfter), "%s: valid to %v, want %v", c.Subject.CommonName, c.NotAfter, notAfter)
	}
	assert.Equal(t, "pdp.internal", strings.Join(server.DNSNames, ","), "server DNS names")
	if assert.Len(t, server.IPAddresses, 1, "server IP addresses") {
		assert.Equal(t, "10.0.0.7", server.IPAddresses[0].String(), "server IP address")
	}
	assert.Equal(t, "spiffe://example.org/ci", client.Subject.CommonName, "client CN, want the SPIFFE ID")
	assert.Equal(t, "spiffe://example.org/ci", client.URIs[0].String(), "client URI, want the SPIFFE ID")
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err := server.Verify(x509.VerifyOptions{Roots: roots, DNSName: "pdp.internal", CurrentTime: now.Add(-36 * time.Hour)})
	assert.NoError(t, err, "server certificate within its validity")
	var invalid x509.CertificateInvalidError
	_, err = server.Verify(x509.VerifyOptions{Roots: roots, DNSName: "pdp.internal"})
	if assert.ErrorAs(t, err, &invalid, "verifying the expired server certificate") {
		assert.Equal(t, x509.Expired, invalid.Reason, "verifying the expired server certificate: %v", err)
	}

	err = tlsconf.GenerateDev(t.TempDir(), tlsconf.DevOptions{NotBefore: now, NotAfter: now})
	assert.ErrorContains(t, err, "is not after NotBefore", "GenerateDev with an empty validity")
}

func TestGenerateDevOverwrite(t *testing.T) {
	t.Parallel()
	dir := devDir(t, tlsconf.DevOptions{})
	read := func() map[string][]byte {
		m := make(map[string][]byte)
		for _, name := range devFiles {
			data, err := os.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err)
			m[name] = data
		}
		return m
	}
	first := read()

	err := tlsconf.GenerateDev(dir, tlsconf.DevOptions{})
	if assert.ErrorIs(t, err, fs.ErrExist, "GenerateDev over existing files") {
		assert.Contains(t, err.Error(), filepath.Join(dir, tlsconf.DevCAFile), "GenerateDev over existing files: the error names them")
	}
	for name, data := range read() {
		assert.True(t, bytes.Equal(data, first[name]), "%s changed although GenerateDev refused", name)
	}

	// A wider mode on an old key file is not kept.
	require.NoError(t, os.Chmod(filepath.Join(dir, tlsconf.DevServerKeyFile), 0o644))
	require.NoError(t, tlsconf.GenerateDev(dir, tlsconf.DevOptions{Force: true}), "GenerateDev with Force")
	for name, data := range read() {
		assert.False(t, bytes.Equal(data, first[name]), "%s was not replaced with Force", name)
	}
	checkModes(t, dir)
	entries, err := os.ReadDir(dir)
	if assert.NoError(t, err) {
		assert.Len(t, entries, len(devFiles), "entries in the directory, want the files only")
	}
}

func TestGenerateDevWritesNothingIfOneFileExists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, tlsconf.DevClientKeyFile), []byte("mine\n"))
	require.ErrorIs(t, tlsconf.GenerateDev(dir, tlsconf.DevOptions{}), fs.ErrExist, "GenerateDev")
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "entries in the directory, want only the one that was there")
}

func TestDevClientURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, want string
	}{
		{name: "pdp-admin", want: "urn:pdp:client:pdp-admin"},
		{name: "ops team/alice", want: "urn:pdp:client:ops%20team%2Falice"},
		{name: "arn:aws:iam::111122223333:user/admin", want: "arn:aws:iam::111122223333:user/admin"},
		{name: "spiffe://example.org/ci", want: "spiffe://example.org/ci"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tlsconf.DevClientURI(tc.name), "DevClientURI(%q)", tc.name)
		})
	}
}

func TestIssueNeedsCA(t *testing.T) {
	t.Parallel()
	dir := devDir(t, tlsconf.DevOptions{})
	leaf, err := tlsconf.LoadDevCert(filepath.Join(dir, tlsconf.DevServerCertFile), filepath.Join(dir, tlsconf.DevServerKeyFile))
	require.NoError(t, err)
	now := time.Now()
	_, err = leaf.Issue(tlsconf.DevLeaf{CommonName: "x", NotBefore: now, NotAfter: now.Add(time.Hour)})
	assert.Error(t, err, "a server certificate issued a certificate")
}
