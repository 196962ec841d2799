package extauthz

import (
	"fmt"
	"strings"

	"github.com/pdp-dev/pdp/internal/auth"
)

// Where a request's principal comes from.
const (
	// PrincipalFromPeer takes the verified peer: attributes.source.principal
	// (the URI SAN or subject of the client certificate Envoy verified),
	// mapped to a principal ARN by the identities file.
	PrincipalFromPeer = "peer"
	// PrincipalFromJWT takes a claim of the JWT that Envoy's jwt_authn
	// filter verified and wrote to its dynamic metadata.
	PrincipalFromJWT = "jwt"
)

// JWTFilter is the filter metadata namespace of Envoy's jwt_authn filter.
const JWTFilter = "envoy.filters.http.jwt_authn"

// DefaultJWTClaim is the claim read by default: "sub" of the payload that
// jwt_authn's payload_in_metadata: jwt_payload writes.
const DefaultJWTClaim = "jwt_payload.sub"

// DefaultMaxBodyBytes bounds the request body read for identifiers and
// tags; Envoy's with_request_body.max_request_bytes should not exceed it.
const DefaultMaxBodyBytes = 1 << 20

// Config sets up a Service.
type Config struct {
	// Region is the AWS Region of every resource; empty takes it from the
	// host (pinpoint.REGION.amazonaws.com, sms-voice.REGION.amazonaws.com).
	Region string
	// Account is the account of every resource; empty takes the
	// principal's account, as AWS does for the caller's own resources.
	Account string
	// PrincipalFrom is PrincipalFromPeer or PrincipalFromJWT.
	PrincipalFrom string
	// JWTClaim is the dotted path of the claim in jwt_authn's metadata,
	// e.g. "jwt_payload.sub"; DefaultJWTClaim when empty.
	JWTClaim string
	// Identities maps peer identities (and JWT claims, where listed) to
	// principal ARNs. A JWT claim not listed must be a principal ARN.
	Identities *auth.Identities
	// MaxBodyBytes bounds the body read; DefaultMaxBodyBytes when zero.
	MaxBodyBytes int
	// Explain has every decision explained, for the matched statements of
	// the dynamic metadata (matched_statements). Explaining evaluates
	// every statement instead of stopping at the answer: it costs about as
	// much again as deciding.
	Explain bool
}

// check validates the configuration and fills in defaults.
func (c Config) check() (Config, error) {
	switch c.PrincipalFrom {
	case PrincipalFromPeer:
		if c.Identities == nil {
			return c, fmt.Errorf("principal from %q needs an identities file mapping peer identities to principal ARNs", c.PrincipalFrom)
		}
	case PrincipalFromJWT:
	default:
		return c, fmt.Errorf("principal from %q: want %q or %q", c.PrincipalFrom, PrincipalFromPeer, PrincipalFromJWT)
	}
	if c.JWTClaim == "" {
		c.JWTClaim = DefaultJWTClaim
	}
	if strings.HasPrefix(c.JWTClaim, ".") || strings.HasSuffix(c.JWTClaim, ".") || strings.Contains(c.JWTClaim, "..") {
		return c, fmt.Errorf("JWT claim %q: want a dotted path such as %q", c.JWTClaim, DefaultJWTClaim)
	}
	if c.Region != "" && !validRegion(c.Region) {
		return c, fmt.Errorf("region %q: want a Region name such as us-east-1", c.Region)
	}
	if c.Account != "" && !validAccount(c.Account) {
		return c, fmt.Errorf("account %q: want 12 digits", c.Account)
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return c, nil
}

// validRegion accepts Region names: lower-case letters, digits and
// hyphens, beginning with a letter.
func validRegion(r string) bool {
	if r == "" || len(r) > 32 || r[0] < 'a' || r[0] > 'z' {
		return false
	}
	for i := range len(r) {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validAccount(a string) bool {
	if len(a) != 12 {
		return false
	}
	for i := range len(a) {
		if a[i] < '0' || a[i] > '9' {
			return false
		}
	}
	return true
}
