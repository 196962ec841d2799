// Package admin implements pdp's PolicyService: validated writes to the
// policy store (ApplyChanges, Import, Rollback), reads of its entities
// and history (GetEntity, ListEntities, GetHistory, Diff, Export, Watch),
// backups, seeding an empty store (seed.go) and the limiter of admin
// writes (ratelimit.go).
//
// # A write
//
//  1. PolicyAdmin.ApplyChanges (policy.go) converts the request's changes
//     (internal/changeset); internal/auth has already allowed the call and
//     WriteLimiter its rate.
//  2. write takes the writer's lock and brings the writer's copy of the
//     model up to the store's revision (write_model.go: the changes since
//     the last write, or a full read).
//  3. validate decodes and resolves the part of the model the changes can
//     affect (write_scope.go) with pkg/entity and pkg/engine; a change set
//     with any error is refused whole, with every finding in the details.
//     A dry run stops here and reports the change set's impact
//     (changeset.Impact), computed exactly as AccessService.Impact does.
//  4. The changes go to the store in one transaction guarded by the
//     revision validated against; another writer in between means
//     validating again on the new model, or ErrConflict (ABORTED) when the
//     caller named the revision it expected.
//
// The decision servers learn of the new revision from the store's watch
// (snapshot.Follower), not from this package. Every error path returns
// a.toStatus(ctx, err) (errors.go).
//
// The package must not import internal/server: the two services share
// only internal/snapshot's Model, internal/changeset and internal/rpcerr.
package admin
