// Package rotate holds File, a log file that rotates by size, shared by
// the logs pdp serve writes as JSON lines: the decision log
// (internal/decisionlog) and the admin audit log (internal/audit).
//
// A File is safe for concurrent use. Sync flushes it to stable storage,
// for logs whose records must survive a crash before a call is answered.
//
// The package imports only the standard library.
package rotate
