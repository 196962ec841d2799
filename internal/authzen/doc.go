// Package authzen serves the OpenID AuthZEN Authorization API 1.0 over
// HTTPS: access evaluation (/access/v1/evaluation), batches of evaluations
// (/access/v1/evaluations), the search APIs (/access/v1/search/...) and the
// PDP metadata (/.well-known/authzen-configuration).
//
// A request flows: the Guard authenticates it (as gRPC decision calls are),
// request.go decodes and checks the JSON, mapping.go turns each AuthZEN
// subject, action, resource and context into a pdp.v1 CheckRequest, the
// Decider (internal/server's CheckAt) decides it on the current snapshot,
// counting it in the metrics and the decision log as any Check, and
// response.go writes the AuthZEN answer. The search APIs ask a Searcher
// (access.go adapts pdp.v1.AccessService: only unconditional answers are
// results); without one they answer 501 and are not listed in the metadata.
package authzen
