package tlsconf_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pdp-dev/pdp/internal/tlsconf"

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
	if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) > 0 {
		t.Fatalf("%s is not one PEM certificate", name)
	}
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
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", name, fi.Mode(), want)
		}
	}
}

func TestGenerateDev(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "certs") // created by GenerateDev
	before := time.Now()
	require.NoError(t, tlsconf.GenerateDev(dir, tlsconf.DevOptions{}))
	checkModes(t, dir)

	ca := readCert(t, filepath.Join(dir, tlsconf.DevCAFile))
	if !ca.IsCA || ca.CheckSignatureFrom(ca) != nil {
		t.Errorf("ca.pem is not a self-signed CA")
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	server := readCert(t, filepath.Join(dir, tlsconf.DevServerCertFile))
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := server.Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
			t.Errorf("server certificate for %s: %v", host, err)
		}
	}
	client := readCert(t, filepath.Join(dir, tlsconf.DevClientCertFile))
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if _, err := server.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("the server certificate is also good for client authentication")
	}
	if client.Subject.CommonName != "pdp-admin" || len(client.URIs) != 1 || client.URIs[0].String() != "urn:pdp:client:pdp-admin" {
		t.Errorf("client certificate CN %q, URIs %v; want pdp-admin, [urn:pdp:client:pdp-admin]", client.Subject.CommonName, client.URIs)
	}
	for _, c := range []*x509.Certificate{ca, server, client} {
		pub, ok := c.PublicKey.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			t.Errorf("%s: public key %T, want ECDSA P-256", c.Subject.CommonName, c.PublicKey)
		}
		if life := c.NotAfter.Sub(before); life < tlsconf.DefaultDevValidity-time.Minute || life > tlsconf.DefaultDevValidity+time.Minute {
			t.Errorf("%s: valid until %v, want about 30 days from now", c.Subject.CommonName, c.NotAfter)
		}
	}
	for _, name := range []string{tlsconf.DevCAKeyFile, tlsconf.DevServerKeyFile, tlsconf.DevClientKeyFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		block, _ := pem.Decode(data)
		if block == nil || block.Type != "PRIVATE KEY" {
			t.Fatalf("%s is not a PEM PKCS #8 key", name)
		}
		if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
			t.Errorf("%s: %v", name, err)
		}
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
		if !c.NotBefore.Equal(notBefore) || !c.NotAfter.Equal(notAfter) {
			t.Errorf("%s: valid %v to %v, want %v to %v", c.Subject.CommonName, c.NotBefore, c.NotAfter, notBefore, notAfter)
		}
	}
	if got := strings.Join(server.DNSNames, ","); got != "pdp.internal" || len(server.IPAddresses) != 1 || server.IPAddresses[0].String() != "10.0.0.7" {
		t.Errorf("server SANs %v %v, want pdp.internal 10.0.0.7", server.DNSNames, server.IPAddresses)
	}
	if client.Subject.CommonName != "spiffe://example.org/ci" || client.URIs[0].String() != "spiffe://example.org/ci" {
		t.Errorf("client CN %q, URIs %v; want the SPIFFE ID in both", client.Subject.CommonName, client.URIs)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err := server.Verify(x509.VerifyOptions{Roots: roots, DNSName: "pdp.internal", CurrentTime: now.Add(-36 * time.Hour)})
	if err != nil {
		t.Errorf("server certificate within its validity: %v", err)
	}
	var invalid x509.CertificateInvalidError
	if _, err := server.Verify(x509.VerifyOptions{Roots: roots, DNSName: "pdp.internal"}); !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
		t.Errorf("verifying the expired server certificate: %v, want x509.Expired", err)
	}

	err = tlsconf.GenerateDev(t.TempDir(), tlsconf.DevOptions{NotBefore: now, NotAfter: now})
	if err == nil || !strings.Contains(err.Error(), "is not after NotBefore") {
		t.Errorf("GenerateDev with an empty validity = %v, want an error", err)
	}
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
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), filepath.Join(dir, tlsconf.DevCAFile)) {
		t.Errorf("GenerateDev over existing files = %v, want fs.ErrExist naming them", err)
	}
	for name, data := range read() {
		if !bytes.Equal(data, first[name]) {
			t.Errorf("%s changed although GenerateDev refused", name)
		}
	}

	// A wider mode on an old key file is not kept.
	require.NoError(t, os.Chmod(filepath.Join(dir, tlsconf.DevServerKeyFile), 0o644))
	require.NoError(t, tlsconf.GenerateDev(dir, tlsconf.DevOptions{Force: true}), "GenerateDev with Force")
	for name, data := range read() {
		if bytes.Equal(data, first[name]) {
			t.Errorf("%s was not replaced with Force", name)
		}
	}
	checkModes(t, dir)
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != len(devFiles) {
		t.Errorf("%d entries in the directory (%v), want the %d files only", len(entries), err, len(devFiles))
	}
}

func TestGenerateDevWritesNothingIfOneFileExists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, tlsconf.DevClientKeyFile), []byte("mine\n"))
	if err := tlsconf.GenerateDev(dir, tlsconf.DevOptions{}); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("GenerateDev = %v, want fs.ErrExist", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries in the directory, want only the one that was there", len(entries))
	}
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
			if got := tlsconf.DevClientURI(tc.name); got != tc.want {
				t.Errorf("DevClientURI(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}

func TestIssueNeedsCA(t *testing.T) {
	t.Parallel()
	dir := devDir(t, tlsconf.DevOptions{})
	leaf, err := tlsconf.LoadDevCert(filepath.Join(dir, tlsconf.DevServerCertFile), filepath.Join(dir, tlsconf.DevServerKeyFile))
	require.NoError(t, err)
	now := time.Now()
	if _, err := leaf.Issue(tlsconf.DevLeaf{CommonName: "x", NotBefore: now, NotAfter: now.Add(time.Hour)}); err == nil {
		t.Error("a server certificate issued a certificate")
	}
}
