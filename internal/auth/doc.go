// Package auth authenticates the callers of pdp's gRPC API and authorizes
// their calls to the admin API (pdp.v1.PolicyService) with IAM policies,
// decided by pdp's own engine.
//
// Authentication gives a caller a principal ARN, such as
// arn:aws:iam::111122223333:role/pdp-admin, from one of two sources:
//
//   - a bearer token in the "authorization: Bearer <token>" request
//     metadata, looked up by its SHA-256 hash in a token file (see
//     ParseTokens); every entry is compared in constant time;
//   - the identity of a verified TLS client certificate (URI SAN, else DNS
//     SAN, else subject CN; see TLSIdentity and tlsconf.PeerIdentity),
//     mapped through an identity file (see ParseIdentities).
//
// A bearer token, when sent, decides: a wrong one is refused even if the
// connection also carries a good certificate.
//
// Authorization: every PolicyService method is an action of the "pdp"
// namespace (pdp:ApplyChanges, pdp:GetEntity, ...) on a resource of the
// store: arn:pdp:store:::entity/KIND/ID for one entity,
// arn:pdp:store:::entity/KIND/* for a listing of one kind, and
// arn:pdp:store:::store for everything store-wide (see the method table in
// methods.go). ApplyChanges is authorized once per change, and refused whole
// if any change is denied. The decision is engine.Evaluate over the
// caller's identity policies, taken from an admin policy file (see
// ParseAdminPolicies) that lives outside the policy store: whoever can
// write to the store still cannot grant themselves admin rights.
//
// The interceptors (Authorizer.UnaryInterceptor, StreamInterceptor) answer
// UNAUTHENTICATED when a caller is not known and PERMISSION_DENIED when it
// is denied; the reply names the action and resource only, while the
// denying statement (policy and Sid) goes to the log. Health checking and
// reflection are never gated.
//
// Concurrency: an Authorizer is safe for concurrent use. Its files are read
// into one immutable state that Reload replaces whole, so a call sees
// either the old files or the new ones, never a mix.
//
// The package sits beside internal/server: it imports pkg/engine,
// pkg/catalog, pkg/store (for entity kinds), internal/tlsconf (for
// certificate identities), gen/ and gRPC, and must not import
// internal/server or cmd/.
package auth
