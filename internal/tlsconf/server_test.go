package tlsconf_test

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/pdp-dev/pdp/internal/tlsconf"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// issueServer writes a new server certificate for the loopback addresses,
// signed by dir's CA, into certFile and keyFile.
func issueServer(t *testing.T, dir, certFile, keyFile string, notBefore, notAfter time.Time) *tlsconf.DevCert {
	t.Helper()
	ca, err := tlsconf.LoadDevCert(filepath.Join(dir, tlsconf.DevCAFile), filepath.Join(dir, tlsconf.DevCAKeyFile))
	require.NoError(t, err)
	leaf, err := ca.Issue(tlsconf.DevLeaf{
		CommonName: "localhost", Hosts: []string{"localhost", "127.0.0.1"}, NotBefore: notBefore, NotAfter: notAfter,
	})
	require.NoError(t, err)
	require.NoError(t, leaf.WriteFiles(certFile, keyFile, true))
	return leaf
}

func TestServerTLS(t *testing.T) {
	t.Parallel()
	good := devDir(t, tlsconf.DevOptions{})
	other := devDir(t, tlsconf.DevOptions{})
	expired := t.TempDir()
	expiredFiles := tlsconf.ServerConfig{
		CertFile: filepath.Join(expired, "server.pem"), KeyFile: filepath.Join(expired, "server-key.pem"),
	}
	now := time.Now()
	issueServer(t, good, expiredFiles.CertFile, expiredFiles.KeyFile, now.Add(-48*time.Hour), now.Add(-24*time.Hour))

	tests := []struct {
		name        string
		serve       tlsconf.ServerConfig
		trust       string            // directory of the CA the client trusts
		tweak       func(*tls.Config) // changes the client's configuration
		wantErr     string            // substring of the call error; "" for success
		wantVersion uint16
	}{
		{name: "client trusts the CA", serve: serverFiles(good), trust: good, wantVersion: tls.VersionTLS13},
		{
			name: "TLS 1.2 client", serve: serverFiles(good), trust: good, wantVersion: tls.VersionTLS12,
			tweak: func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 },
		},
		{
			name: "TLS 1.1 client", serve: serverFiles(good), trust: good, wantErr: "protocol version not supported",
			tweak: func(c *tls.Config) { c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS11 },
		},
		{
			name: "TLS 1.2 client with a CBC cipher only", serve: serverFiles(good), trust: good, wantErr: "handshake failure",
			tweak: func(c *tls.Config) {
				c.MaxVersion = tls.VersionTLS12
				c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}
			},
		},
		{name: "client trusts another CA", serve: serverFiles(good), trust: other, wantErr: "certificate signed by unknown authority"},
		{name: "expired server certificate", serve: expiredFiles, trust: good, wantErr: "certificate has expired"},
		{
			name: "server name not in the certificate", serve: serverFiles(good), trust: good, wantErr: "not pdp.example.com",
			tweak: func(c *tls.Config) { c.ServerName = "pdp.example.com" },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tc.serve)
			client := clientConfig(t, tc.trust, "")
			if tc.tweak != nil {
				tc.tweak(client)
			}
			res, err := call(t, srv.addr, client)
			if tc.wantErr != "" {
				wantRefused(t, res, err, tc.wantErr)
				return
			}
			require.NoError(t, err, "call")
			assert.Equal(t, tls.VersionName(tc.wantVersion), tls.VersionName(res.version), "TLS version")
			want := srv.tls.Certificate().SerialNumber
			assert.Zero(t, res.serial.Cmp(want), "server certificate serial %x, want %x", res.serial, want)
			assert.Equal(t, "-", res.identity, "identity without a client certificate, want none")
		})
	}
}

func TestMutualTLS(t *testing.T) {
	t.Parallel()
	good := devDir(t, tlsconf.DevOptions{})
	const arn = "arn:aws:iam::111122223333:user/admin"
	arnDir := devDir(t, tlsconf.DevOptions{ClientName: arn})
	other := devDir(t, tlsconf.DevOptions{})
	// The client CA file is a bundle of two CAs; other's is not in it.
	bundle := filepath.Join(t.TempDir(), "client-cas.pem")
	var bundleData []byte
	for _, dir := range []string{good, arnDir} {
		b, err := os.ReadFile(filepath.Join(dir, tlsconf.DevCAFile))
		require.NoError(t, err)
		bundleData = append(bundleData, b...)
	}
	require.NoError(t, os.WriteFile(bundle, bundleData, 0o644))

	tests := []struct {
		name         string
		require      bool
		certDir      string // whose client certificate is presented; "" for none
		forceSend    bool   // send it even if the server does not list its CA
		refused      bool   // by the server, so the client's error says little
		wantIdentity string
	}{
		{name: "required, none", require: true, refused: true},
		// A Go client does not send a certificate that the server's list of
		// acceptable CAs rules out; other clients may, hence forceSend.
		{name: "required, from an unknown CA, not sent", require: true, certDir: other, refused: true},
		{name: "required, from an unknown CA", require: true, certDir: other, forceSend: true, refused: true},
		{name: "required, valid", require: true, certDir: good, wantIdentity: "urn:pdp:client:pdp-admin"},
		{name: "required, valid, named by an ARN", require: true, certDir: arnDir, wantIdentity: arn},
		{name: "optional, none", wantIdentity: "-"},
		{name: "optional, from an unknown CA, not sent", certDir: other, wantIdentity: "-"},
		{name: "optional, from an unknown CA", certDir: other, forceSend: true, refused: true},
		{name: "optional, valid", certDir: good, wantIdentity: "urn:pdp:client:pdp-admin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := serverFiles(good)
			cfg.ClientCAFile, cfg.RequireClientCert = bundle, tc.require
			srv := startServer(t, cfg)
			client := clientConfig(t, good, tc.certDir)
			if tc.forceSend {
				client = forceClientCert(client)
			}
			res, err := call(t, srv.addr, client)
			if tc.refused {
				wantRefused(t, res, err, "")
				return
			}
			require.NoError(t, err, "call")
			assert.Equal(t, tc.wantIdentity, res.identity, "PeerIdentity in the handler")
		})
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	dir := devDir(t, tlsconf.DevOptions{})
	cfg := serverFiles(dir)
	srv := startServer(t, cfg)
	client := clientConfig(t, dir, "")
	first := mustCall(t, srv.addr, client).serial

	// A connection made before the rotation keeps working after it.
	conn, err := grpc.NewClient(srv.addr, grpc.WithTransportCredentials(credentials.NewTLS(client)))
	require.NoError(t, err)
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	_, err = health.Check(t.Context(), &healthpb.HealthCheckRequest{})
	require.NoError(t, err, "call before the rotation")

	now := time.Now()
	next := issueServer(t, dir, cfg.CertFile, cfg.KeyFile, now.Add(-time.Minute), now.Add(time.Hour))
	require.NotZero(t, next.Cert.SerialNumber.Cmp(first), "the new certificate has the serial of the old one")
	waitUntil(t, "new connections to get the new certificate", func() bool {
		res, err := call(t, srv.addr, client)
		return err == nil && res.serial.Cmp(next.Cert.SerialNumber) == 0
	})
	got := srv.tls.Certificate().SerialNumber
	assert.Zero(t, got.Cmp(next.Cert.SerialNumber), "Certificate().SerialNumber = %x, want %x", got, next.Cert.SerialNumber)
	assert.Contains(t, srv.log.String(), "TLS certificate reloaded", "log does not say the certificate was reloaded")
	_, err = health.Check(t.Context(), &healthpb.HealthCheckRequest{})
	assert.NoError(t, err, "call on the connection made before the rotation")
}

func TestRotationKeepsCertificateOnBrokenFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string, cfg tlsconf.ServerConfig)
	}{
		{name: "certificate not PEM", damage: func(t *testing.T, _ string, cfg tlsconf.ServerConfig) {
			replaceFile(t, cfg.CertFile, []byte("not a certificate\n"))
		}},
		{name: "certificate truncated", damage: func(t *testing.T, _ string, cfg tlsconf.ServerConfig) {
			data, err := os.ReadFile(cfg.CertFile)
			require.NoError(t, err)
			replaceFile(t, cfg.CertFile, data[:len(data)/2])
		}},
		{name: "key removed", damage: func(t *testing.T, _ string, cfg tlsconf.ServerConfig) {
			require.NoError(t, os.Remove(cfg.KeyFile))
		}},
		{name: "key of another certificate", damage: func(t *testing.T, dir string, cfg tlsconf.ServerConfig) {
			data, err := os.ReadFile(filepath.Join(dir, tlsconf.DevClientKeyFile))
			require.NoError(t, err)
			replaceFile(t, cfg.KeyFile, data)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := devDir(t, tlsconf.DevOptions{})
			cfg := serverFiles(dir)
			srv := startServer(t, cfg)
			client := clientConfig(t, dir, "")
			first := mustCall(t, srv.addr, client).serial

			tc.damage(t, dir, cfg)
			const warning = "keeping the previous TLS certificate"
			waitUntil(t, "the warning", func() bool { return strings.Contains(srv.log.String(), warning) })
			got := mustCall(t, srv.addr, client).serial
			require.Zero(t, got.Cmp(first), "serial %x after a failed reload, want the previous %x", got, first)
			// The failed load is retried at every check, but warned about
			// once: each damage above is one change (a rename or a removal).
			time.Sleep(5 * reloadInterval)
			assert.Equal(t, 1, strings.Count(srv.log.String(), warning), "warnings for one broken state:\n%s", srv.log)

			// Repaired files are picked up.
			now := time.Now()
			next := issueServer(t, dir, cfg.CertFile, cfg.KeyFile, now.Add(-time.Minute), now.Add(time.Hour))
			waitUntil(t, "the repaired certificate", func() bool {
				res, err := call(t, srv.addr, client)
				return err == nil && res.serial.Cmp(next.Cert.SerialNumber) == 0
			})
		})
	}
}

func TestClientCAReload(t *testing.T) {
	t.Parallel()
	good := devDir(t, tlsconf.DevOptions{})
	other := devDir(t, tlsconf.DevOptions{})
	cfg := serverFiles(good)
	cfg.ClientCAFile, cfg.RequireClientCert = filepath.Join(t.TempDir(), "client-ca.pem"), true
	copyFile(t, filepath.Join(good, tlsconf.DevCAFile), cfg.ClientCAFile)
	srv := startServer(t, cfg)
	goodClient, otherClient := forceClientCert(clientConfig(t, good, good)), forceClientCert(clientConfig(t, good, other))
	mustCall(t, srv.addr, goodClient)

	copyFile(t, filepath.Join(other, tlsconf.DevCAFile), cfg.ClientCAFile)
	waitUntil(t, "the new client CA", func() bool {
		_, err := call(t, srv.addr, otherClient)
		return err == nil
	})
	res, err := call(t, srv.addr, goodClient)
	wantRefused(t, res, err, "")
}

func TestRunWithoutReloading(t *testing.T) {
	t.Parallel()
	cfg := serverFiles(devDir(t, tlsconf.DevOptions{}))
	cfg.ReloadInterval = -1
	s, err := tlsconf.NewServer(cfg, nil)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(t.Context())
	}()
	select {
	case <-done:
	case <-time.After(waitFor):
		require.FailNow(t, "Run with a negative ReloadInterval did not return")
	}
}

func TestNewServerErrors(t *testing.T) {
	t.Parallel()
	dir := devDir(t, tlsconf.DevOptions{})
	files := serverFiles(dir)
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	writeFile(t, notPEM, []byte("hello\n"))
	tests := []struct {
		name    string
		cfg     tlsconf.ServerConfig
		wantErr string
	}{
		{name: "no key file", cfg: tlsconf.ServerConfig{CertFile: files.CertFile}, wantErr: "both a certificate file and a key file"},
		{name: "missing certificate file", cfg: tlsconf.ServerConfig{CertFile: filepath.Join(dir, "nope.pem"), KeyFile: files.KeyFile},
			wantErr: "no such file"},
		{name: "key of another certificate", cfg: tlsconf.ServerConfig{CertFile: files.CertFile, KeyFile: filepath.Join(dir, tlsconf.DevClientKeyFile)},
			wantErr: "private key does not match public key"},
		{name: "client CA file without certificates", cfg: tlsconf.ServerConfig{CertFile: files.CertFile, KeyFile: files.KeyFile, ClientCAFile: notPEM},
			wantErr: "no PEM certificate in"},
		{name: "client certificates required without a CA", cfg: tlsconf.ServerConfig{CertFile: files.CertFile, KeyFile: files.KeyFile, RequireClientCert: true},
			wantErr: "needs a client CA file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := tlsconf.NewServer(tc.cfg, nil)
			require.ErrorContains(t, err, tc.wantErr, "NewServer = %v", s)
		})
	}
}

// forceClientCert makes c present its certificate whatever CAs the server
// asks for.
func forceClientCert(c *tls.Config) *tls.Config {
	cert := c.Certificates[0]
	c.Certificates = nil
	c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	return c
}

// writeFile replaces name in place, as an editor or a careless script does.
func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(name, data, 0o600))
}

// copyFile replaces dst with a copy of src.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	replaceFile(t, dst, data)
}

// replaceFile replaces name by a rename, so that a reader sees the old
// contents or the new ones, nothing between.
func replaceFile(t *testing.T, name string, data []byte) {
	t.Helper()
	tmp := name + ".tmp"
	writeFile(t, tmp, data)
	require.NoError(t, os.Rename(tmp, name))
}
