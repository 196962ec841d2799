// Package entity is the entity model of the policy decision point: the
// accounts, organization SCPs, managed policies, users, groups, roles and
// resources of a policy directory, and the resolution that turns a request's
// principal, resource and account into the policy documents AWS would
// evaluate for it.
//
// # Place in the pipeline
//
// A [Set] is read from a directory of YAML and JSON bundle files with
// [LoadDir] (or from one file with [LoadBundle]), checked with
// [Set.Validate], and resolved with [Set.Resolve] into a [Resolved], which
// answers three questions for the server that builds compiled snapshots:
// which identity policies and which permissions boundary apply to a
// principal ([Resolved.Principal]; an assumed-role session resolves to its
// role), which resource-based policy and tags a resource has
// ([Resolved.Resource]), and which SCPs apply at each level of an account's
// organization ([Resolved.SCPChain]). The documents are parsed by
// pkg/engine, once, and each gets a stable ID (managed:NAME,
// inline:user/NAME:POLICY, group:GROUP:managed:NAME, scp:NAME,
// resource:ARN, boundary:NAME) so that explanations name them usefully.
// [Set.Bundle] writes a whole Set as one JSON bundle, which LoadBundle reads
// back.
//
// # Following a changing model
//
// A server that follows a model its writers validated links it without
// validating it again: [Set.Link] parses and links a whole Set, and a
// [Linker], which holds the entities one by one, links again after a
// change only what the change touches (the changed entities, the
// principals that attach a changed managed policy or join a changed group,
// the accounts that use a changed SCP). Both parse through a [DocCache],
// which keeps a document's parse, and so its *engine.Document, for as long
// as its text does not change; [Set.ResolveCached] is Resolve through one.
// Each Resolved a Linker returns shares what did not change with the one
// before, so that [Resolved.ChangedPrincipals] and
// [Resolved.ChangedResources] find a change without reading the whole
// model, and the server recompiles only that.
//
// # Errors
//
// Loading and validation report every problem they find as a [Problems]
// list; each [Problem] names its file (when known), the entity and the
// field, and a problem inside a policy document wraps the engine's
// *engine.PolicyError, whose line and column are those of the file the
// document was read from. Validation warnings are returned apart from
// errors.
//
// # Concurrency
//
// A Set is plain data; it is not safe to modify concurrently. A Resolved is
// immutable once built and safe for concurrent use; callers must not modify
// the documents, slices and maps it returns. A DocCache is safe for
// concurrent use. A Linker has a single owner, and keeps the entities it is
// given: they must not be modified afterwards.
//
// # Imports
//
// The package reads files only through the fs.FS it is given and keeps no
// global state. It imports the standard library, pkg/engine, pkg/catalog,
// pkg/jsonpos (which parses every bundle file, giving positions and the
// embedded documents' text as written) and sigs.k8s.io/yaml, never gRPC,
// protobuf, gen/, pkg/store or internal/server.
package entity
