// Package extauthz serves Envoy's external authorization API
// (envoy.service.auth.v3.Authorization/Check) for Amazon Pinpoint and End
// User Messaging SMS and voice v2 requests that pass through an Envoy
// proxy.
//
// A CheckRequest flows top to bottom: the principal comes from the
// verified peer (attributes.source.principal, mapped through the mTLS
// identities file) or from a claim of a JWT that Envoy's jwt_authn filter
// verified (principal.go), never from a header the client sent; the route
// table (package routes, generated from AWS's API models) gives the action
// and the resource ARNs (route.go); the request adds aws:SourceIp,
// aws:SecureTransport, aws:RequestedRegion, aws:CurrentTime and the tags of
// its body (context.go, tags.go); every resource is decided through the
// same snapshot and decision path as pdp.v1.AuthorizationService/Check,
// which counts it in the metrics and the decision log; and the answer is
// an OK response with x-pdp-decision and x-pdp-revision headers, or a 403
// with an AWS-style JSON error body (response.go). Anything that cannot be
// routed or attributed is refused: the service fails closed.
//
// A Service is immutable and safe for concurrent use. It imports the
// decision path through the Decider interface, not internal/server.
package extauthz
