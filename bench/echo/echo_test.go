package echo_test

import (
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/proto"

	"github.com/pdp-dev/pdp/bench/echo"
	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// dial starts the echo server on a loopback port and returns a client
// connection to it over TCP, as a load tool would make.
func dial(t *testing.T) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gs := echo.NewGRPCServer()
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	t.Cleanup(func() {
		gs.Stop()
		assert.NoError(t, <-served, "Serve")
	})
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestCheck(t *testing.T) {
	t.Parallel()
	client := pdpv1.NewAuthorizationServiceClient(dial(t))
	resp, err := client.Check(t.Context(), &pdpv1.CheckRequest{
		Principal: "arn:aws:iam::111122223333:user/alice",
		Action:    "mobiletargeting:GetSegment",
		Resource:  "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users",
		Context: map[string]*pdpv1.ContextValue{
			"aws:SourceIp": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "10.0.0.1"}},
		},
	})
	require.NoError(t, err, "Check")
	want := &pdpv1.CheckResponse{Decision: pdpv1.Decision_DECISION_ALLOW, Revision: echo.Revision,
		PrincipalStatus: pdpv1.ModelStatus_MODEL_STATUS_KNOWN, ResourceStatus: pdpv1.ModelStatus_MODEL_STATUS_KNOWN}
	assert.True(t, proto.Equal(resp, want), "Check = %v, want %v", resp, want)
}

func TestBatchCheck(t *testing.T) {
	t.Parallel()
	client := pdpv1.NewAuthorizationServiceClient(dial(t))
	for _, n := range []int{0, 1, 100, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			req := &pdpv1.BatchCheckRequest{Principal: "arn:aws:iam::111122223333:user/alice"}
			for i := range n {
				req.Items = append(req.Items, &pdpv1.BatchCheckItem{
					Action:   "mobiletargeting:GetCampaign",
					Resource: fmt.Sprintf("arn:aws:mobiletargeting:us-east-1:111122223333:apps/app%d/campaigns/c0", i),
				})
			}
			resp, err := client.BatchCheck(t.Context(), req)
			require.NoError(t, err, "BatchCheck")
			require.Len(t, resp.GetResults(), n, "results of a BatchCheck of %d items", n)
			assert.Equal(t, int64(echo.Revision), resp.GetRevision(), "revision")
			for i, r := range resp.GetResults() {
				require.Equal(t, pdpv1.Decision_DECISION_ALLOW, r.GetDecision(), "result %d = %v, want a bare DECISION_ALLOW", i, r)
				require.Nil(t, r.GetError(), "result %d = %v, want a bare DECISION_ALLOW", i, r)
				require.Nil(t, r.GetExplanation(), "result %d = %v, want a bare DECISION_ALLOW", i, r)
			}
		})
	}
}

// TestHealthAndReflection checks what load tools need besides the service:
// health says SERVING, and reflection lists the service, so that ghz and k6
// find its methods without the .proto file.
func TestHealthAndReflection(t *testing.T) {
	t.Parallel()
	conn := dial(t)
	for _, svc := range []string{"", pdpv1.AuthorizationService_ServiceDesc.ServiceName} {
		resp, err := healthpb.NewHealthClient(conn).Check(t.Context(), &healthpb.HealthCheckRequest{Service: svc})
		require.NoError(t, err, "health of %q", svc)
		assert.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus(), "health of %q", svc)
	}

	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(t.Context())
	require.NoError(t, err)
	req := &reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}
	require.NoError(t, stream.Send(req))
	resp, err := stream.Recv()
	require.NoError(t, err)
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	assert.Contains(t, names, "pdp.v1.AuthorizationService", "services reflection lists")
	require.NoError(t, stream.CloseSend())
}

// TestCheckStream answers every request of a stream in order, as Check
// answers it, and ends the stream when the client closes its side.
func TestCheckStream(t *testing.T) {
	t.Parallel()
	client := pdpv1.NewAuthorizationServiceClient(dial(t))
	stream, err := client.CheckStream(t.Context())
	require.NoError(t, err, "CheckStream")
	const n = 100
	for i := range n {
		req := &pdpv1.CheckStreamRequest{Id: uint64(i + 1), Check: &pdpv1.CheckRequest{
			Principal: "arn:aws:iam::111122223333:user/alice", Action: "mobiletargeting:GetSegment",
			Resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users"}}
		require.NoError(t, stream.Send(req), "Send %d", i)
	}
	require.NoError(t, stream.CloseSend(), "CloseSend")
	want := &pdpv1.CheckResponse{Decision: pdpv1.Decision_DECISION_ALLOW, Revision: echo.Revision,
		PrincipalStatus: pdpv1.ModelStatus_MODEL_STATUS_KNOWN, ResourceStatus: pdpv1.ModelStatus_MODEL_STATUS_KNOWN}
	for i := range n {
		res, err := stream.Recv()
		require.NoError(t, err, "Recv %d", i)
		require.Equal(t, uint64(i+1), res.GetId(), "id of response %d", i)
		require.True(t, proto.Equal(res.GetResult(), want), "response %d = %v, want %v", i, res, want)
	}
	_, err = stream.Recv()
	assert.ErrorIs(t, err, io.EOF, "after the last response")
}
