package tlsconf_test

import (
	"crypto/tls"
	"path/filepath"
	"testing"

	"github.com/pdp-dev/pdp/internal/tlsconf"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewClient(t *testing.T) {
	t.Parallel()
	dir := devDir(t, tlsconf.DevOptions{})
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	writeFile(t, notPEM, []byte("hello\n"))
	ca := filepath.Join(dir, tlsconf.DevCAFile)
	cert, key := filepath.Join(dir, tlsconf.DevClientCertFile), filepath.Join(dir, tlsconf.DevClientKeyFile)
	tests := []struct {
		name      string
		cfg       tlsconf.ClientConfig
		wantErr   string // substring; "" for success
		wantCerts int
	}{
		{name: "system roots", cfg: tlsconf.ClientConfig{}},
		{name: "CA and client certificate", cfg: tlsconf.ClientConfig{CAFile: ca, CertFile: cert, KeyFile: key, ServerName: "localhost"}, wantCerts: 1},
		{name: "certificate without key", cfg: tlsconf.ClientConfig{CAFile: ca, CertFile: cert}, wantErr: "both a certificate file and a key file"},
		{name: "key without certificate", cfg: tlsconf.ClientConfig{KeyFile: key}, wantErr: "both a certificate file and a key file"},
		{name: "missing CA file", cfg: tlsconf.ClientConfig{CAFile: filepath.Join(dir, "nope.pem")}, wantErr: "no such file"},
		{name: "CA file without certificates", cfg: tlsconf.ClientConfig{CAFile: notPEM}, wantErr: "no PEM certificate in"},
		{name: "key of another certificate", cfg: tlsconf.ClientConfig{CertFile: cert, KeyFile: filepath.Join(dir, tlsconf.DevServerKeyFile)},
			wantErr: "private key does not match public key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := tlsconf.NewClient(tc.cfg)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr, "NewClient")
				return
			}
			require.NoError(t, err, "NewClient")
			assert.Equal(t, tls.VersionName(tls.VersionTLS12), tls.VersionName(c.MinVersion), "MinVersion")
			assert.False(t, c.InsecureSkipVerify, "InsecureSkipVerify")
			assert.Equal(t, tc.cfg.ServerName, c.ServerName, "ServerName")
			assert.Equal(t, tc.cfg.CAFile != "", c.RootCAs != nil, "RootCAs set")
			assert.Len(t, c.Certificates, tc.wantCerts, "client certificates")
		})
	}
}
