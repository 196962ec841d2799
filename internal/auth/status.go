package auth

import (
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// A deniedError is an admin call the caller's policies do not allow. The
// statement fields are for the log only.
type deniedError struct {
	principal, action, resource string
	decision                    engine.Decision
	policyID, sid               string
	statement                   int // -1: no Deny applied (ImplicitDeny)
}

func (e *deniedError) Error() string {
	return fmt.Sprintf("%s is not authorized to perform %s on %s", e.principal, e.action, e.resource)
}

// An uncoveredError is a call to a method the Authorizer has no rule for,
// or whose request is not the message the method takes.
type uncoveredError struct {
	method     string
	badRequest bool
}

func (e *uncoveredError) Error() string {
	return fmt.Sprintf("method %s is not covered by authorization", e.method)
}

// toStatus is the one place in this package that picks gRPC codes and
// details. A denial names the action and resource only: which policy and
// statement denied stays in the log.
func toStatus(err error) error {
	var (
		an *authnError
		de *deniedError
		ue *uncoveredError
	)
	switch {
	case errors.Is(err, errNoCredentials):
		return rpcerr.WithDetails(codes.Unauthenticated,
			`authentication required: send "authorization: Bearer <token>" metadata or a client certificate`,
			&errdetails.ErrorInfo{Reason: "UNAUTHENTICATED", Domain: rpcerr.Domain})
	case errors.As(err, &an):
		return rpcerr.WithDetails(codes.Unauthenticated, an.reason,
			&errdetails.ErrorInfo{Reason: "UNAUTHENTICATED", Domain: rpcerr.Domain})
	case errors.As(err, &de):
		return rpcerr.WithDetails(codes.PermissionDenied,
			fmt.Sprintf("not authorized to perform %s on %s", de.action, de.resource),
			&errdetails.ErrorInfo{Reason: "ACCESS_DENIED", Domain: rpcerr.Domain,
				Metadata: map[string]string{"action": de.action, "resource": de.resource}})
	case errors.As(err, &ue):
		return rpcerr.WithDetails(codes.PermissionDenied, ue.Error(),
			&errdetails.ErrorInfo{Reason: "METHOD_NOT_COVERED", Domain: rpcerr.Domain})
	}
	return status.Error(codes.Internal, "internal error")
}
