// Package engine decides AWS IAM authorization requests for the Amazon
// Pinpoint (mobiletargeting) and SMS and voice (sms-voice) action prefixes
// exactly as AWS IAM does.
//
// The pipeline is parse → validate → compile → evaluate:
//
//   - Parse reads an IAM JSON policy document strictly into a Document,
//     reporting every problem with its line and column.
//   - Validate checks a Document against the service catalog (unknown
//     actions, resources that fit no resource type, unknown condition keys,
//     condition values of the wrong type, size quotas) and returns findings
//     with a severity, in the manner of IAM Access Analyzer;
//     AccessAnalyzerFindings writes them as Access Analyzer's own findings.
//   - Compile turns documents of one policy type into a PolicySet: action
//     patterns expanded once into an index by action, wildcard patterns and
//     policy variables tokenized, condition values parsed.
//     PolicyTexts.Compile does parse and compile at once for the documents
//     a request brings with it (the session policies of a Check, every
//     policy of a Simulate call or a conformance case), naming each by its
//     field path.
//   - Evaluate combines the identity policies, resource policy, permissions
//     boundary, session policies and SCP levels of a request following the
//     AWS evaluation logic and returns Allow, ExplicitDeny or ImplicitDeny.
//     EvaluateExplain also says why.
//
// Building a request: the package example is the way to do it. A worker
// keeps one Context and one Request and, per decision, calls Reset, sets
// the global keys through Key handles resolved once (SetKey with
// KeySourceIP, KeyPrincipalArn, ... or NewKey), sets tags with SetTag or
// SetTags without building "aws:PrincipalTag/..." names, and calls
// Evaluate. In steady state that allocates nothing. Set with a key's name
// keeps working; it lowers names and remembers them in a reused context.
//
// Concurrency: a PolicySet is immutable and safe for concurrent use; a
// Context is safe for concurrent reads once built. Evaluate allocates
// nothing and takes no lock. A context stores values as text; a decision
// parses those it compares as IP addresses, numbers or dates once, into
// state of its own, so decisions never write to the context they read.
//
// The engine is pure: no I/O, no logging, no clock. It imports only the
// standard library and pkg/catalog, never gRPC, protobuf, gen/, pkg/store or
// internal/server.
package engine
