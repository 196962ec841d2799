package metrics

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServerInterceptors(t *testing.T) {
	t.Parallel()
	m := New()
	unary, stream := m.ServerInterceptors()
	gs := grpc.NewServer(grpc.ChainUnaryInterceptor(unary), grpc.ChainStreamInterceptor(stream))
	hs := health.NewServer()
	hs.SetServingStatus("pdp", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(gs, hs)
	m.InitializeGRPC(gs)
	lis := bufconn.Listen(1 << 20)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	t.Cleanup(func() {
		gs.Stop()
		<-served
	})
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)
	for range 2 {
		_, err := client.Check(t.Context(), &healthpb.HealthCheckRequest{Service: "pdp"})
		require.NoError(t, err)
	}
	_, err = client.Check(t.Context(), &healthpb.HealthCheckRequest{Service: "nope"})
	require.Equal(t, codes.NotFound, status.Code(err), "Check of an unknown service: %v", err)

	got := scrape(t, m.Handler(false))
	const labels = `grpc_method="Check",grpc_service="grpc.health.v1.Health",grpc_type="unary"`
	want := map[string]float64{
		`grpc_server_started_total{` + labels + `}`:                                                                     3,
		`grpc_server_handled_total{grpc_code="OK",` + labels + `}`:                                                      2,
		`grpc_server_handled_total{grpc_code="NotFound",` + labels + `}`:                                                1,
		`grpc_server_handled_total{grpc_code="Internal",` + labels + `}`:                                                0,
		`grpc_server_handling_seconds_count{` + labels + `}`:                                                            3,
		`grpc_server_started_total{grpc_method="Watch",grpc_service="grpc.health.v1.Health",grpc_type="server_stream"}`: 0,
	}
	for name, w := range want {
		if assert.Contains(t, got, name) {
			assert.Equal(t, w, got[name], name)
		}
	}
}
