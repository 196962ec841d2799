// Package conformance reads authorization cases in the JSON Lines format of
// the conformance corpora, and runs as tests the public corpus and the
// corpus of cases written from the AWS documentation (each quoting the rule
// it follows in its note). Each case
// is self-contained: its policies, its request and (in corpora) the
// expected decision. `pdp eval` reads its input with Decode.
//
// The format: every line is one JSON object with id, identity_policies,
// resource_policy, permissions_boundary, session_policies, scps, request and
// expect. The request context maps condition keys to a string, or to a list
// of strings for multivalued keys.
//
// Compiling the policies is not done here: a case hands its documents to
// engine.PolicyTexts, which the server's Simulate call and the session
// policies of Check use too, so all of them compile identically.
//
// A Case is plain data; deciding one is pure CPU work with no shared state.
package conformance
