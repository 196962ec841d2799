package audit

import (
	"strconv"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
)

// A Record is one line of the audit log.
type Record struct {
	// Time is when the record was made, RFC 3339 with nanoseconds, UTC.
	Time string `json:"time"`
	// Principal is the authenticated principal ARN, or "anonymous".
	Principal string `json:"principal"`
	// Peer is the caller's network address.
	Peer string `json:"peer,omitempty"`
	// RequestID is the caller's x-request-id metadata, truncated;
	// RequestIDLen is its length in bytes when it was truncated.
	RequestID    string `json:"request_id,omitempty"`
	RequestIDLen int    `json:"request_id_len,omitempty"`
	// Method is the full gRPC method, e.g. /pdp.v1.PolicyService/GetEntity.
	Method string `json:"method"`
	// Keys are the first entity keys the call touched, KeysTotal how many
	// it touched in all.
	Keys      []Key `json:"keys,omitempty"`
	KeysTotal int   `json:"keys_total,omitempty"`
	// Revision is the store revision a read (or a dry run) read.
	Revision *int64 `json:"revision,omitempty"`
	// RevisionBefore is the store revision a write started from, and
	// RevisionAfter the one it produced.
	RevisionBefore *int64 `json:"revision_before,omitempty"`
	RevisionAfter  *int64 `json:"revision_after,omitempty"`
	DryRun         bool   `json:"dry_run"`
	// Outcome is OutcomeAttempt, OutcomeOK, OutcomeRefused or
	// OutcomeError; Code the gRPC code name, e.g. PERMISSION_DENIED, and
	// empty in an attempt record.
	Outcome string `json:"outcome"`
	Code    string `json:"code,omitempty"`
	// Error is the status message of a failed call, truncated; ErrorLen is
	// its length in bytes when it was truncated.
	Error    string `json:"error,omitempty"`
	ErrorLen int    `json:"error_len,omitempty"`
}

// A Key is an entity key a call touched. Op is "put" or "delete" for the
// changes of ApplyChanges; ID is empty for a whole kind (ListEntities).
type Key struct {
	Op    string `json:"op,omitempty"`
	Kind  string `json:"kind"`
	ID    string `json:"id,omitempty"`
	IDLen int    `json:"id_len,omitempty"` // length of ID in bytes when it was truncated
}

// Outcomes of a call.
const (
	// OutcomeAttempt is the record written before a write is performed.
	OutcomeAttempt = "attempt"
	OutcomeOK      = "ok"
	// OutcomeRefused: the call was refused before its handler ran, by
	// authentication, authorization, a rate limit or the audit log itself.
	OutcomeRefused = "refused"
	// OutcomeError: the handler ran and failed.
	OutcomeError = "error"
)

// MaxValueBytes bounds each value a caller chooses (entity ids, request
// ids, error messages that quote them) in a record.
const MaxValueBytes = 256

// truncate cuts s to at most MaxValueBytes bytes, at a character boundary,
// and returns the length of s when it cut it, else 0.
func truncate(s string) (string, int) {
	if len(s) <= MaxValueBytes {
		return s, 0
	}
	cut := MaxValueBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], len(s)
}

// codeNames are the canonical names of the gRPC codes, as in
// google.rpc.Code: https://grpc.github.io/grpc/core/md_doc_statuscodes.html
var codeNames = [...]string{
	codes.OK:                 "OK",
	codes.Canceled:           "CANCELLED",
	codes.Unknown:            "UNKNOWN",
	codes.InvalidArgument:    "INVALID_ARGUMENT",
	codes.DeadlineExceeded:   "DEADLINE_EXCEEDED",
	codes.NotFound:           "NOT_FOUND",
	codes.AlreadyExists:      "ALREADY_EXISTS",
	codes.PermissionDenied:   "PERMISSION_DENIED",
	codes.ResourceExhausted:  "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION",
	codes.Aborted:            "ABORTED",
	codes.OutOfRange:         "OUT_OF_RANGE",
	codes.Unimplemented:      "UNIMPLEMENTED",
	codes.Internal:           "INTERNAL",
	codes.Unavailable:        "UNAVAILABLE",
	codes.DataLoss:           "DATA_LOSS",
	codes.Unauthenticated:    "UNAUTHENTICATED",
}

// codeName returns the canonical name of c, or CODE_<n> for a code gRPC
// does not define.
func codeName(c codes.Code) string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "CODE_" + strconv.FormatUint(uint64(c), 10)
}
