package server_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
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

// panicky is an authorization service whose Check panics, to check that
// the server recovers.
type panicky struct {
	pdpv1.UnimplementedAuthorizationServiceServer
}

func (panicky) Check(context.Context, *pdpv1.CheckRequest) (*pdpv1.CheckResponse, error) {
	panic("checking went wrong")
}

// serveLogged serves what register adds with NewGRPCServer(cfg), logging at
// level into the returned buffer, and returns a client connection.
func serveLogged(t *testing.T, cfg server.GRPCConfig, level slog.Level, register func(*grpc.Server)) (*grpc.ClientConn, *logbuf.Buffer) {
	t.Helper()
	var logs logbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: level}))
	gs := server.NewGRPCServer(cfg, log)
	register(gs)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn, &logs
}

// TestCallLog checks the line logged when a unary call ends: successes at
// Debug only, failures at the level of their code, each with the call's
// fields.
func TestCallLog(t *testing.T) {
	t.Parallel()
	cat := loadCatalog(t)
	good := &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: usEast()}
	bad := &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaignz", Resource: springSale}
	common := []string{
		`request_id=req-42`, `protocol=grpc`, `grpc.component=server`, `grpc.service=pdp.v1.AuthorizationService`,
		`grpc.method=Check`, `grpc.method_type=unary`, `peer.address=bufconn`, `grpc.start_time=\S+`,
		`grpc.request.deadline=\S+`,
	}
	for _, tc := range []struct {
		name      string
		level     slog.Level
		wantLines []string // patterns of the lines logged, in order
	}{
		{
			name:  "debug",
			level: slog.LevelDebug,
			wantLines: []string{
				`level=DEBUG msg="finished call" ` + strings.Join(common, " ") + ` grpc.code=OK grpc.time_ms=[0-9.e+-]+$`,
				`level=INFO msg="finished call" ` + strings.Join(common, " ") + ` grpc.code=InvalidArgument ` +
					`grpc.error="rpc error: code = InvalidArgument desc = action: unknown action \\"mobiletargeting:GetCampaignz\\".*" grpc.time_ms=[0-9.e+-]+$`,
			},
		},
		{
			name:  "info",
			level: slog.LevelInfo,
			wantLines: []string{
				`level=INFO msg="finished call" ` + strings.Join(common, " ") + ` grpc.code=InvalidArgument grpc.error=.* grpc.time_ms=[0-9.e+-]+$`,
			},
		},
		{name: "warn", level: slog.LevelWarn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := server.New(server.Config{}, cat, nil)
			srv.Activate(exampleSnapshot(t, cat, 1))
			conn, logs := serveLogged(t, server.GRPCConfig{}, tc.level, srv.Register)
			client := pdpv1.NewAuthorizationServiceClient(conn)
			ctx := metadata.AppendToOutgoingContext(t.Context(), server.RequestIDMetadata, "req-42")
			_, err := client.Check(ctx, good)
			require.NoError(t, err)
			_, err = client.Check(ctx, bad)
			require.Equal(t, codes.InvalidArgument, status.Code(err), "Check: %v", err)
			var lines []string
			for l := range strings.Lines(logs.String()) {
				if strings.Contains(l, "finished call") {
					lines = append(lines, strings.TrimSuffix(l, "\n"))
				}
			}
			require.Len(t, lines, len(tc.wantLines), "lines logged:\n%s", logs.String())
			for i, want := range tc.wantLines {
				assert.Regexp(t, want, lines[i], "line %d", i)
			}
		})
	}
}

// TestPanicRecovered checks that a panicking handler ends its call with
// INTERNAL and its stack in the log, and that observers see the INTERNAL,
// with and without observers.
func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	for _, observe := range []bool{false, true} {
		var seen atomic.Int64 // the code the observer saw
		seen.Store(-1)
		cfg := server.GRPCConfig{}
		if observe {
			cfg.ObserveUnary = []grpc.UnaryServerInterceptor{
				func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
					resp, err := handler(ctx, req)
					seen.Store(int64(status.Code(err)))
					return resp, err
				},
			}
		}
		conn, logs := serveLogged(t, cfg, slog.LevelInfo, func(gs *grpc.Server) {
			pdpv1.RegisterAuthorizationServiceServer(gs, panicky{})
		})
		_, err := pdpv1.NewAuthorizationServiceClient(conn).Check(t.Context(), &pdpv1.CheckRequest{})
		st := status.Convert(err)
		assert.Equal(t, codes.Internal, st.Code(), "observe %v: Check: %v", observe, err)
		assert.Equal(t, "internal error", st.Message(), "observe %v: Check: %v", observe, err)
		for _, want := range []string{`msg="panic in handler" panic="checking went wrong" stack=`, `grpc.code=Internal`} {
			assert.Contains(t, logs.String(), want, "observe %v: the log", observe)
		}
		if observe {
			assert.Equal(t, codes.Internal, codes.Code(seen.Load()), "what the observer saw")
		}
	}
}

// TestDefaultDeadlineKept checks that a call's own deadline is not
// replaced by the default one.
func TestDefaultDeadlineKept(t *testing.T) {
	t.Parallel()
	var got atomic.Int64 // Unix nanoseconds of the handler's deadline
	conn, _ := serveLogged(t, server.GRPCConfig{DefaultDeadline: time.Hour}, slog.LevelInfo, func(gs *grpc.Server) {
		pdpv1.RegisterAuthorizationServiceServer(gs, deadlineProbe{got: &got})
	})
	client := pdpv1.NewAuthorizationServiceClient(conn)
	want := time.Now().Add(time.Minute)
	ctx, cancel := context.WithDeadline(t.Context(), want)
	defer cancel()
	_, err := client.Check(ctx, &pdpv1.CheckRequest{})
	require.NoError(t, err)
	assert.WithinDuration(t, want, time.Unix(0, got.Load()), time.Second, "the handler's deadline, want the call's")
	_, err = client.Check(t.Context(), &pdpv1.CheckRequest{})
	require.NoError(t, err)
	d := time.Until(time.Unix(0, got.Load()))
	assert.GreaterOrEqual(t, d, 59*time.Minute, "without a deadline of its own the handler's is this far away, want the default hour")
	assert.LessOrEqual(t, d, time.Hour, "without a deadline of its own the handler's is this far away, want the default hour")
}

// deadlineProbe notes the deadline its Check runs with.
type deadlineProbe struct {
	pdpv1.UnimplementedAuthorizationServiceServer
	got *atomic.Int64
}

func (p deadlineProbe) Check(ctx context.Context, _ *pdpv1.CheckRequest) (*pdpv1.CheckResponse, error) {
	d, _ := ctx.Deadline()
	p.got.Store(d.UnixNano())
	return &pdpv1.CheckResponse{}, nil
}
