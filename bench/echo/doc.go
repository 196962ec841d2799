// Package echo is the baseline that pdp's server is load-tested against: a
// gRPC server that registers the same pdp.v1.AuthorizationService and
// answers every call at once, without deciding anything, with a response of
// the shape and size pdp gives. Measured side by side with ghz or k6, the
// difference between the two is the cost of deciding, not of gRPC.
//
// The server takes the transport options of pdp's own gRPC server that bear
// on speed (message size limits, concurrent streams per connection,
// keepalive) and serves health checking and reflection as pdp does, so that
// load tools address both the same way. It has none of pdp's interceptors:
// the logging, deadline, panic recovery and authorization layers are part
// of the cost the comparison measures.
//
// A Server holds no state that changes and is safe for concurrent use.
// The package imports gen/ and gRPC only, never pdp's internal packages.
package echo
