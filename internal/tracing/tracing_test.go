package tracing

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

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
			if err != nil {
				t.Fatalf("Setup: %v", err)
			}
			if len(opts) != 0 {
				t.Errorf("Setup returned %d options, want none", len(opts))
			}
			if err := shutdown(t.Context()); err != nil {
				t.Errorf("shutdown: %v", err)
			}
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
					t.Fatal("Setup succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Setup: %v", err)
			}
			if len(opts) != 1 {
				t.Errorf("Setup returned %d options, want 1", len(opts))
			}
			if err := shutdown(t.Context()); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
}

func TestResourceFromEnv(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging,service.version=v9")
	res, err := newResource(t.Context(), "pdp", "v1.2.3")
	if err != nil {
		t.Fatalf("newResource: %v", err)
	}
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
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
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
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	defer cc.Close()

	const (
		traceID  = "4bf92f3577b34da6a3ce929d0e0e4736"
		parentID = "00f067aa0ba902b7"
	)
	ctx := metadata.AppendToOutgoingContext(t.Context(), "traceparent", "00-"+traceID+"-"+parentID+"-01")
	if _, err := testpb.NewTestServiceClient(cc).EmptyCall(ctx, &testpb.Empty{}); err != nil {
		t.Fatalf("EmptyCall: %v", err)
	}
	if _, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health Check: %v", err)
	}
	gs.Stop()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if err := shutdown(t.Context()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if !exp.shut.Load() {
		t.Error("shutdown did not shut the exporter down")
	}

	spans := exp.GetSpans() // flushed by shutdown
	if len(spans) != 1 {    // the health check is not traced
		for _, s := range spans {
			t.Logf("span %q", s.Name)
		}
		t.Fatalf("got %d spans, want 1", len(spans))
	}
	s := spans[0]
	if got, want := s.Name, "grpc.testing.TestService/EmptyCall"; got != want {
		t.Errorf("span name %q, want %q", got, want)
	}
	if s.SpanKind != trace.SpanKindServer {
		t.Errorf("span kind %v, want server", s.SpanKind)
	}
	if got := s.SpanContext.TraceID().String(); got != traceID {
		t.Errorf("trace id %s, want the caller's %s", got, traceID)
	}
	if got := s.Parent.SpanID().String(); got != parentID || !s.Parent.IsRemote() {
		t.Errorf("parent span %s (remote %v), want the caller's %s", got, s.Parent.IsRemote(), parentID)
	}
	attrs := attribute.NewSet(s.Attributes...)
	checkAttrs(t, "span", &attrs, map[attribute.Key]string{
		semconv.RPCMethodKey:     "grpc.testing.TestService/EmptyCall",
		semconv.RPCSystemNameKey: "grpc",
	})
	checkAttrs(t, "resource", s.Resource.Set(), map[attribute.Key]string{
		semconv.ServiceNameKey:    "pdp",
		semconv.ServiceVersionKey: "v1.2.3",
	})
	if got := <-svc.seen; !got.Equal(s.SpanContext) {
		t.Errorf("handler saw span context %v, want the server span's %v", got, s.SpanContext)
	}
}

func checkAttrs(t *testing.T, what string, set *attribute.Set, want map[attribute.Key]string) {
	t.Helper()
	for k, w := range want {
		v, ok := set.Value(k)
		if !ok {
			t.Errorf("%s has no %s, want %q", what, k, w)
			continue
		}
		if got := v.String(); got != w {
			t.Errorf("%s %s = %q, want %q", what, k, got, w)
		}
	}
}
