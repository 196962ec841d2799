// Package snapshot turns the policy model in the store into an immutable,
// compiled Snapshot, and keeps the published snapshot at the store's
// latest revision.
//
// Build (snapshot.go): Compile takes a resolved model (pkg/entity) and
// compiles, for every principal, its identity policies and boundary, for
// every resource the policy that governs it, and for every account its SCP
// chain. Given the previous snapshot it compiles only what changed: the
// entries it does not touch, and the shards of its maps that hold none of
// them, are the previous snapshot's own; the policy sets are compiled on
// every core (snapshot_sets.go). Resources are found through the resolved
// model's own table, beside which the snapshot keeps only the compiled
// policies of the resources that have one and the entries they share
// (snapshot_resources.go).
//
// Publish (follow.go): a Follower holds the published snapshot in an
// atomic pointer. Every request loads it once and reports its revision; a
// new snapshot replaces the old one whole, so a decision never sees a
// half-applied change. A published Snapshot is immutable and shared by all
// requests: it is never written again.
//
// Follow (follow.go, snapshot_follow.go, snapshot_decode.go, model.go):
// Follower.Follow reads the whole model once (Model: store documents by
// key), then applies every change of the store's watch. What it keeps
// from one revision to the next (every entity decoded, by key, the Linker
// that resolves them, the cache of parsed documents) is the follower's own
// state, so that a change costs what it touches; documents are decoded by
// a fast path that falls back to strict JSON. A revision that does not
// compile leaves the previous snapshot published. A silent or failing
// store is reported through the follower's hooks and retried with
// jittered backoff.
//
// The package knows nothing of gRPC or of the services: it must not import
// internal/server, internal/admin or cmd/.
package snapshot
