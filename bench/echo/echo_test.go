package echo_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"testing"

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
	if err != nil {
		t.Fatal(err)
	}
	gs := echo.NewGRPCServer()
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	t.Cleanup(func() {
		gs.Stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
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
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	want := &pdpv1.CheckResponse{Decision: pdpv1.Decision_DECISION_ALLOW, Revision: echo.Revision,
		PrincipalStatus: pdpv1.ModelStatus_MODEL_STATUS_KNOWN, ResourceStatus: pdpv1.ModelStatus_MODEL_STATUS_KNOWN}
	if !proto.Equal(resp, want) {
		t.Errorf("Check = %v, want %v", resp, want)
	}
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
			if err != nil {
				t.Fatalf("BatchCheck: %v", err)
			}
			if got := len(resp.GetResults()); got != n {
				t.Fatalf("BatchCheck of %d items returned %d results", n, got)
			}
			if resp.GetRevision() != echo.Revision {
				t.Errorf("revision %d, want %d", resp.GetRevision(), echo.Revision)
			}
			for i, r := range resp.GetResults() {
				if r.GetDecision() != pdpv1.Decision_DECISION_ALLOW || r.GetError() != nil || r.GetExplanation() != nil {
					t.Fatalf("result %d = %v, want a bare DECISION_ALLOW", i, r)
				}
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
		if err != nil {
			t.Fatalf("health of %q: %v", svc, err)
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q = %v, want SERVING", svc, resp.GetStatus())
		}
	}

	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	req := &reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}
	if err := stream.Send(req); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	if !slices.Contains(names, "pdp.v1.AuthorizationService") {
		t.Errorf("reflection lists %v, want pdp.v1.AuthorizationService among them", names)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
}

// TestCheckStream answers every request of a stream in order, as Check
// answers it, and ends the stream when the client closes its side.
func TestCheckStream(t *testing.T) {
	t.Parallel()
	client := pdpv1.NewAuthorizationServiceClient(dial(t))
	stream, err := client.CheckStream(t.Context())
	if err != nil {
		t.Fatalf("CheckStream: %v", err)
	}
	const n = 100
	for i := range n {
		req := &pdpv1.CheckStreamRequest{Id: uint64(i + 1), Check: &pdpv1.CheckRequest{
			Principal: "arn:aws:iam::111122223333:user/alice", Action: "mobiletargeting:GetSegment",
			Resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users"}}
		if err := stream.Send(req); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	want := &pdpv1.CheckResponse{Decision: pdpv1.Decision_DECISION_ALLOW, Revision: echo.Revision,
		PrincipalStatus: pdpv1.ModelStatus_MODEL_STATUS_KNOWN, ResourceStatus: pdpv1.ModelStatus_MODEL_STATUS_KNOWN}
	for i := range n {
		res, err := stream.Recv()
		if err != nil {
			t.Fatalf("Recv %d: %v", i, err)
		}
		if res.GetId() != uint64(i+1) || !proto.Equal(res.GetResult(), want) {
			t.Fatalf("response %d = %v, want id %d and %v", i, res, i+1, want)
		}
	}
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("after the last response: %v, want EOF", err)
	}
}
