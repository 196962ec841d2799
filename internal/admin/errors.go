package admin

import (
	"context"
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// toStatus is the one place the policy service picks gRPC codes and
// details. Its methods return a.toStatus(ctx, err) on every error path.
func (a *PolicyAdmin) toStatus(ctx context.Context, err error) error {
	var (
		re    *rpcerr.RequestError
		perrs engine.Errors
	)
	switch {
	case errors.As(err, &re):
		return re.Status()
	case errors.As(err, &perrs):
		return rpcerr.PolicyStatus(perrs)
	case errors.Is(err, errBackupUnsupported):
		return rpcerr.WithDetails(codes.FailedPrecondition, err.Error(),
			&errdetails.ErrorInfo{Reason: "BACKUP_UNSUPPORTED", Domain: rpcerr.Domain})
	}
	if st, ok := rpcerr.StoreStatus(err); ok {
		return st
	}
	// Details stay in the log, not in the reply.
	a.log.ErrorContext(ctx, "request failed", "err", rpcerr.ClipMessage(err.Error()))
	return status.Error(codes.Internal, "internal error")
}
