package server_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/logbuf"
	"github.com/pdp-dev/pdp/internal/server"
)

// TestGRPCServerInterceptors checks the interceptors NewGRPCServer installs:
// the request id from the metadata reaches the call's log line, and a call
// without a deadline gets the default one.
func TestGRPCServerInterceptors(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cat := loadCatalog(t)
	srv := server.New(server.Config{}, cat, log)
	// No snapshot and a min_revision: the call waits, so the default
	// deadline is what ends it.
	gs := server.NewGRPCServer(server.GRPCConfig{DefaultDeadline: 200 * time.Millisecond}, log)
	srv.Register(gs)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	client := pdpv1.NewAuthorizationServiceClient(conn)

	ctx := metadata.AppendToOutgoingContext(t.Context(), server.RequestIDMetadata, "req-42")
	start := time.Now()
	_, err = client.Check(ctx, &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign",
		Resource: springSale, MinRevision: 7})
	require.Equal(t, codes.Unavailable, status.Code(err), "Check: %v, want UNAVAILABLE once the default deadline passes", err)
	assert.LessOrEqual(t, time.Since(start), 5*time.Second, "time the call took; the default deadline is 200ms")
	assert.Contains(t, logs.String(), "request_id=req-42", "the call's log line")
}

// TestMaxConcurrentStreams checks that a connection carries no more calls at
// once than configured: with a limit of one, a second call waits until a
// slow first one is done.
func TestMaxConcurrentStreams(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	srv := server.New(server.Config{}, cat, nil)
	srv.Activate(exampleSnapshot(t, cat, 1))
	// slowEntered is closed when the slow call has reached its handler,
	// holding the connection's one stream.
	slowEntered := make(chan struct{})
	entered := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if r, ok := req.(*pdpv1.CheckRequest); ok && r.GetMinRevision() == 99 {
			close(slowEntered)
		}
		return h(ctx, req)
	}
	gs := server.NewGRPCServer(server.GRPCConfig{MaxConcurrentStreams: 1, Unary: []grpc.UnaryServerInterceptor{entered}}, nil)
	srv.Register(gs)
	lis := bufconn.Listen(1 << 20)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(lis)
	}()
	t.Cleanup(func() {
		gs.Stop()
		<-served
	})
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	client := pdpv1.NewAuthorizationServiceClient(conn)
	// Open the connection so that the server's limit is known to the client.
	_, err = client.Check(t.Context(), &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign",
		Resource: springSale, Context: usEast()})
	require.NoError(t, err)
	slowDone := make(chan time.Time, 1)
	go func() {
		// A revision the server never reaches: the call holds its stream
		// until its deadline.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_, _ = client.Check(ctx, &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign",
			Resource: springSale, MinRevision: 99})
		slowDone <- time.Now()
	}()
	select {
	case <-slowEntered:
	case <-time.After(30 * time.Second):
		require.FailNow(t, "the slow call never reached the server")
	}
	_, err = client.Check(t.Context(), &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign",
		Resource: springSale, Context: usEast()})
	require.NoError(t, err)
	fastDone := time.Now()
	slow := <-slowDone
	assert.False(t, fastDone.Before(slow.Add(-50*time.Millisecond)),
		"the second call finished %v before the slow one; with one stream per connection it must wait", slow.Sub(fastDone))
}
