// Package metrics exposes pdp's Prometheus metrics: the gRPC server's
// (started, handled and handling time per method and code, from the
// go-grpc-middleware Prometheus provider), pdp's own (decisions, the active
// snapshot's revision and age, snapshot build time, watch lag, store
// errors, lost decision-log records), and the Go runtime's and process's,
// all on a registry of its own: nothing here touches Prometheus's default
// registry or http.DefaultServeMux.
//
// cmd/pdp creates one Metrics, installs its interceptors in the gRPC
// server, calls its methods from the server's hooks, and serves Handler on
// the metrics address. A Metrics is safe for concurrent use; Decision, on
// the decision path, does not allocate for the known methods and
// decisions.
//
// The package imports no other pdp package: callers pass plain strings,
// numbers and times.
package metrics
