// Package awsimport reads what the AWS CLI exports of an account — the IAM
// authorization details (GetAccountAuthorizationDetails), the organization's
// service control policies and where they attach, and the Amazon Pinpoint and
// SMS and voice resources with their tags and resource-based policies — and
// converts it into pdp's policy model, an [entity.Set], which [Files]
// renders as a policy directory and [Diff] compares with a server's model.
//
// # Place in the pipeline
//
// Readers (gaad.go, organization.go, pinpoint.go, iamcollect.go) decode the AWS shapes
// and report every problem with the file and JSON path it comes from; policy
// documents arrive as JSON objects, JSON strings or URL-encoded JSON strings
// and leave policydoc.go as one normalized text, so that the three encodings
// of one export give the same bytes. [Convert] resolves the references
// between them (groups by name, managed policies and boundaries by ARN, SCP
// targets by ID) and validates every document with pkg/engine, as
// `pdp validate` does. Nothing is guessed: a reference that the files cannot
// satisfy is a problem, and a result with problems is refused whole.
//
// # iam-collect storage
//
// iamcollect.go reads the file storage of iam-collect as the GAAD and
// Organization readers' results, so Convert treats both sources alike.
// Under aws/PARTITION/accounts/ACCOUNT/iam it reads, for each user, group,
// role and managed policy directory (user/, group/, role/, policy/, and
// aws/policy/ for AWS managed policies): metadata.json (arn, name, path,
// permissionBoundary, description, defaultVersionId), managed-policies.json
// (attached ARNs), inline-policies.json (PolicyName, PolicyDocument),
// groups.json (a user's group ARNs), trust-policy.json, tags.json (key to
// value) and current-policy.json (the default version's document). Under
// aws/PARTITION/organizations/ORG it reads metadata.json (rootOu,
// rootAccountId: the management account), accounts.json (each account's
// ou and attached scps), ous.json (each OU's parent and scps) and, per
// SCP, scps/ID/metadata.json (arn, name) and scps/ID/policy.json. Every
// other file is ignored. Directory names are lower-cased and URL-escaped
// by iam-collect, so names and paths come from the files, never from the
// directories. iam-collect stores no Pinpoint or SMS and voice resources
// and no account names; it sorts keys and arrays, so documents read from
// it decide alike but are not byte for byte those of a CLI export.
//
// # Concurrency and imports
//
// Everything here is plain data and pure functions; nothing is shared.
// The package imports the standard library, pkg/entity, pkg/engine and
// pkg/catalog, never gRPC, protobuf, gen/ or internal/.
package awsimport
