// Package conformance reads authorization cases in the JSON Lines format of
// the conformance corpora and decides them with the engine. Each case is
// self-contained: its policies, its request and (in corpora) the expected
// decision. `pdp eval`, the engine's conformance test and the server's
// Simulate call all go through it, so they decide identically.
//
// The format: every line is one JSON object with id, identity_policies,
// resource_policy, permissions_boundary, session_policies, scps, request and
// expect. The request context maps condition keys to a string, or to a list
// of strings for multivalued keys.
//
// A Case is plain data; deciding one is pure CPU work with no shared state.
package conformance
