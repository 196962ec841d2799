package extauthz

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pdp-dev/pdp/internal/rpcerr"
)

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

// refuse returns a refusal whose message is format with args. Callers pass
// what the request sent through shown or rpcerr.Quote; the message is
// bounded as a whole too (rpcerr.ClipMessage), for the errors it wraps.
func refuse(reason, format string, args ...any) *refusal {
	return &refusal{reason: reason, msg: rpcerr.ClipMessage(fmt.Sprintf(format, args...))}
}

// shown is a value the request sent, as a refusal or a denial repeats it:
// as it is when it is printable text of at most rpcerr.MaxEcho bytes,
// clipped as rpcerr.Clip does when it is longer, and quoted as
// rpcerr.Quote does when it holds control characters or invalid UTF-8, so
// that a message stays small and on one line whatever the request holds.
func shown(s string) string {
	if !printable(s) {
		return rpcerr.Quote(s)
	}
	return rpcerr.Clip(s)
}

func printable(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}
