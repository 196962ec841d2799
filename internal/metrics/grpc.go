package metrics

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/reflection"
)

// ServerInterceptors returns the interceptors that record the gRPC server
// metrics (grpc_server_started_total, grpc_server_handled_total,
// grpc_server_handling_seconds, grpc_server_msg_{received,sent}_total).
// Put them first in the chains, so that they see the code a call finally
// ends with, after panics are recovered.
func (m *Metrics) ServerInterceptors() (grpc.UnaryServerInterceptor, grpc.StreamServerInterceptor) {
	return m.grpc.UnaryServerInterceptor(), m.grpc.StreamServerInterceptor()
}

// InitializeGRPC creates, at zero, the series of every method registered
// on s (a *grpc.Server, once its services are registered), so that rates
// and alerts see methods that were never called.
func (m *Metrics) InitializeGRPC(s reflection.ServiceInfoProvider) { m.grpc.InitializeMetrics(s) }
