// Package server implements the decision services of pdp:
// AuthorizationService (check.go: Check and BatchCheck; simulate.go:
// Simulate; checkstream.go: CheckStream),
// SimulatorService (simulator*.go: the AWS IAM policy simulator's requests
// in AWS's shapes), PolicyCheckService (policycheck.go), AccessService
// (access.go: who can, what can, the impact of a change set), Envoy's
// ext_authz decision (decide_extauthz.go), standard health checking and
// server reflection; and the gRPC server they run in (grpc.go, codec.go,
// calllog.go).
//
// # The walk of a Check
//
// A Check opens check.go, then decide.go, which holds the pipeline in the
// order it runs; the steps it calls out to come after it in the order
// they are first called:
//
//  1. Server.Check (check.go, the RPC surface of Check and BatchCheck)
//     hands the request to check (decide.go).
//  2. check picks the snapshot it decides on once: snapshotFor takes the
//     published one from the server's snapshot.Follower, or waits for
//     min_revision. checkItem turns the request into an item.
//  3. A scratch is taken from the pool (scratch.go): the engine context,
//     inputs and memos one goroutine reuses from call to call; clockKeys
//     reads the clock's keys once per call (decide.go).
//  4. prepareItem (decide.go) checks the item: the caller's context keys
//     against the limits and the catalog (callerkeys.go, through keyNames
//     in keynames.go; limits.go for session tags and policies), the
//     principal, the action, the resource ARN; it looks the principal and
//     the resource up in the snapshot (memoized in the scratch), and
//     reports every bad field in one rpcerr.RequestError. It then
//     remembers the context's key names (keynames.go) and builds the
//     engine context in layers, with the keys the server derives from the
//     snapshot's entries (ctxlayers.go).
//  5. decide (decide.go) evaluates the principal's SCP chain, boundary,
//     identity and the resource's policy with pkg/engine, and converts the
//     decision and, if asked, the explanation (convert.go) with its notes
//     (notes.go).
//  6. check reports the decision to the OnDecision hook (hooks.go), logs
//     what the model did not know and replies with the decision, the
//     snapshot's revision and whether the model knows the principal and
//     the resource (decide.go); the scratch goes back to the pool
//     (scratch.go). Every error path returns s.toStatus(ctx, err)
//     (errors.go), the one place that picks codes and google.rpc details.
//
// BatchCheck (check.go) takes the same steps for each item through
// batchResult (decide.go), on one snapshot and one clock, checking the
// shared context once.
//
// The server never builds or changes a snapshot: it reads the published
// one (internal/snapshot), which is immutable and shared by all requests,
// so a decision never sees a half-applied change. Protobuf types stop
// here: handlers convert requests to engine inputs and decisions back.
//
// The server must not import internal/admin, which serves the policy
// service next to it.
package server
