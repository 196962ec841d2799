package tracing

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"google.golang.org/grpc"
)

// Setup returns the gRPC server options that trace every call, and a
// shutdown function that exports the spans still buffered and stops the
// exporter; call it once the gRPC server has stopped, with a context that
// bounds how long it may take.
//
// When enabled is false, or OTEL_SDK_DISABLED is true, or
// OTEL_TRACES_EXPORTER is "none", Setup returns no options and a shutdown
// that does nothing: no exporter is built and no goroutine started.
// Otherwise the exporter is the one OTEL_TRACES_EXPORTER names ("otlp", the
// default, or "console"), configured by the other OTEL_* variables, and
// the spans' resource has service.name and service.version, which
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override.
func Setup(ctx context.Context, enabled bool, serviceName, version string) (opts []grpc.ServerOption, shutdown func(context.Context) error, err error) {
	if !enabled || sdkDisabled() {
		return nil, noShutdown, nil
	}
	exp, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: span exporter: %w", err)
	}
	if autoexport.IsNoneSpanExporter(exp) {
		return nil, noShutdown, nil
	}
	return setup(ctx, exp, serviceName, version)
}

// setup builds the tracer provider around exp, which it owns from then on:
// it is shut down on error and by the returned shutdown.
func setup(ctx context.Context, exp sdktrace.SpanExporter, serviceName, version string) ([]grpc.ServerOption, func(context.Context) error, error) {
	res, err := newResource(ctx, serviceName, version)
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("tracing: resource: %w", err), exp.Shutdown(ctx))
	}
	// The sampler (parent-based, always on unless OTEL_TRACES_SAMPLER says
	// otherwise) and the batching limits (OTEL_BSP_*) come from the
	// environment too.
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(exp))
	handler := otelgrpc.NewServerHandler(
		otelgrpc.WithTracerProvider(tp),
		otelgrpc.WithPropagators(propagation.TraceContext{}),
		// Metrics come from internal/metrics; a no-op meter provider keeps
		// the handler away from the global one.
		otelgrpc.WithMeterProvider(noop.NewMeterProvider()),
		otelgrpc.WithFilter(filters.Not(filters.HealthCheck())),
	)
	shutdown := func(ctx context.Context) error {
		if err := tp.Shutdown(ctx); err != nil {
			return fmt.Errorf("tracing: shutdown: %w", err)
		}
		return nil
	}
	return []grpc.ServerOption{grpc.StatsHandler(handler)}, shutdown, nil
}

// newResource describes the service. The environment is read last, so
// that OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
func newResource(ctx context.Context, serviceName, version string) (*resource.Resource, error) {
	var attrs []attribute.KeyValue
	if serviceName != "" {
		attrs = append(attrs, semconv.ServiceName(serviceName))
	}
	if version != "" {
		attrs = append(attrs, semconv.ServiceVersion(version))
	}
	return resource.New(ctx,
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attrs...),
		resource.WithFromEnv(),
	)
}

// sdkDisabled reports whether OTEL_SDK_DISABLED turns the SDK off, as the
// OpenTelemetry configuration specification describes.
func sdkDisabled() bool {
	off, _ := strconv.ParseBool(os.Getenv("OTEL_SDK_DISABLED"))
	return off
}

func noShutdown(context.Context) error { return nil }
