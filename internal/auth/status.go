package auth

import (
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// errorDomain names pdp in google.rpc.ErrorInfo details, as
// internal/server does.
const errorDomain = "pdp.dev"

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
		return withDetails(codes.Unauthenticated,
			`authentication required: send "authorization: Bearer <token>" metadata or a client certificate`,
			&errdetails.ErrorInfo{Reason: "UNAUTHENTICATED", Domain: errorDomain})
	case errors.As(err, &an):
		return withDetails(codes.Unauthenticated, an.reason,
			&errdetails.ErrorInfo{Reason: "UNAUTHENTICATED", Domain: errorDomain})
	case errors.As(err, &de):
		return withDetails(codes.PermissionDenied,
			fmt.Sprintf("not authorized to perform %s on %s", de.action, de.resource),
			&errdetails.ErrorInfo{Reason: "ACCESS_DENIED", Domain: errorDomain,
				Metadata: map[string]string{"action": de.action, "resource": de.resource}})
	case errors.As(err, &ue):
		return withDetails(codes.PermissionDenied, ue.Error(),
			&errdetails.ErrorInfo{Reason: "METHOD_NOT_COVERED", Domain: errorDomain})
	}
	return status.Error(codes.Internal, "internal error")
}

// withDetails builds a status with details, or a plain one if they cannot
// be attached.
func withDetails(c codes.Code, msg string, details ...protoadapt.MessageV1) error {
	st, err := status.New(c, msg).WithDetails(details...)
	if err != nil {
		return status.Error(c, msg)
	}
	return st.Err()
}
