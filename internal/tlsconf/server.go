package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync/atomic"
	"time"
)

// DefaultReloadInterval is how often a Server looks for changed files when
// ServerConfig.ReloadInterval is zero.
const DefaultReloadInterval = 10 * time.Second

// ServerConfig names the PEM files of a TLS server.
type ServerConfig struct {
	CertFile string // certificate chain, leaf first (required)
	KeyFile  string // private key of the leaf (required)
	// ClientCAFile holds the CAs that client certificates must chain to.
	// When it is set, a certificate that a client presents is verified;
	// when it is empty, clients are not asked for one.
	ClientCAFile string
	// RequireClientCert refuses clients without a verified certificate;
	// it needs ClientCAFile.
	RequireClientCert bool
	// ReloadInterval is how often Run compares the files' modification
	// times and sizes with those of the material in use: zero means
	// DefaultReloadInterval, a negative value never reloads.
	ReloadInterval time.Duration
}

// A Server hands TLS handshakes the certificate, key and client CAs
// currently on disk. Its TLSConfig is fixed; each handshake gets the
// material that Run last loaded, through GetConfigForClient, so that
// rotating the files needs no restart and connections already open keep
// the material they were made with.
type Server struct {
	cfg     ServerConfig
	log     *slog.Logger
	current atomic.Pointer[material] // written by NewServer, then by Run alone
}

// material is one consistent load of the server's files.
type material struct {
	config *tls.Config // returned by GetConfigForClient; never modified
	leaf   *x509.Certificate
	stamps []stamp // of the files, taken before they were read
}

// NewServer loads the files named by cfg and returns a Server serving
// them. It fails if they cannot be read or do not form a valid key pair, so
// that a misconfigured server does not start. log may be nil.
func NewServer(cfg ServerConfig, log *slog.Logger) (*Server, error) {
	if cfg.CertFile == "" || cfg.KeyFile == "" {
		return nil, errors.New("tlsconf: a server needs both a certificate file and a key file")
	}
	if cfg.RequireClientCert && cfg.ClientCAFile == "" {
		return nil, errors.New("tlsconf: requiring client certificates needs a client CA file")
	}
	if cfg.ReloadInterval == 0 {
		cfg.ReloadInterval = DefaultReloadInterval
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log.With("component", "tls")}
	m, err := s.load(s.stat())
	if err != nil {
		return nil, err
	}
	s.current.Store(m)
	if outOfDate(m.leaf) {
		s.log.Warn("the TLS certificate is not valid now", "not_before", m.leaf.NotBefore, "not_after", m.leaf.NotAfter)
	}
	return s, nil
}

// TLSConfig returns a new configuration for a listener, for example
// credentials.NewTLS(s.TLSConfig()) for a gRPC server. Its
// GetConfigForClient gives each handshake the material loaded last; that
// configuration offers ALPN protocol "h2", as HTTP/2 and gRPC need.
func (s *Server) TLSConfig() *tls.Config {
	c := baseConfig()
	c.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return s.current.Load().config, nil
	}
	return c
}

// Certificate returns the leaf certificate in use.
func (s *Server) Certificate() *x509.Certificate {
	return s.current.Load().leaf
}

// Run checks the files every ReloadInterval until ctx ends, and loads them
// again when one has changed. A load that fails is logged as a warning and
// the previous material stays in use; it is retried at every check until
// it succeeds or the files are restored. Run returns when ctx ends, or at
// once when reloading is off; call it once, from a goroutine its caller
// waits for.
func (s *Server) Run(ctx context.Context) {
	if s.cfg.ReloadInterval < 0 {
		return
	}
	tick := time.NewTicker(s.cfg.ReloadInterval)
	defer tick.Stop()
	var failed []stamp // stamps of the last failed load, to warn once per change
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		stamps := s.stat()
		if stampsEqual(stamps, s.current.Load().stamps) {
			failed = nil
			continue
		}
		m, err := s.load(stamps)
		if err != nil {
			if !stampsEqual(stamps, failed) {
				s.log.WarnContext(ctx, "keeping the previous TLS certificate", "err", err)
			}
			failed = stamps
			continue
		}
		failed = nil
		s.current.Store(m)
		s.log.InfoContext(ctx, "TLS certificate reloaded", "serial", m.leaf.SerialNumber.Text(16),
			"subject", m.leaf.Subject.String(), "not_after", m.leaf.NotAfter)
		if outOfDate(m.leaf) {
			s.log.WarnContext(ctx, "the TLS certificate is not valid now", "not_before", m.leaf.NotBefore, "not_after", m.leaf.NotAfter)
		}
	}
}

// outOfDate reports whether clients will refuse leaf because it has expired
// or is not valid yet. Such a certificate is still served, with a warning:
// the files on disk are what the operator asked for.
func outOfDate(leaf *x509.Certificate) bool {
	now := time.Now()
	return now.Before(leaf.NotBefore) || now.After(leaf.NotAfter)
}

// load reads the files; stamps were taken before reading them, so that a
// change made while they are read is seen at the next check.
func (s *Server) load(stamps []stamp) (*material, error) {
	cert, err := tls.LoadX509KeyPair(s.cfg.CertFile, s.cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: load key pair %s, %s: %w", s.cfg.CertFile, s.cfg.KeyFile, err)
	}
	if cert.Leaf == nil { // GODEBUG x509keypairleaf=0
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("tlsconf: parse %s: %w", s.cfg.CertFile, err)
		}
	}
	c := baseConfig()
	c.Certificates = []tls.Certificate{cert}
	c.NextProtos = []string{"h2"}
	if s.cfg.ClientCAFile != "" {
		pool, err := loadCertPool(s.cfg.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tlsconf: load client CAs: %w", err)
		}
		c.ClientCAs = pool
		c.ClientAuth = tls.VerifyClientCertIfGiven
		if s.cfg.RequireClientCert {
			c.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return &material{config: c, leaf: cert.Leaf, stamps: stamps}, nil
}

// A stamp tells whether a file has changed: a file replaced by a rename
// (as Kubernetes does with secrets) or rewritten in place differs in
// modification time, size or identity.
type stamp struct {
	info os.FileInfo // nil when err is set
	err  string
}

// stat takes the stamps of the server's files, in a fixed order.
func (s *Server) stat() []stamp {
	names := []string{s.cfg.CertFile, s.cfg.KeyFile}
	if s.cfg.ClientCAFile != "" {
		names = append(names, s.cfg.ClientCAFile)
	}
	stamps := make([]stamp, len(names))
	for i, name := range names {
		fi, err := os.Stat(name)
		if err != nil {
			stamps[i].err = err.Error()
			continue
		}
		stamps[i].info = fi
	}
	return stamps
}

func stampsEqual(a, b []stamp) bool {
	return slices.EqualFunc(a, b, func(x, y stamp) bool {
		if x.info == nil || y.info == nil {
			return x.info == nil && y.info == nil && x.err == y.err
		}
		return x.info.ModTime().Equal(y.info.ModTime()) && x.info.Size() == y.info.Size() &&
			os.SameFile(x.info, y.info)
	})
}
