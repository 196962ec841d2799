package tlsconf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The files GenerateDev writes in its directory.
const (
	DevCAFile         = "ca.pem"
	DevCAKeyFile      = "ca-key.pem"
	DevServerCertFile = "server.pem"
	DevServerKeyFile  = "server-key.pem"
	DevClientCertFile = "client.pem"
	DevClientKeyFile  = "client-key.pem"
)

// Defaults of DevOptions.
const (
	DefaultDevClientName = "pdp-admin"
	DefaultDevValidity   = 30 * 24 * time.Hour
)

// File modes of what GenerateDev and DevCert.WriteFiles write.
const (
	certFileMode fs.FileMode = 0o644
	keyFileMode  fs.FileMode = 0o600
)

// DevOptions tune GenerateDev. The zero value gives the defaults.
type DevOptions struct {
	// ClientName is the subject common name of the client certificate and
	// gives its URI SAN (see DevClientURI); default DefaultDevClientName.
	ClientName string
	// Hosts are the DNS names and IP addresses of the server certificate;
	// default localhost, 127.0.0.1 and ::1.
	Hosts []string
	// NotBefore and NotAfter bound the validity of all three certificates;
	// the defaults are five minutes ago (for clocks a little behind) and
	// DefaultDevValidity from now. A NotAfter in the past makes expired
	// certificates, for tests.
	NotBefore, NotAfter time.Time
	// Force overwrites files that exist; otherwise GenerateDev writes
	// nothing when one of its six files exists.
	Force bool
}

// GenerateDev writes a throwaway development CA (DevCAFile, DevCAKeyFile),
// a server certificate signed by it for opts.Hosts (DevServerCertFile,
// DevServerKeyFile) and a client certificate for opts.ClientName
// (DevClientCertFile, DevClientKeyFile) into dir, which it creates if
// needed. Keys are ECDSA P-256 in PKCS #8, in files of mode 0600;
// certificates have mode 0644. When a file exists and opts.Force is not
// set, it writes nothing and returns an error wrapping fs.ErrExist.
func GenerateDev(dir string, opts DevOptions) error {
	opts, err := opts.withDefaults(time.Now())
	if err != nil {
		return err
	}
	if !opts.Force {
		if err := checkAbsent(dir); err != nil {
			return err
		}
	}
	ca, err := NewDevCA("pdp development CA", opts.NotBefore, opts.NotAfter)
	if err != nil {
		return err
	}
	server, err := ca.Issue(DevLeaf{
		CommonName: opts.Hosts[0], Hosts: opts.Hosts, NotBefore: opts.NotBefore, NotAfter: opts.NotAfter,
	})
	if err != nil {
		return err
	}
	client, err := ca.Issue(DevLeaf{
		CommonName: opts.ClientName, URIs: []string{DevClientURI(opts.ClientName)}, Client: true,
		NotBefore: opts.NotBefore, NotAfter: opts.NotAfter,
	})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("tlsconf: %w", err)
	}
	for _, f := range []struct {
		cert       *DevCert
		cfile, key string
	}{
		{ca, DevCAFile, DevCAKeyFile},
		{server, DevServerCertFile, DevServerKeyFile},
		{client, DevClientCertFile, DevClientKeyFile},
	} {
		if err := f.cert.WriteFiles(filepath.Join(dir, f.cfile), filepath.Join(dir, f.key), opts.Force); err != nil {
			return err
		}
	}
	return nil
}

func (o DevOptions) withDefaults(now time.Time) (DevOptions, error) {
	if o.ClientName == "" {
		o.ClientName = DefaultDevClientName
	}
	if len(o.Hosts) == 0 {
		o.Hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = now.Add(-5 * time.Minute)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = now.Add(DefaultDevValidity)
	}
	if !o.NotAfter.After(o.NotBefore) {
		return o, fmt.Errorf("tlsconf: NotAfter %v is not after NotBefore %v", o.NotAfter, o.NotBefore)
	}
	return o, nil
}

// checkAbsent fails, wrapping fs.ErrExist, if one of the files of
// GenerateDev exists in dir.
func checkAbsent(dir string) error {
	var found []string
	for _, name := range []string{DevCAFile, DevCAKeyFile, DevServerCertFile, DevServerKeyFile, DevClientCertFile, DevClientKeyFile} {
		path := filepath.Join(dir, name)
		if _, err := os.Lstat(path); err == nil {
			found = append(found, path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("tlsconf: %w", err)
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("tlsconf: %s: %w", strings.Join(found, ", "), fs.ErrExist)
	}
	return nil
}

// DevClientURI returns the URI SAN of a development client certificate
// named name: name itself when it is an absolute URI, that is when it has
// a scheme ("arn:aws:iam::111122223333:user/admin",
// "spiffe://example.org/ci"); otherwise "urn:pdp:client:" and name,
// escaped as a URI path segment ("urn:pdp:client:pdp-admin"). It is what
// PeerIdentity returns for that certificate.
func DevClientURI(name string) string {
	if u, err := url.Parse(name); err == nil && u.Scheme != "" {
		return name
	}
	return "urn:pdp:client:" + url.PathEscape(name)
}

// A DevCert is a development certificate with its private key.
type DevCert struct {
	Cert    *x509.Certificate
	CertPEM []byte // "CERTIFICATE"
	KeyPEM  []byte // "PRIVATE KEY" (PKCS #8) when made here
	signer  crypto.Signer
}

// DevLeaf describes a certificate for DevCert.Issue.
type DevLeaf struct {
	CommonName string
	Hosts      []string // DNS names and IP addresses
	URIs       []string // absolute URIs
	// Client makes a client certificate (extended key usage clientAuth);
	// otherwise it is a server certificate (serverAuth).
	Client              bool
	NotBefore, NotAfter time.Time
}

// NewDevCA makes a self-signed CA certificate. Its common name gets a
// random suffix, so that two development CAs are told apart in messages.
func NewDevCA(commonName string, notBefore, notAfter time.Time) (*DevCert, error) {
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName + " " + serial.Text(16)[:8]},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	return create(tmpl, nil, nil)
}

// LoadDevCert reads a certificate and its key, for example a CA written by
// GenerateDev, to issue more certificates with it.
func LoadDevCert(certFile, keyFile string) (*DevCert, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: load key pair %s, %s: %w", certFile, keyFile, err)
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("tlsconf: %s: the key cannot sign", keyFile)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("tlsconf: %s: %w", certFile, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: %w", err)
	}
	return &DevCert{Cert: leaf, CertPEM: pemBlock("CERTIFICATE", leaf.Raw), KeyPEM: keyPEM, signer: signer}, nil
}

// Issue makes a certificate described by leaf and signed by ca, which must
// be a CA certificate.
func (ca *DevCert) Issue(leaf DevLeaf) (*DevCert, error) {
	if !ca.Cert.IsCA || ca.signer == nil {
		return nil, fmt.Errorf("tlsconf: %q is not a CA with its key", ca.Cert.Subject.CommonName)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: leaf.CommonName},
		NotBefore:    leaf.NotBefore,
		NotAfter:     leaf.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if leaf.Client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	for _, h := range leaf.Hosts {
		switch ip := net.ParseIP(h); {
		case ip != nil:
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		case h != "":
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		default:
			return nil, errors.New("tlsconf: empty host name")
		}
	}
	for _, s := range leaf.URIs {
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" {
			return nil, fmt.Errorf("tlsconf: URI SAN %q is not an absolute URI", s)
		}
		tmpl.URIs = append(tmpl.URIs, u)
	}
	return create(tmpl, ca.Cert, ca.signer)
}

// create makes a P-256 key and a certificate for it from tmpl, signed by
// parent's signer, or self-signed when parent is nil.
func create(tmpl, parent *x509.Certificate, parentSigner crypto.Signer) (*DevCert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: generate key: %w", err)
	}
	if parent == nil {
		parent, parentSigner = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentSigner)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: create certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: %w", err)
	}
	return &DevCert{Cert: cert, CertPEM: pemBlock("CERTIFICATE", der), KeyPEM: pemBlock("PRIVATE KEY", keyDER), signer: key}, nil
}

// newSerial returns a random positive serial number of up to 128 bits.
func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("tlsconf: serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1<<32)), nil // nonzero, and at least 8 hex digits
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// WriteFiles writes the key (mode 0600) and then the certificate (mode
// 0644). Without force, a file that exists is an error wrapping
// fs.ErrExist; with force, each file is replaced by a rename, so that a
// server reloading it never reads half of one.
func (c *DevCert) WriteFiles(certFile, keyFile string, force bool) error {
	if err := writeFile(keyFile, c.KeyPEM, keyFileMode, force); err != nil {
		return err
	}
	return writeFile(certFile, c.CertPEM, certFileMode, force)
}

func writeFile(name string, data []byte, perm fs.FileMode, replace bool) error {
	var f *os.File
	var err error
	if replace {
		f, err = os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	} else {
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	}
	if err != nil {
		return fmt.Errorf("tlsconf: %w", err)
	}
	// Chmod sets the mode whatever the umask; the file starts with perm
	// or 0600, so a key is never readable by others.
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && replace {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("tlsconf: write %s: %w", name, err)
	}
	return nil
}
