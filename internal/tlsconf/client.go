package tlsconf

import (
	"crypto/tls"
	"errors"
	"fmt"
)

// ClientConfig names the PEM files of a TLS client. All are optional.
type ClientConfig struct {
	// CAFile holds the CAs that the server's certificate must chain to;
	// empty means the system's roots.
	CAFile string
	// CertFile and KeyFile are the client's certificate and key, given
	// together, for servers that verify clients (mutual TLS).
	CertFile, KeyFile string
	// ServerName is the name checked against the server's certificate;
	// empty means the host of the address dialled (gRPC fills it in).
	ServerName string
}

// NewClient returns the TLS configuration of a client. The client always
// verifies the server's certificate; its own certificate is read once, as
// the client commands are short-lived.
func NewClient(cfg ClientConfig) (*tls.Config, error) {
	c := baseConfig()
	c.ServerName = cfg.ServerName
	if cfg.CAFile != "" {
		pool, err := loadCertPool(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tlsconf: load CAs: %w", err)
		}
		c.RootCAs = pool
	}
	switch {
	case cfg.CertFile == "" && cfg.KeyFile == "":
	case cfg.CertFile == "" || cfg.KeyFile == "":
		return nil, errors.New("tlsconf: a client certificate needs both a certificate file and a key file")
	default:
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tlsconf: load key pair %s, %s: %w", cfg.CertFile, cfg.KeyFile, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
