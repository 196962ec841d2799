// Package rpcerr holds what every gRPC service of pdp shares when it turns
// an error into a status: the domain of its google.rpc.ErrorInfo details,
// the one way to attach details, the errors that name a request's bad
// fields (request.go) and the statuses of the store's sentinels, and the
// bounds on the caller's values a reply repeats (echo.go). Each service
// keeps its own toStatus, the single place that picks its codes.
package rpcerr

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

// Domain names pdp in google.rpc.ErrorInfo details.
const Domain = "pdp.dev"

// WithDetails builds a status error with details, or a plain one with the
// same code and message if they cannot be attached: a reply never loses
// its code for want of its details.
func WithDetails(c codes.Code, msg string, details ...protoadapt.MessageV1) error {
	st, err := status.New(c, msg).WithDetails(details...)
	if err != nil {
		return status.Error(c, msg)
	}
	return st.Err()
}
