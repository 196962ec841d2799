package rpcerr

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/store"
)

// A FieldViolation is one problem with one field of a request.
type FieldViolation struct {
	Field       string // path in the request, e.g. "context[aws:SourceIp]"
	Description string
}

// A RequestError says what is wrong with a request; it becomes
// INVALID_ARGUMENT with a BadRequest detail (see Status).
type RequestError struct {
	Reason     string // ErrorInfo reason, e.g. "INVALID_REQUEST"
	Violations []FieldViolation
}

func (e *RequestError) Error() string {
	msgs := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		msgs[i] = v.Field + ": " + v.Description
	}
	return strings.Join(msgs, "; ")
}

// Status is the INVALID_ARGUMENT status of e: its violations bounded (see
// Clipped) in a BadRequest detail, and its reason in an ErrorInfo.
func (e *RequestError) Status() error {
	re := &RequestError{Reason: e.Reason, Violations: Clipped(e.Violations)}
	return WithDetails(codes.InvalidArgument, re.Error(), BadRequest(re.Violations),
		&errdetails.ErrorInfo{Reason: re.Reason, Domain: Domain})
}

// BadField returns a RequestError for one field.
func BadField(field, format string, args ...any) *RequestError {
	return &RequestError{Reason: "INVALID_REQUEST",
		Violations: []FieldViolation{{Field: Clip(field), Description: ClipMessage(fmt.Sprintf(format, args...))}}}
}

// Clipped returns the violations with every field and description bounded
// (see ClipMessage), sharing vs when they are.
func Clipped(vs []FieldViolation) []FieldViolation {
	out := vs
	for i, v := range vs {
		f, d := Clip(v.Field), ClipMessage(v.Description)
		if f == v.Field && d == v.Description {
			continue
		}
		if &out[0] == &vs[0] {
			out = append([]FieldViolation(nil), vs...)
		}
		out[i] = FieldViolation{Field: f, Description: d}
	}
	return out
}

// PolicyErrors turns engine findings into violations under a request field
// holding the documents. (The status's ErrorInfo reason is the engine's
// code of the first finding, so none is set here.)
func PolicyErrors(perrs engine.Errors) *RequestError {
	re := &RequestError{}
	for _, pe := range perrs {
		if pe.Severity != engine.SeverityError {
			continue
		}
		field := pe.PolicyID
		if p := pe.Path(); p != "" {
			field += "." + p
		}
		re.Violations = append(re.Violations, FieldViolation{Field: Clip(field), Description: ClipMessage(pe.Error())})
	}
	return re
}

// PolicyStatus is the INVALID_ARGUMENT status of invalid policy documents:
// every finding in a BadRequest detail, the first one's code and policy in
// an ErrorInfo.
func PolicyStatus(perrs engine.Errors) error {
	pe := PolicyErrors(perrs)
	return WithDetails(codes.InvalidArgument, "invalid policy document", BadRequest(pe.Violations),
		&errdetails.ErrorInfo{Reason: string(perrs[0].Code), Domain: Domain,
			Metadata: map[string]string{"policy_id": Clip(perrs[0].PolicyID)}})
}

// StoreStatus is the status of a store's sentinel error, or of a context's
// end; ok is false for any other error, which the service maps itself.
func StoreStatus(err error) (st error, ok bool) {
	switch {
	case errors.Is(err, store.ErrConflict): // failed compare-and-swap: re-read, then retry
		return WithDetails(codes.Aborted, ClipMessage(err.Error()),
			&errdetails.ErrorInfo{Reason: "REVISION_CONFLICT", Domain: Domain}), true
	case errors.Is(err, store.ErrNotFound):
		return WithDetails(codes.NotFound, ClipMessage(err.Error()),
			&errdetails.ErrorInfo{Reason: "NOT_FOUND", Domain: Domain}), true
	case errors.Is(err, store.ErrCompacted): // the client resyncs with a full read
		return WithDetails(codes.OutOfRange, err.Error(),
			&errdetails.ErrorInfo{Reason: "REVISION_COMPACTED", Domain: Domain}), true
	case errors.Is(err, store.ErrFutureRevision):
		return WithDetails(codes.OutOfRange, err.Error(),
			&errdetails.ErrorInfo{Reason: "REVISION_NOT_WRITTEN", Domain: Domain}), true
	case errors.Is(err, store.ErrClosed):
		return WithDetails(codes.Unavailable, err.Error(),
			&errdetails.ErrorInfo{Reason: "STORE_CLOSED", Domain: Domain}), true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err(), true
	}
	return nil, false
}

// BadRequest lists violations as a google.rpc.BadRequest detail.
func BadRequest(vs []FieldViolation) *errdetails.BadRequest {
	br := &errdetails.BadRequest{}
	for _, v := range vs {
		br.FieldViolations = append(br.FieldViolations,
			&errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
	}
	return br
}
