// Package tracing gives pdp serve OpenTelemetry traces of its gRPC calls,
// off unless asked for: Setup returns a gRPC stats handler that starts a
// server span for every call (except gRPC health checks, which probes make
// every few seconds), continues the caller's W3C trace context
// (traceparent), and hands the spans to an exporter chosen by the standard
// OpenTelemetry environment variables (OTEL_TRACES_EXPORTER,
// OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL,
// OTEL_TRACES_SAMPLER, OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME, …).
//
// cmd/pdp calls Setup once, adds the options to the gRPC server, and calls
// shutdown after the server has stopped, so that the spans of the last
// calls are exported. Nothing here touches OpenTelemetry's global tracer
// provider, meter provider or propagator: the provider is passed to the
// handler explicitly. The handler and provider are safe for concurrent use.
//
// The package imports no other pdp package.
package tracing
