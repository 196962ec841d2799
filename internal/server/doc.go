// Package server implements the pdp gRPC services: AuthorizationService
// (Check, BatchCheck, Simulate, and CheckStream in checkstream.go, which
// decides each request of a stream as Check does), standard health
// checking and server reflection.
//
// SimulatorService (simulator*.go) answers the AWS IAM policy simulator's
// requests in AWS's shapes, compiling the policies they carry, or reading a
// principal's from the snapshot, and deciding with the same engine.
//
// The server holds one compiled Snapshot of the policy model at a time, in
// an atomic pointer: every request loads it once and reports its revision,
// and a new snapshot replaces the old one whole, so a decision never sees a
// half-applied change. Snapshots are immutable and shared by all requests.
//
// Protobuf types stop here: handlers convert requests to engine inputs
// (convert.go), decide with pkg/engine, and map every error to a gRPC status
// with google.rpc details in one place (errors.go).
package server
