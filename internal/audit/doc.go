// Package audit writes the admin audit log: one JSON object per line for
// every call of the admin API (pdp.v1.PolicyService), read or write,
// allowed or refused, naming who called (the authenticated principal, or
// "anonymous"), from where, with which request id, what the call touched
// (entity keys, bounded), the store revisions it read or wrote, and how it
// ended (outcome and gRPC code). It is separate from the decision log
// (internal/decisionlog), which records authorization decisions.
//
// Placement: Logger.UnaryInterceptors and Logger.StreamInterceptors wrap
// the interceptors that guard the admin API (authentication, admin
// authorization, write rate limits): the recording interceptor runs
// before them, so that it sees their refusals, and the gate runs after
// them, right before the handler, so that it knows the call was let
// through.
//
// Durability: a write (ApplyChanges and Import unless dry run, Rollback)
// is never performed before its "attempt" record is written and synced to
// stable storage; if that fails, the call is refused with UNAVAILABLE and
// nothing is applied. The final record of a write is synced too; if it
// cannot be written, the error is logged (the write happened, and its
// attempt record exists). Reads and refusals are recorded after the call
// without a sync, and a failure to record them is logged and counted but
// does not fail the call: refusing reads because the audit disk is full
// would turn a logging fault into an outage of every admin client, while
// nothing they do changes the store.
//
// Records are written synchronously, one Write per record, under a mutex:
// admin calls are rare next to decisions, and a record in a queue is not
// yet durable.
//
// A Logger is safe for concurrent use. The package imports gen/, gRPC,
// internal/auth (for the caller) and internal/server (for the request id);
// neither imports it.
package audit
