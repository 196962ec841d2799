// Package etcdstore is the store.Store of a shared etcd cluster (v3 API,
// etcd 3.4 or later): several pdp servers read and watch one policy model,
// and every change set becomes one etcd transaction.
//
// # Layout
//
// Everything lives under Config.Prefix (default "/pdp/"):
//
//	<prefix>e/<kind>/<id>  the entity's document, as given to Apply
//	<prefix>t/<kind>/<id>  empty; written by every delete of the entity
//	<prefix>log            JSON of the last change set: author, message,
//	                       time and the keys it changed
//
// Apply writes a change set as ONE transaction that puts and deletes the
// entity keys and puts log, so the transaction's etcd revision is the
// store revision, and the current store revision is the ModRevision of
// log. etcd revisions are cluster-wide: writes outside the prefix make
// gaps between store revisions, which the store contract allows (they
// only strictly increase). A read at a revision in a gap reads the state
// of the store revision before it. ExpectRevision is a compare of log's
// ModRevision in the same transaction, so a failed compare-and-swap writes
// nothing. The log key is never deleted, so its Version counts the
// revisions ever written, which is how Compact counts the ones to keep.
//
// The tombstone keys (t/) exist because etcd keeps no trace of a deleted
// key that a read at a later revision could find: History follows an
// entity's ModRevision chain through its e/ and t/ keys, so deletes
// (including deletes of entities that did not exist) stay in it.
//
// # Reads and watches
//
// Get, List and Snapshot are one read-only transaction each, reading log
// at the head and the entities at the revision asked for, so the check
// against the current revision and the data agree. History and Revisions
// walk ModRevision chains backwards, a read or two per revision they
// return; Compact finds the oldest revision to keep by a binary search
// over log's Version.
//
// Watch is an etcd watch on the prefix from the revision after the one
// given; the events of one etcd revision (etcd never splits a revision
// across watch responses) become one store.Event, its info taken from the
// log key's event. Progress notifications are asked for with
// RequestProgress every Options.ProgressInterval while the watch is idle,
// and report the last revision the watch yielded. etcd answers only when
// the watch has reached its start revision, so a watch from the head
// starts its etcd watch at the head and skips what it replays (see Watch).
//
// # Limits and etcd settings
//
//   - A change set is one transaction of one operation per put, two per
//     delete (the entity and its tombstone) and one for log. etcd rejects
//     transactions of more than --max-txn-ops operations (default 128) and
//     requests larger than --max-request-bytes (default 1.5 MiB); since a
//     change set must stay atomic, Apply does not split it and fails with
//     an error wrapping store.ErrInvalidChangeSet and ErrTooLarge. Loading
//     a large model at once needs both raised on every etcd member.
//   - Tombstones are never removed: one small key per entity ever deleted.
//   - Two stores on one cluster need prefixes that do not hold each
//     other's keys ("/pdp/a/" and "/pdp/b/", not "/pdp/" and "/pdp/e/").
//   - Compact calls etcd's Compact, which compacts the whole keyspace of
//     the cluster, not only the prefix; on a cluster shared with other
//     applications prefer etcd's own --auto-compaction-* settings.
//   - Watch resumes after a lost connection without gap or duplicate
//     (the etcd client re-watches from the next revision). etcd servers
//     without the fix of etcd issue 15220 (backported to 3.4 and 3.5 in
//     2023; Debian's 3.4.23 predates it) may answer RequestProgress for a
//     watch still catching up. The store never reports etcd's progress
//     revision, only the last one it yielded, so followers are safe; but
//     the client's own resume point can then skip ahead, so a fixed
//     server is advised in production.
//
// Tests start real etcd servers with the etcdtest package: bin/etcd, which
// `make etcd` builds at the client's release (3.7.3 with client v3.7.3).
//
// Concurrency: every method of a Store is safe for concurrent use.
//
// Imports: the standard library, pkg/store and the etcd client (the only
// package that may). Never pkg/engine, internal/server, gen/, or gRPC
// status codes.
package etcdstore
