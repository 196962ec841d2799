// Package server implements the decision services of pdp:
// AuthorizationService (Check, BatchCheck, Simulate, CheckStream),
// SimulatorService (simulator*.go: the AWS IAM policy simulator's requests
// in AWS's shapes), PolicyCheckService (policycheck.go), AccessService
// (access.go: who can, what can, the impact of a change set), Envoy's
// ext_authz decision (decide_extauthz.go), standard health checking and
// server reflection; and the gRPC server they run in (grpc.go, codec.go,
// calllog.go).
//
// # The walk of a Check
//
//  1. Server.Check (authorization.go) loads the snapshot it decides on
//     once: snapshotFor (snapshots.go) takes the published one from the
//     server's snapshot.Follower, or waits for min_revision.
//  2. checkItem (convert.go) turns the request into an item, and a scratch
//     (scratch.go) is taken from the pool: the engine context, inputs and
//     memos one goroutine reuses from call to call.
//  3. prepareItem (decide.go) checks the item: the caller's context keys
//     against the limits and the catalog (callerkeys.go, limits.go,
//     keynames.go), the action, the resource ARN (resource_arn.go); it
//     looks the principal and the resource up in the snapshot (scratch.go
//     memoizes them) and builds the engine context in layers, with the
//     keys the server derives from the snapshot's entries (ctxlayers.go).
//     A problem becomes an rpcerr.RequestError naming every bad field.
//  4. decide (convert.go) evaluates the principal's SCP chain, boundary,
//     identity and the resource's policy with pkg/engine and converts the
//     decision and, if asked, the explanation with its notes (notes.go).
//  5. Check reports the decision to the OnDecision hook (hooks.go), logs
//     what the model did not know (notes.go) and replies with the
//     decision and the snapshot's revision. Every error path returns
//     s.toStatus(ctx, err) (errors.go), the one place that picks codes and
//     google.rpc details.
//
// The server never builds or changes a snapshot: it reads the published
// one (internal/snapshot), which is immutable and shared by all requests,
// so a decision never sees a half-applied change. Protobuf types stop
// here: handlers convert requests to engine inputs and decisions back.
//
// The server must not import internal/admin, which serves the policy
// service next to it.
package server
