// Package awsimport reads what the AWS CLI exports of an account — the IAM
// authorization details (GetAccountAuthorizationDetails), the organization's
// service control policies and where they attach, and the Amazon Pinpoint and
// SMS and voice resources with their tags and resource-based policies — and
// converts it into pdp's policy model, an [entity.Set], which [Files]
// renders as a policy directory and [Diff] compares with a server's model.
//
// # Place in the pipeline
//
// Readers (gaad.go, organization.go, pinpoint.go) decode the AWS shapes
// and report every problem with the file and JSON path it comes from; policy
// documents arrive as JSON objects, JSON strings or URL-encoded JSON strings
// and leave policydoc.go as one normalized text, so that the three encodings
// of one export give the same bytes. [Convert] resolves the references
// between them (groups by name, managed policies and boundaries by ARN, SCP
// targets by ID) and validates every document with pkg/engine, as
// `pdp validate` does. Nothing is guessed: a reference that the files cannot
// satisfy is a problem, and a result with problems is refused whole.
//
// # Concurrency and imports
//
// Everything here is plain data and pure functions; nothing is shared.
// The package imports the standard library, pkg/entity, pkg/engine and
// pkg/catalog, never gRPC, protobuf, gen/ or internal/.
package awsimport
