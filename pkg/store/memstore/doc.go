// Package memstore is an in-memory store.Store: a log of revisions and, for
// each entity, the list of its versions. It is for tests, tools and
// single-process servers that reload their model at start-up; nothing
// survives the process.
//
// Revisions are consecutive, starting at 1. Compaction drops the oldest
// revisions and every version no kept revision can read. Watchers wait on
// a broadcast channel that each Apply closes and replaces; no one polls.
//
// Concurrency: a Store is safe for concurrent use; one RWMutex guards all
// its state. Values are copied in and out, so callers may reuse buffers.
//
// Imports: the standard library and pkg/store only.
package memstore
