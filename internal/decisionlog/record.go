package decisionlog

import "time"

// A Record is one decision.
type Record struct {
	// Time is when the decision was made; Log sets it to the current time
	// when it is zero. It is written in UTC with nanoseconds.
	Time time.Time
	// RequestID identifies the call, from the caller's x-request-id
	// metadata for example.
	RequestID string
	// Caller is who made the call: the peer's address or authenticated
	// identity, as opposed to Principal, whom the call asks about.
	Caller string
	// Method is the RPC that asked for the decision: "Check", "BatchCheck".
	Method    string
	Principal string
	Action    string
	Resource  string
	// Decision is "Allow", "ExplicitDeny" or "ImplicitDeny"; empty when
	// Error says why the item could not be decided.
	Decision string
	// Error describes why a batch item could not be decided.
	Error string
	// Revision is the revision of the policy snapshot decided on.
	Revision int64
	// InBatch says the record is item Index of a BatchCheck.
	InBatch bool
	Index   int
	// Matched lists the statements that applied, when an explanation was
	// computed; nil otherwise.
	Matched []Statement
	// Context is the request context the caller gave; nil for none.
	Context Context
}

// A Statement identifies one statement that applied to a request.
type Statement struct {
	Type   string // "identity", "resource", "boundary", "session", "scp"
	Level  int    // SCP level, 0 for the root; 0 for other types
	Policy string // the policy's name
	Sid    string
	Index  int    // index of the statement in the policy's Statement list
	Effect string // "Allow" or "Deny"
}

// A Context is the request context a record carries: condition keys and
// their values, as the log writes them. Log reads it once and queues a
// copy of what it gives; Each is not called after Log returns.
//
// An interface rather than a map lets the server hand over its request's
// own map, clipping each value as Each gives it: a named map type with an
// Each method converts to a Context without allocating, and the copy holds
// the clipped values only.
type Context interface {
	// Each calls f once for every key, with its values: one value when
	// multi is false, a list (possibly empty) when it is true.
	Each(f func(key string, values []string, multi bool))
}

// Values is a Context in a map, each key with a single value.
type Values map[string]string

// Each calls f for every key in v.
func (v Values) Each(f func(key string, values []string, multi bool)) {
	for k, s := range v {
		f(k, []string{s}, false)
	}
}
