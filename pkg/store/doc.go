// Package store defines pdp's versioned policy store: a key-value store of
// policy-model entities (accounts, SCPs, managed policies, users, groups,
// roles, resources) where every change set is applied atomically as one new,
// strictly increasing revision, past revisions can be read and compared,
// and changes stream to every follower.
//
// The store keeps entity documents as bytes and knows nothing of IAM: what
// a document means, and whether a change set is valid, is decided above it
// (internal/server with pkg/entity and pkg/engine) before Apply is called.
//
// Revisions: every Apply returns a revision greater than all before it
// (etcdstore's have gaps; memstore's and boltstore's count 1, 2, 3, ...).
// Reads take a revision, 0 meaning the current one; a revision not yet
// written fails with ErrFutureRevision, one compacted away with
// ErrCompacted. Compact keeps at least Options.KeepRevisions revisions and
// the full state at the oldest kept one. Each revision records its author,
// message, time and the keys it changed (History, Revisions), and Watch
// streams them in order, with progress notifications while idle, so a
// follower resumes from the last revision it saw without gap or duplicate.
//
// Writes: a ChangeSet is validated whole (ChangeSet.Validate: at least one
// change, valid keys, each key once) and applied atomically; with
// ExpectRevision it is a compare-and-swap that fails with ErrConflict.
// Diff and RollbackChangeSet build on any Store: the changes between two
// revisions, and the change set that restores an old state, guarded by
// the current revision.
//
// Implementations: memstore (in memory, for tests and tools), boltstore
// (the embedded default, one bbolt file; pdp serve keeps it at
// ./pdp-data/pdp.db, relative to its working directory, unless --data-dir
// or PDP_DATA_DIR names another directory) and
// etcdstore (a shared etcd cluster). All take Options and pass the same
// suite, storetest.Run.
//
// Concurrency: every method of a Store is safe for concurrent use.
//
// Imports: the standard library only; bbolt only in boltstore, the etcd
// client only in etcdstore. Never pkg/engine, internal/server, gen/, or
// gRPC status codes.
package store
