package auth

import (
	"context"
	"net/http"

	"github.com/pdp-dev/pdp/internal/tlsconf"
)

// GuardDecisionHTTP authenticates a decision request that came over HTTP
// (the AuthZEN API), as the interceptors do for decision calls over gRPC:
// with a bearer token in the Authorization header when there is one, else
// with the verified client certificate of the connection. When
// RequireForDecisions is off it lets every request through untouched.
// It returns the request's context holding the caller (see Caller), or a
// status error: codes.Unauthenticated for missing or unknown credentials.
// method names the endpoint in the log line of a refusal.
func (a *Authorizer) GuardDecisionHTTP(r *http.Request, method string) (context.Context, error) {
	ctx := r.Context()
	if !a.cfg.RequireForDecisions {
		return ctx, nil
	}
	principal, err := a.authenticateHTTP(r, a.state.Load())
	if err != nil {
		return nil, a.refuse(ctx, method, err)
	}
	return WithCaller(ctx, principal), nil
}

// authenticateHTTP is authenticate for an HTTP request.
func (a *Authorizer) authenticateHTTP(r *http.Request, st *state) (string, error) {
	if vals := r.Header.Values("Authorization"); len(vals) > 0 {
		return bearerPrincipal(st.tokens, vals)
	}
	if st.identities.Len() == 0 || r.TLS == nil {
		return "", errNoCredentials
	}
	id, ok := tlsconf.PeerIdentity(*r.TLS)
	if !ok {
		return "", errNoCredentials
	}
	p, ok := st.identities.Lookup(id)
	if !ok {
		return "", &authnError{reason: "client certificate identity not mapped to a principal", identity: id}
	}
	return p, nil
}
