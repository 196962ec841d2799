package tlsconf_test

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/pdp-dev/pdp/internal/logbuf"
	"github.com/pdp-dev/pdp/internal/tlsconf"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitFor bounds every wait of these tests.
const waitFor = 10 * time.Second

// reloadInterval is the servers' polling interval in these tests.
const reloadInterval = 20 * time.Millisecond

// identityHeader is the response header in which the test server returns
// the caller's identity, or "-" when it has none.
const identityHeader = "peer-identity"

// syncBuffer is where a server logs while the test reads.
type syncBuffer = logbuf.Buffer

// devDir writes development certificates into a new directory.
func devDir(t *testing.T, opts tlsconf.DevOptions) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, tlsconf.GenerateDev(dir, opts), "GenerateDev")
	return dir
}

// A testServer is a gRPC server with the health service over TLS from a
// tlsconf.Server whose Run is running.
type testServer struct {
	addr string
	tls  *tlsconf.Server
	log  *syncBuffer
}

// startServer serves on a loopback port until the test ends.
func startServer(t *testing.T, cfg tlsconf.ServerConfig) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	if cfg.ReloadInterval == 0 {
		cfg.ReloadInterval = reloadInterval
	}
	ts, err := tlsconf.NewServer(cfg, slog.New(slog.NewTextHandler(logs, nil)))
	require.NoError(t, err, "NewServer")
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gs := grpc.NewServer(grpc.Creds(credentials.NewTLS(ts.TLSConfig())), grpc.UnaryInterceptor(identityInterceptor))
	healthpb.RegisterHealthServer(gs, health.NewServer())

	ctx, cancel := context.WithCancel(t.Context())
	reloaded, served := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(reloaded)
		ts.Run(ctx)
	}()
	go func() {
		defer close(served)
		assert.NoError(t, gs.Serve(lis), "Serve")
	}()
	t.Cleanup(func() {
		cancel()
		gs.Stop()
		for _, c := range []<-chan struct{}{reloaded, served} {
			select {
			case <-c:
			case <-time.After(waitFor):
				assert.Fail(t, "the server did not stop")
			}
		}
	})
	return &testServer{addr: lis.Addr().String(), tls: ts, log: logs}
}

// identityInterceptor returns the caller's tlsconf.PeerIdentity in the
// response header identityHeader.
func identityInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	id := "-"
	if p, ok := peer.FromContext(ctx); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok {
			if s, ok := tlsconf.PeerIdentity(info.State); ok {
				id = s
			}
		}
	}
	if err := grpc.SetHeader(ctx, metadata.Pairs(identityHeader, id)); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// A callResult is what a client learnt from one health check.
type callResult struct {
	serial   *big.Int // of the server's certificate
	version  uint16   // TLS version negotiated
	identity string   // the server's view of the client, "-" for none
}

// call makes a health check on a new connection, so with a new handshake.
func call(t *testing.T, addr string, cfg *tls.Config) (callResult, error) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	require.NoError(t, err, "grpc.NewClient")
	defer conn.Close()
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	defer cancel()
	var p peer.Peer
	var md metadata.MD
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Peer(&p), grpc.Header(&md)); err != nil {
		return callResult{}, err
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.PeerCertificates) == 0 {
		return callResult{}, errors.New("the call did not travel over TLS")
	}
	var id string
	if v := md.Get(identityHeader); len(v) == 1 {
		id = v[0]
	}
	return callResult{serial: info.State.PeerCertificates[0].SerialNumber, version: info.State.Version, identity: id}, nil
}

// mustCall is call for a client that must be accepted.
func mustCall(t *testing.T, addr string, cfg *tls.Config) callResult {
	t.Helper()
	res, err := call(t, addr, cfg)
	require.NoError(t, err, "call")
	return res
}

// clientConfig returns a client configuration trusting caDir's CA, with
// certDir's client certificate unless certDir is empty.
func clientConfig(t *testing.T, caDir, certDir string) *tls.Config {
	t.Helper()
	cfg := tlsconf.ClientConfig{CAFile: filepath.Join(caDir, tlsconf.DevCAFile)}
	if certDir != "" {
		cfg.CertFile = filepath.Join(certDir, tlsconf.DevClientCertFile)
		cfg.KeyFile = filepath.Join(certDir, tlsconf.DevClientKeyFile)
	}
	c, err := tlsconf.NewClient(cfg)
	require.NoError(t, err, "NewClient")
	return c
}

// serverFiles returns the configuration serving dir's server certificate.
func serverFiles(dir string) tlsconf.ServerConfig {
	return tlsconf.ServerConfig{
		CertFile: filepath.Join(dir, tlsconf.DevServerCertFile),
		KeyFile:  filepath.Join(dir, tlsconf.DevServerKeyFile),
	}
}

// waitUntil checks cond twice per reload interval until it holds, failing
// the test after waitFor.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, waitFor, reloadInterval/2, "timed out after %v waiting for %s", waitFor, what)
}

// wantRefused checks that a call failed as UNAVAILABLE, with a message
// containing want unless want is empty. A client sees why the server
// refused its certificate only sometimes: in TLS 1.3 the client's side of
// the handshake is over when the server checks it, so it may read the
// server's alert or just a broken pipe.
func wantRefused(t *testing.T, res callResult, err error, want string) {
	t.Helper()
	require.Error(t, err, "call succeeded (identity %q); want it refused", res.identity)
	assert.Equal(t, codes.Unavailable, status.Code(err), "call error %q", err)
	assert.ErrorContains(t, err, want)
}
