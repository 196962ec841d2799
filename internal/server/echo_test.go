package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
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
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/decisionlog"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/servertest"
)

// loggedServer is a server serving examples/model whose call log and
// decision records a test reads.
type loggedServer struct {
	client  pdpv1.AuthorizationServiceClient
	conn    *grpc.ClientConn
	log     *servertest.LogBuffer
	mu      sync.Mutex
	records []decisionlog.Record
}

// newLoggedServer starts a server that accepts messages of up to 16 MiB,
// logging at Debug, with cfg's limits.
func newLoggedServer(t *testing.T, cfg server.Config) *loggedServer {
	t.Helper()
	ls := &loggedServer{log: &servertest.LogBuffer{}}
	log := slog.New(slog.NewTextHandler(ls.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Clock = func() time.Time { return fixedNow }
	cfg.Hooks.OnDecision = func(_ context.Context, r decisionlog.Record) {
		ls.mu.Lock()
		defer ls.mu.Unlock()
		ls.records = append(ls.records, r)
	}
	cat := loadCatalog(t)
	srv := server.New(cfg, cat, log)
	srv.Activate(exampleSnapshot(t, cat, 1))
	const maxMsg = 16 << 20
	gs := server.NewGRPCServer(server.GRPCConfig{MaxMessageBytes: maxMsg}, log)
	srv.Register(gs)
	lis := bufconn.Listen(1 << 20)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsg)))
	require.NoError(t, err)
	t.Cleanup(func() {
		conn.Close()
		gs.Stop()
		if err := <-served; !errors.Is(err, grpc.ErrServerStopped) {
			assert.NoError(t, err, "serve")
		}
	})
	ls.client, ls.conn = pdpv1.NewAuthorizationServiceClient(conn), conn
	return ls
}

// recordBytes adds up the caller's values a decision record holds.
func recordBytes(r decisionlog.Record) int {
	n := len(r.Principal) + len(r.Action) + len(r.Resource) + len(r.Error)
	if r.Context != nil {
		r.Context.Each(func(key string, values []string, _ bool) {
			n += len(key)
			for _, v := range values {
				n += len(v)
			}
		})
	}
	return n
}

// TestHugeValuesAreNotEchoed sends values of megabytes where the server
// names them in its answer: the error, the call's log line and the
// decision record each hold at most a few kilobytes, and the error says
// how long the value was.
func TestHugeValuesAreNotEchoed(t *testing.T) {
	const huge = 3_000_000
	ls := newLoggedServer(t, server.Config{Limits: server.Limits{MaxPolicyBytes: 8 << 20, MaxValueBytes: 4 << 20}})
	long := strings.Repeat("a", huge)
	check := func(r *pdpv1.CheckRequest) *pdpv1.CheckRequest {
		if r.Principal == "" {
			r.Principal = alice
		}
		if r.Action == "" {
			r.Action = "mobiletargeting:GetCampaign"
		}
		if r.Resource == "" {
			r.Resource = springSale
		}
		return r
	}
	bigPolicy := `{"Version":"2012-10-17","Statement":{"Effect":"` + long + `","Action":"mobiletargeting:GetCampaign","Resource":"*"}}`
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"resource", func(ctx context.Context) error {
			_, err := ls.client.Check(ctx, check(&pdpv1.CheckRequest{Resource: long}))
			return err
		}},
		{"action", func(ctx context.Context) error {
			_, err := ls.client.Check(ctx, check(&pdpv1.CheckRequest{Action: "mobiletargeting:" + long}))
			return err
		}},
		{"principal", func(ctx context.Context) error {
			_, err := ls.client.Check(ctx, check(&pdpv1.CheckRequest{Principal: "arn:aws:iam::" + long + ":user/x"}))
			return err
		}},
		{"resource account", func(ctx context.Context) error {
			_, err := ls.client.Check(ctx, check(&pdpv1.CheckRequest{ResourceAccount: long}))
			return err
		}},
		{"context key", func(ctx context.Context) error {
			_, err := ls.client.Check(ctx, check(&pdpv1.CheckRequest{Context: usEast("aws:PrincipalTag/"+long, "x")}))
			return err
		}},
		{"context value", func(ctx context.Context) error {
			_, err := ls.client.Check(ctx, check(&pdpv1.CheckRequest{Context: ctxMap("aws:SourceIp", long)}))
			return err
		}},
		{"simulate policy text", func(ctx context.Context) error {
			_, err := ls.client.Simulate(ctx, &pdpv1.SimulateRequest{Principal: alice, Action: "mobiletargeting:GetCampaign",
				Resource: "*", IdentityPolicies: []string{bigPolicy}})
			return err
		}},
		{"session policy text", func(ctx context.Context) error {
			_, err := ls.client.Check(ctx, check(&pdpv1.CheckRequest{Principal: analyst, SessionPolicies: []string{bigPolicy}}))
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logBefore := len(ls.log.String())
			err := tc.call(t.Context())
			require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
			size := proto.Size(status.Convert(err).Proto())
			assert.LessOrEqual(t, size, 16<<10, "error of %d bytes", size)
			assert.LessOrEqual(t, len(ls.log.String())-logBefore, 16<<10, "log lines of the call")
			assert.NotContains(t, status.Convert(err).Message(), strings.Repeat("a", 300))
		})
	}
	t.Run("request id", func(t *testing.T) {
		logBefore := len(ls.log.String())
		ctx := metadata.AppendToOutgoingContext(t.Context(), server.RequestIDMetadata, strings.Repeat("r", 1<<20))
		_, err := ls.client.Check(ctx, check(&pdpv1.CheckRequest{Resource: "not-an-arn"}))
		require.Equal(t, codes.InvalidArgument, status.Code(err))
		assert.LessOrEqual(t, len(ls.log.String())-logBefore, 16<<10, "log lines of the call")
	})
	t.Run("length noted", func(t *testing.T) {
		_, err := ls.client.Check(t.Context(), check(&pdpv1.CheckRequest{Resource: long}))
		assert.Contains(t, status.Convert(err).Message(), `…" (3000000 bytes)`)
	})
	t.Run("batch item and decision record", func(t *testing.T) {
		resp, err := ls.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Principal: alice, Context: usEast(),
			Items: []*pdpv1.BatchCheckItem{{Action: "mobiletargeting:GetCampaign", Resource: long}}})
		require.NoError(t, err)
		assert.LessOrEqual(t, proto.Size(resp), 4<<10)
		ls.mu.Lock()
		defer ls.mu.Unlock()
		require.NotEmpty(t, ls.records)
		for _, r := range ls.records {
			assert.LessOrEqual(t, recordBytes(r), 4<<10, "decision record")
		}
	})
}
