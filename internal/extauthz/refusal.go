package extauthz

import "fmt"

// A refusal is a request the service cannot decide: it is answered 403,
// with the reason, and never allowed.
type refusal struct {
	reason string // machine-readable, in the dynamic metadata
	msg    string
}

// Reasons of refusals.
const (
	reasonNoPrincipal      = "NO_PRINCIPAL"
	reasonUnknownPrincipal = "UNKNOWN_PRINCIPAL"
	reasonNoRoute          = "NO_ROUTE"
	reasonBadRequest       = "BAD_REQUEST"
	reasonInvalid          = "INVALID_REQUEST" // the decision path refused the request
)

func refuse(reason, format string, args ...any) *refusal {
	return &refusal{reason: reason, msg: fmt.Sprintf(format, args...)}
}
