package tracing

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"
)

// Tests that set environment variables cannot be parallel; the others are.

func TestSetupOff(t *testing.T) {
	tests := []struct {
		name    string
		enabled bool
		env     map[string]string
	}{
		{name: "disabled", enabled: false, env: map[string]string{"OTEL_TRACES_EXPORTER": "console"}},
		{name: "exporter none", enabled: true, env: map[string]string{"OTEL_TRACES_EXPORTER": "none"}},
		{name: "sdk disabled", enabled: true, env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			opts, shutdown, err := Setup(t.Context(), tc.enabled, "pdp", "v0.0.0-test")
			require.NoError(t, err, "Setup")
			assert.Empty(t, opts, "options Setup returned")
			assert.NoError(t, shutdown(t.Context()), "shutdown")
		})
	}
}

func TestSetupExporterFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr bool
	}{
		// No collector listens there; with no spans, nothing is sent.
		{name: "otlp http", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}},
		{name: "otlp grpc", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}},
		{name: "console", env: map[string]string{"OTEL_TRACES_EXPORTER": "console"}},
		{name: "unknown exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin-v0"}, wantErr: true},
		{name: "unknown protocol", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "carrier-pigeon"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			opts, shutdown, err := Setup(t.Context(), true, "pdp", "v0.0.0-test")
			if tc.wantErr {
				if err == nil {
					_ = shutdown(t.Context())
				}
				require.Error(t, err, "Setup")
				return
			}
			require.NoError(t, err, "Setup")
			assert.Len(t, opts, 1, "options Setup returned")
			assert.NoError(t, shutdown(t.Context()), "shutdown")
		})
	}
}

func TestResourceFromEnv(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging,service.version=v9")
	res, err := newResource(t.Context(), "pdp", "v1.2.3")
	require.NoError(t, err, "newResource")
	want := map[attribute.Key]string{
		"service.name":                "pdp",
		"service.version":             "v9", // the environment wins
		"deployment.environment.name": "staging",
		"telemetry.sdk.language":      "go",
	}
	checkAttrs(t, "resource", res.Set(), want)
}

// testService answers EmptyCall and reports the span context its handler
// sees.
type testService struct {
	testpb.UnimplementedTestServiceServer
	seen chan trace.SpanContext
}

func (s *testService) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	s.seen <- trace.SpanContextFromContext(ctx)
	return &testpb.Empty{}, nil
}

// keptSpans is an in-memory exporter whose Shutdown keeps the spans and
// notes that it was called.
type keptSpans struct {
	*tracetest.InMemoryExporter
	shut atomic.Bool
}

func (k *keptSpans) Shutdown(context.Context) error {
	k.shut.Store(true)
	return nil
}

func TestServerSpan(t *testing.T) {
	t.Parallel()
	exp := &keptSpans{InMemoryExporter: tracetest.NewInMemoryExporter()}
	opts, shutdown, err := setup(t.Context(), exp, "pdp", "v1.2.3")
	require.NoError(t, err, "setup")
	// WaitForHandlers: Stop returns after the handlers, and so the stats
	// handler's end of the span, have run.
	gs := grpc.NewServer(append(opts, grpc.WaitForHandlers(true))...)
	svc := &testService{seen: make(chan trace.SpanContext, 1)}
	testpb.RegisterTestServiceServer(gs, svc)
	healthpb.RegisterHealthServer(gs, health.NewServer())
	lis := bufconn.Listen(1 << 20)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	cc, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err, "NewClient")
	defer cc.Close()

	const (
		traceID  = "4bf92f3577b34da6a3ce929d0e0e4736"
		parentID = "00f067aa0ba902b7"
	)
	ctx := metadata.AppendToOutgoingContext(t.Context(), "traceparent", "00-"+traceID+"-"+parentID+"-01")
	_, err = testpb.NewTestServiceClient(cc).EmptyCall(ctx, &testpb.Empty{})
	require.NoError(t, err, "EmptyCall")
	_, err = healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	require.NoError(t, err, "health Check")
	gs.Stop()
	assert.NoError(t, <-served, "Serve")
	require.NoError(t, shutdown(t.Context()), "shutdown")
	assert.True(t, exp.shut.Load(), "shutdown did not shut the exporter down")

	spans := exp.GetSpans() // flushed by shutdown
	if len(spans) != 1 {    // the health check is not traced
		for _, s := range spans {
			t.Logf("span %q", s.Name)
		}
		require.Len(t, spans, 1, "spans")
	}
	s := spans[0]
	assert.Equal(t, "grpc.testing.TestService/EmptyCall", s.Name, "span name")
	assert.Equal(t, trace.SpanKindServer, s.SpanKind, "span kind")
	assert.Equal(t, traceID, s.SpanContext.TraceID().String(), "trace id, want the caller's")
	assert.Equal(t, parentID, s.Parent.SpanID().String(), "parent span, want the caller's")
	assert.True(t, s.Parent.IsRemote(), "parent span is remote")
	attrs := attribute.NewSet(s.Attributes...)
	checkAttrs(t, "span", &attrs, map[attribute.Key]string{
		semconv.RPCMethodKey:     "grpc.testing.TestService/EmptyCall",
		semconv.RPCSystemNameKey: "grpc",
	})
	checkAttrs(t, "resource", s.Resource.Set(), map[attribute.Key]string{
		semconv.ServiceNameKey:    "pdp",
		semconv.ServiceVersionKey: "v1.2.3",
	})
	got := <-svc.seen
	assert.True(t, got.Equal(s.SpanContext), "handler saw span context %v, want the server span's %v", got, s.SpanContext)
}

func checkAttrs(t *testing.T, what string, set *attribute.Set, want map[attribute.Key]string) {
	t.Helper()
	for k, w := range want {
		v, ok := set.Value(k)
		if assert.True(t, ok, "%s has no %s, want %q", what, k, w) {
			assert.Equal(t, w, v.String(), "%s %s", what, k)
		}
	}
}
