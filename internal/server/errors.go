package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/store"
)

// errorDomain names pdp in google.rpc.ErrorInfo details (rpcerr.Domain).
const errorDomain = rpcerr.Domain

// A fieldViolation is one problem with one field of a request.
type fieldViolation struct {
	Field       string // path in the request, e.g. "context[aws:SourceIp]"
	Description string
}

// A requestError says what is wrong with a request; it becomes
// INVALID_ARGUMENT with a BadRequest detail.
type requestError struct {
	reason     string // ErrorInfo reason, e.g. "INVALID_REQUEST"
	violations []fieldViolation
}

func (e *requestError) Error() string {
	msgs := make([]string, len(e.violations))
	for i, v := range e.violations {
		msgs[i] = v.Field + ": " + v.Description
	}
	return strings.Join(msgs, "; ")
}

// badField returns a requestError for one field.
func badField(field, format string, args ...any) *requestError {
	return &requestError{reason: "INVALID_REQUEST",
		violations: []fieldViolation{{Field: clip(field), Description: clipMessage(fmt.Sprintf(format, args...))}}}
}

// clipped returns the violations with every field and description bounded
// (see clipMessage), sharing vs when they are.
func clipped(vs []fieldViolation) []fieldViolation {
	out := vs
	for i, v := range vs {
		f, d := clip(v.Field), clipMessage(v.Description)
		if f == v.Field && d == v.Description {
			continue
		}
		if &out[0] == &vs[0] {
			out = append([]fieldViolation(nil), vs...)
		}
		out[i] = fieldViolation{Field: f, Description: d}
	}
	return out
}

// errNoSnapshot is returned before the first policy snapshot is loaded.
var errNoSnapshot = errors.New("no policies loaded yet")

// policyErrors turns engine findings into violations under a request field
// holding the documents. (The status's ErrorInfo reason is the engine's code
// of the first finding, so none is set here.)
func policyErrors(perrs engine.Errors) *requestError {
	re := &requestError{}
	for _, pe := range perrs {
		if pe.Severity != engine.SeverityError {
			continue
		}
		field := pe.PolicyID
		if p := pe.Path(); p != "" {
			field += "." + p
		}
		re.violations = append(re.violations, fieldViolation{Field: clip(field), Description: clipMessage(pe.Error())})
	}
	return re
}

// toStatus is the one place that picks gRPC codes and details. Handlers
// return s.toStatus(ctx, err) on every error path.
func (s *Server) toStatus(ctx context.Context, err error) error {
	var (
		re        *requestError
		perrs     engine.Errors
		stale     *staleError
		malformed *malformedPolicyError
	)
	switch {
	case errors.As(err, &malformed):
		first := malformed.errs[0]
		pe := policyErrors(malformed.errs)
		return withDetails(codes.InvalidArgument, "malformed policy document: "+pe.violations[0].Description,
			badRequest(pe.violations), &errdetails.ErrorInfo{Reason: "MALFORMED_POLICY_DOCUMENT", Domain: errorDomain,
				Metadata: map[string]string{"policy_id": clip(first.PolicyID), "code": string(first.Code)}})
	case errors.As(err, &re):
		re = &requestError{reason: re.reason, violations: clipped(re.violations)}
		return withDetails(codes.InvalidArgument, re.Error(), badRequest(re.violations),
			&errdetails.ErrorInfo{Reason: re.reason, Domain: errorDomain})
	case errors.As(err, &perrs):
		pe := policyErrors(perrs)
		return withDetails(codes.InvalidArgument, "invalid policy document", badRequest(pe.violations),
			&errdetails.ErrorInfo{Reason: string(perrs[0].Code), Domain: errorDomain,
				Metadata: map[string]string{"policy_id": clip(perrs[0].PolicyID)}})
	case errors.As(err, &stale):
		return withDetails(codes.Unavailable, stale.Error(),
			&errdetails.RetryInfo{RetryDelay: durationpb.New(100 * time.Millisecond)},
			&errdetails.ErrorInfo{Reason: "REVISION_NOT_REACHED", Domain: errorDomain,
				Metadata: map[string]string{"current_revision": strconv.FormatInt(stale.current, 10),
					"min_revision": strconv.FormatInt(stale.min, 10)}})
	case errors.Is(err, store.ErrConflict): // failed compare-and-swap: re-read, then retry
		return withDetails(codes.Aborted, clipMessage(err.Error()),
			&errdetails.ErrorInfo{Reason: "REVISION_CONFLICT", Domain: errorDomain})
	case errors.Is(err, store.ErrNotFound):
		return withDetails(codes.NotFound, clipMessage(err.Error()),
			&errdetails.ErrorInfo{Reason: "NOT_FOUND", Domain: errorDomain})
	case errors.Is(err, store.ErrCompacted): // the client resyncs with a full read
		return withDetails(codes.OutOfRange, err.Error(),
			&errdetails.ErrorInfo{Reason: "REVISION_COMPACTED", Domain: errorDomain})
	case errors.Is(err, store.ErrFutureRevision):
		return withDetails(codes.OutOfRange, err.Error(),
			&errdetails.ErrorInfo{Reason: "REVISION_NOT_WRITTEN", Domain: errorDomain})
	case errors.Is(err, store.ErrClosed):
		return withDetails(codes.Unavailable, err.Error(),
			&errdetails.ErrorInfo{Reason: "STORE_CLOSED", Domain: errorDomain})
	case errors.Is(err, errBackupUnsupported):
		return withDetails(codes.FailedPrecondition, err.Error(),
			&errdetails.ErrorInfo{Reason: "BACKUP_UNSUPPORTED", Domain: errorDomain})
	case errors.Is(err, errNoSnapshot):
		return withDetails(codes.Unavailable, err.Error(),
			&errdetails.ErrorInfo{Reason: "NOT_READY", Domain: errorDomain})
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	default: // details stay in the log, not in the reply
		s.log.ErrorContext(ctx, "request failed", "err", clipMessage(err.Error()))
		return status.Error(codes.Internal, "internal error")
	}
}

func badRequest(vs []fieldViolation) *errdetails.BadRequest {
	br := &errdetails.BadRequest{}
	for _, v := range vs {
		br.FieldViolations = append(br.FieldViolations,
			&errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
	}
	return br
}

// withDetails builds a status with details, or a plain one if they cannot
// be attached (rpcerr.WithDetails, under the short name this package's
// many call sites use).
func withDetails(c codes.Code, msg string, details ...protoadapt.MessageV1) error {
	return rpcerr.WithDetails(c, msg, details...)
}
