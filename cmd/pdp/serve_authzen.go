package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/pdp-dev/pdp/internal/auth"
	"github.com/pdp-dev/pdp/internal/authzen"
	"github.com/pdp-dev/pdp/internal/server"
)

// authzenOptions are the flags of the AuthZEN API (see internal/authzen).
type authzenOptions struct {
	listen  string // "": off
	baseURL string // "": https://ADDR (http:// without TLS)
}

// register adds the API's flags to fs.
func (z *authzenOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&z.listen, "http-listen", "",
		"`address` to serve the OpenID AuthZEN Authorization API on over HTTP, with the TLS and decision authentication "+
			"of --listen; off when empty (PDP_HTTP_LISTEN)")
	fs.StringVar(&z.baseURL, "authzen-base-url", "",
		"`URL` clients reach the AuthZEN API at, published as policy_decision_point in /.well-known/authzen-configuration; "+
			"empty: https://ADDR of --http-listen (PDP_AUTHZEN_BASE_URL)")
}

// check refuses a plaintext listener that is not loopback, as --listen does.
func (z authzenOptions) check(tlsOn, insecurePlaintext bool) error {
	if z.listen != "" && !tlsOn && !insecurePlaintext && !auth.IsLoopback(z.listen) {
		return fmt.Errorf("-http-listen %q is not a loopback address and would serve plaintext: "+
			"serve TLS with -tls-cert and -tls-key, or pass -insecure-plaintext", z.listen)
	}
	if z.baseURL != "" && z.listen == "" {
		return errors.New("-authzen-base-url needs -http-listen")
	}
	return nil
}

// authzenDoor is the running HTTP server of the API.
type authzenDoor struct {
	hs     *http.Server
	served chan error
}

// start listens on --http-listen and serves the API, deciding with srv and
// authenticating with az (which requires authentication when requireAuth,
// --require-auth-decisions, is set); tlsCfg is the gRPC listener's TLS
// (nil: plaintext). It returns nil when the API is off.
func (z authzenOptions) start(ctx context.Context, log *slog.Logger, srv *server.Server, az *auth.Authorizer,
	tlsCfg *tls.Config, maxBody int, requireAuth bool) (*authzenDoor, error) {
	if z.listen == "" {
		return nil, nil
	}
	lis, err := net.Listen("tcp", z.listen)
	if err != nil {
		return nil, fmt.Errorf("http-listen: %w", err)
	}
	base := z.baseURL
	if base == "" {
		scheme := "https"
		if tlsCfg == nil {
			scheme = "http"
		}
		base = scheme + "://" + lis.Addr().String()
	}
	// The search APIs ask pdp.v1.AccessService on the same snapshots; Impact
	// is not asked, so no store is needed.
	search := authzen.NewAccessSearcher(server.NewAccess(srv, nil))
	h := authzen.New(authzen.Config{BaseURL: base, MaxBodyBytes: int64(maxBody), MaxEvaluations: srv.MaxBatchItems(),
		Guard: az, Searcher: search}, srv, log)
	d := &authzenDoor{served: make(chan error, 1), hs: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}}
	if tlsCfg != nil {
		d.hs.TLSConfig = httpTLS(tlsCfg)
		go func() { d.served <- d.hs.ServeTLS(lis, "", "") }()
	} else {
		go func() { d.served <- d.hs.Serve(lis) }()
	}
	if !auth.IsLoopback(z.listen) && !requireAuth {
		log.WarnContext(ctx, fmt.Sprintf("AuthZEN decisions are not authenticated on %s, which is not a loopback address: "+
			"anyone who reaches it may ask for decisions; -require-auth-decisions requires credentials", z.listen))
	}
	log.InfoContext(ctx, "serving AuthZEN", "addr", lis.Addr().String(), "policy_decision_point", base)
	return d, nil
}

// httpTLS adapts the gRPC listener's TLS configuration, which offers only
// HTTP/2, to offer HTTP/1.1 too; certificates and client CAs are the same
// and reload with it.
func httpTLS(grpcCfg *tls.Config) *tls.Config {
	c := grpcCfg.Clone()
	inner := grpcCfg.GetConfigForClient
	c.NextProtos = []string{"h2", "http/1.1"}
	if inner != nil {
		c.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			cfg, err := inner(hello)
			if err != nil || cfg == nil {
				return cfg, err
			}
			cfg = cfg.Clone()
			cfg.NextProtos = []string{"h2", "http/1.1"}
			return cfg, nil
		}
	}
	return c
}

// stop lets requests in flight finish within grace, then closes every
// connection. A nil door does nothing.
func (d *authzenDoor) stop(log *slog.Logger, grace time.Duration) {
	if d == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := d.hs.Shutdown(ctx); err != nil {
		_ = d.hs.Close()
	}
	if err := <-d.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("AuthZEN server stopped", "err", err)
	}
}
