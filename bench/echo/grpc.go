package echo

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// The transport settings of pdp serve's gRPC server with its default
// flags (server.NewGRPCServer in the main module): keep them equal, so that
// the baseline differs from pdp only in what the handlers and interceptors
// do.
const (
	MaxMessageBytes      = 4 << 20
	MaxConcurrentStreams = 256
)

// ServerOptions returns the gRPC server options pdp serve uses that bear on
// speed: message size limits, concurrent streams per connection and
// keepalive enforcement. pdp's interceptors are left out on purpose.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageBytes),
		grpc.MaxSendMsgSize(MaxMessageBytes),
		grpc.MaxConcurrentStreams(MaxConcurrentStreams),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: time.Minute, Timeout: 20 * time.Second}),
	}
}

// NewGRPCServer returns a gRPC server with ServerOptions that serves the
// echo AuthorizationService, gRPC health checking (SERVING from the start:
// there is nothing to load) and server reflection.
func NewGRPCServer() *grpc.Server {
	gs := grpc.NewServer(ServerOptions()...)
	pdpv1.RegisterAuthorizationServiceServer(gs, Server{})
	hs := health.NewServer()
	hs.SetServingStatus(pdpv1.AuthorizationService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(gs, hs)
	reflection.Register(gs)
	return gs
}
