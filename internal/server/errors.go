package server

import (
	"context"
	"errors"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// errorDomain names pdp in google.rpc.ErrorInfo details (rpcerr.Domain).
const errorDomain = rpcerr.Domain

// errNoSnapshot is returned before the first policy snapshot is loaded.
var errNoSnapshot = errors.New("no policies loaded yet")

// toStatus is the one place that picks gRPC codes and details. Handlers
// return s.toStatus(ctx, err) on every error path.
func (s *Server) toStatus(ctx context.Context, err error) error {
	var (
		re        *rpcerr.RequestError
		perrs     engine.Errors
		stale     *staleError
		malformed *malformedPolicyError
	)
	switch {
	case errors.As(err, &malformed):
		first := malformed.errs[0]
		pe := rpcerr.PolicyErrors(malformed.errs)
		return withDetails(codes.InvalidArgument, "malformed policy document: "+pe.Violations[0].Description,
			rpcerr.BadRequest(pe.Violations), &errdetails.ErrorInfo{Reason: "MALFORMED_POLICY_DOCUMENT", Domain: errorDomain,
				Metadata: map[string]string{"policy_id": rpcerr.Clip(first.PolicyID), "code": string(first.Code)}})
	case errors.As(err, &re):
		return re.Status()
	case errors.As(err, &perrs):
		return rpcerr.PolicyStatus(perrs)
	case errors.As(err, &stale):
		return withDetails(codes.Unavailable, stale.Error(),
			&errdetails.RetryInfo{RetryDelay: durationpb.New(100 * time.Millisecond)},
			&errdetails.ErrorInfo{Reason: "REVISION_NOT_REACHED", Domain: errorDomain,
				Metadata: map[string]string{"current_revision": strconv.FormatInt(stale.current, 10),
					"min_revision": strconv.FormatInt(stale.min, 10)}})
	case errors.Is(err, errNoSnapshot):
		return withDetails(codes.Unavailable, err.Error(),
			&errdetails.ErrorInfo{Reason: "NOT_READY", Domain: errorDomain})
	}
	if st, ok := rpcerr.StoreStatus(err); ok {
		return st
	}
	// Details stay in the log, not in the reply.
	s.log.ErrorContext(ctx, "request failed", "err", rpcerr.ClipMessage(err.Error()))
	return status.Error(codes.Internal, "internal error")
}

// withDetails builds a status with details, or a plain one if they cannot
// be attached (rpcerr.WithDetails, under the short name this package's
// many call sites use).
func withDetails(c codes.Code, msg string, details ...protoadapt.MessageV1) error {
	return rpcerr.WithDetails(c, msg, details...)
}
