// Package decisionlog writes an audit trail of authorization decisions: one
// JSON object per line and per decision, with the time, request ID, caller,
// principal, action, resource, decision and policy revision, the request
// context (with configured keys masked), the matched statements when an
// explanation was computed, and the item's index when the decision came
// from a batch.
//
// The server calls Logger.Log after each decision. Log never blocks: it
// puts a copy of the record on a queue bounded in records and in bytes, or
// drops and counts it when the queue is full, so that a slow disk or a
// stalled pipe slows nothing but the log and holds no more memory than the
// bounds. The copy holds the record's strings and the values its Context
// gives (which the server clips to 256 bytes each) in one string of its
// own, not the request they came from (queue.go).
// One goroutine, owned by Logger.Run, encodes queued records and writes
// them in batches. RotatingFile (rotate.File) is a sink that rotates by size.
//
// Shutdown is bounded whatever the sink does: when Run cannot finish
// because a write blocks (a FIFO or pipe whose reader stopped reading),
// the owner calls Abandon, which counts every record the sink has not
// taken as dropped, and RotatingFile.Abort, which closes the file under the
// blocked write.
//
// A Logger is safe for concurrent use: any number of goroutines may call
// Log and Dropped while Run runs. A record's Matched slice must not change
// after Log: the writer reads it later; its strings and Context are copied.
//
// The package imports only the standard library and internal/rotate;
// protobuf types stop at internal/server, which converts its requests into
// Records.
package decisionlog
