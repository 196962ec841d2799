// Package boltstore is the embedded default store.Store: one bbolt file
// (go.etcd.io/bbolt) holding every revision, so a single pdp serve needs no
// other service. Open(path) creates the file if missing (mode 0600, parent
// directories 0700); pdp serve passes pdp.db in its --data-dir, which is
// ./pdp-data (relative to its working directory) unless --data-dir or
// PDP_DATA_DIR says otherwise — the choice lives in cmd/pdp, this package
// only takes a path.
//
// Damage: Open verifies an existing file before anything writes to it —
// its meta pages, size and root page without bbolt (inspectHeader, since
// bbolt panics or faults on some damage), then bbolt's page check in a
// read-only open — and refuses one that is empty, truncated or corrupt
// with a *DamagedError, leaving it untouched; it never initializes a new
// store over an existing file. OpenVerifying runs the page check in the
// background instead, while the first reads run; until it has passed no
// write runs and no read returns, and when it fails every operation
// returns its *DamagedError. Panics of bbolt inside transactions are
// recovered into a *DamagedError too. Check verifies a file down to every
// record, read-only; Backup copies the store in one read transaction
// (bbolt's Tx.WriteTo) while writes go on.
//
// Durability: every Apply is one bbolt read-write transaction, committed
// with fsync (bbolt's NoSync stays false), so a revision Apply returned
// survives a crash of the process or the machine; a killed writer leaves
// either the whole change set or none of it.
//
// Layout, all integers 8-byte big-endian so byte order is numeric order:
//
//	meta      "format" → 1, "revision" → current, "compacted" → oldest readable
//	versions  kind "/" id 0x00 revision → 0x01 value (a put) or 0x00 (a delete)
//	revisions revision → JSON {time, author, message, keys}
//	current   kind "/" id → mod revision, value (the latest state, for fast reads)
//
// IDs cannot hold NUL (store.Key.Validate), so kind "/" id 0x00 is a prefix
// of one entity's versions only. Compaction deletes revision records older
// than the kept window and every version no kept revision can read: for
// each entity it keeps the newest version before the window if that is a
// put, and everything after.
//
// Watch: after each committed Apply the store closes and replaces a
// broadcast channel; a watcher reads the revisions and versions buckets
// from the last revision it yielded, so a resumed watch replays from disk.
//
// Concurrency: a Store is safe for concurrent use and by one process at a
// time (bbolt locks the file; Open waits up to a few seconds for it).
//
// Imports: the standard library, pkg/store and bbolt; never gRPC or
// pkg/engine.
package boltstore
