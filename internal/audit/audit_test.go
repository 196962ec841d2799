package audit_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/audit"
)

const (
	mApply    = "/pdp.v1.PolicyService/ApplyChanges"
	mGet      = "/pdp.v1.PolicyService/GetEntity"
	mList     = "/pdp.v1.PolicyService/ListEntities"
	mHistory  = "/pdp.v1.PolicyService/GetHistory"
	mRollback = "/pdp.v1.PolicyService/Rollback"
	mExport   = "/pdp.v1.PolicyService/Export"
	mWatch    = "/pdp.v1.PolicyService/Watch"
)

// base is the part of a record every call of the tests shares.
func base(principal, method string) audit.Record {
	return audit.Record{Time: wantTime, Principal: principal, Peer: "bufconn", RequestID: "req-1", Method: method}
}

func with(r audit.Record, f func(*audit.Record)) audit.Record {
	f(&r)
	return r
}

// TestRecords makes admin calls through real authentication, admin
// policies and write limits over the real policy service, and checks every
// field of the records each call leaves.
func TestRecords(t *testing.T) {
	t.Parallel()
	carolKey := []audit.Key{{Op: "put", Kind: "user", ID: carol}}
	aliceKey := []audit.Key{{Kind: "user", ID: alice}}
	apply := func(principal string, req *pdpv1.ApplyChangesRequest) func(context.Context, *env) error {
		return func(ctx context.Context, e *env) error {
			_, err := e.admin.ApplyChanges(as(ctx, principal, "req-1"), req)
			return err
		}
	}
	getAlice := func(principal string) func(context.Context, *env) error {
		return func(ctx context.Context, e *env) error {
			_, err := e.admin.GetEntity(as(ctx, principal, "req-1"), &pdpv1.GetEntityRequest{Key: userKey(alice)})
			return err
		}
	}
	writeCarol := &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{putUser(carol)}}
	tests := []struct {
		name     string
		opts     envOptions
		call     func(context.Context, *env) error
		wantCode codes.Code
		// want lists the records expected; msg is the status message the
		// client got, seed the revision the store was seeded at.
		want       func(seed int64, msg string) []audit.Record
		wantSynced int   // records synced: those of writes
		wantStore  int64 // store revision after, relative to the seed
	}{
		{name: "read", call: getAlice(readerARN), want: func(seed int64, _ string) []audit.Record {
			return []audit.Record{with(base(readerARN, mGet), func(r *audit.Record) {
				r.Keys, r.KeysTotal, r.Revision, r.Outcome, r.Code = aliceKey, 1, rev(seed), "ok", "OK"
			})}
		}},
		{name: "list", call: func(ctx context.Context, e *env) error {
			_, err := e.admin.ListEntities(as(ctx, readerARN, "req-1"), &pdpv1.ListEntitiesRequest{Kind: pdpv1.EntityKind_ENTITY_KIND_MANAGED_POLICY})
			return err
		}, want: func(seed int64, _ string) []audit.Record {
			return []audit.Record{with(base(readerARN, mList), func(r *audit.Record) {
				r.Keys, r.KeysTotal, r.Revision, r.Outcome, r.Code = []audit.Key{{Kind: "managed_policy"}}, 1, rev(seed), "ok", "OK"
			})}
		}},
		{name: "history", call: func(ctx context.Context, e *env) error {
			_, err := e.admin.GetHistory(as(ctx, readerARN, "req-1"), &pdpv1.GetHistoryRequest{Key: userKey(alice)})
			return err
		}, want: func(int64, string) []audit.Record {
			return []audit.Record{with(base(readerARN, mHistory), func(r *audit.Record) {
				r.Keys, r.KeysTotal, r.Outcome, r.Code = aliceKey, 1, "ok", "OK"
			})}
		}},
		{name: "export", call: func(ctx context.Context, e *env) error {
			_, err := e.admin.Export(as(ctx, adminARN, "req-1"), &pdpv1.ExportRequest{})
			return err
		}, want: func(seed int64, _ string) []audit.Record {
			return []audit.Record{with(base(adminARN, mExport), func(r *audit.Record) {
				r.Revision, r.Outcome, r.Code = rev(seed), "ok", "OK"
			})}
		}},
		{name: "write", call: apply(adminARN, writeCarol), wantSynced: 2, wantStore: 1,
			want: func(seed int64, _ string) []audit.Record {
				attempt := with(base(adminARN, mApply), func(r *audit.Record) {
					r.Keys, r.KeysTotal, r.RevisionBefore, r.Outcome = carolKey, 1, rev(seed), "attempt"
				})
				return []audit.Record{attempt, with(attempt, func(r *audit.Record) {
					r.RevisionAfter, r.Outcome, r.Code = rev(seed+1), "ok", "OK"
				})}
			}},
		{name: "dry run", call: apply(adminARN, &pdpv1.ApplyChangesRequest{Changes: writeCarol.Changes, DryRun: true}),
			want: func(seed int64, _ string) []audit.Record {
				return []audit.Record{with(base(adminARN, mApply), func(r *audit.Record) {
					r.Keys, r.KeysTotal, r.Revision, r.DryRun, r.Outcome, r.Code = carolKey, 1, rev(seed), true, "ok", "OK"
				})}
			}},
		{name: "write that fails", wantCode: codes.Aborted, wantSynced: 2,
			call: apply(adminARN, &pdpv1.ApplyChangesRequest{Changes: writeCarol.Changes, ExpectRevision: 99}),
			want: func(seed int64, msg string) []audit.Record {
				attempt := with(base(adminARN, mApply), func(r *audit.Record) {
					r.Keys, r.KeysTotal, r.RevisionBefore, r.Outcome = carolKey, 1, rev(seed), "attempt"
				})
				return []audit.Record{attempt, with(attempt, func(r *audit.Record) {
					r.Outcome, r.Code, r.Error = "error", "ABORTED", msg
				})}
			}},
		{name: "rollback", wantSynced: 2, call: func(ctx context.Context, e *env) error {
			_, err := e.admin.Rollback(as(ctx, adminARN, "req-1"), &pdpv1.RollbackRequest{ToRevision: e.seedRev})
			return err
		}, want: func(seed int64, _ string) []audit.Record {
			attempt := with(base(adminARN, mRollback), func(r *audit.Record) { r.RevisionBefore, r.Outcome = rev(seed), "attempt" })
			return []audit.Record{attempt, with(attempt, func(r *audit.Record) {
				r.RevisionAfter, r.Outcome, r.Code = rev(seed), "ok", "OK" // nothing to roll back: no new revision
			})}
		}},
		{name: "unauthenticated", call: getAlice(""), wantCode: codes.Unauthenticated,
			want: func(_ int64, msg string) []audit.Record {
				return []audit.Record{with(base("anonymous", mGet), func(r *audit.Record) {
					r.Keys, r.KeysTotal, r.Outcome, r.Code, r.Error = aliceKey, 1, "refused", "UNAUTHENTICATED", msg
				})}
			}},
		{name: "denied write", call: apply(readerARN, writeCarol), wantCode: codes.PermissionDenied,
			want: func(_ int64, msg string) []audit.Record {
				return []audit.Record{with(base(readerARN, mApply), func(r *audit.Record) {
					r.Keys, r.KeysTotal, r.Outcome, r.Code, r.Error = carolKey, 1, "refused", "PERMISSION_DENIED", msg
				})}
			}},
		{name: "authenticated without admin policy", call: getAlice(nobodyARN), wantCode: codes.PermissionDenied,
			want: func(_ int64, msg string) []audit.Record {
				return []audit.Record{with(base(nobodyARN, mGet), func(r *audit.Record) {
					r.Keys, r.KeysTotal, r.Outcome, r.Code, r.Error = aliceKey, 1, "refused", "PERMISSION_DENIED", msg
				})}
			}},
		{name: "rate limited", opts: envOptions{writeBurst: 1}, wantCode: codes.ResourceExhausted, wantSynced: 2, wantStore: 1,
			call: func(ctx context.Context, e *env) error {
				if err := apply(adminARN, writeCarol)(ctx, e); err != nil {
					return err
				}
				return apply(adminARN, &pdpv1.ApplyChangesRequest{Changes: writeCarol.Changes})(ctx, e)
			},
			want: func(seed int64, msg string) []audit.Record {
				attempt := with(base(adminARN, mApply), func(r *audit.Record) {
					r.Keys, r.KeysTotal, r.RevisionBefore, r.Outcome = carolKey, 1, rev(seed), "attempt"
				})
				return []audit.Record{attempt,
					with(attempt, func(r *audit.Record) { r.RevisionAfter, r.Outcome, r.Code = rev(seed+1), "ok", "OK" }),
					with(base(adminARN, mApply), func(r *audit.Record) {
						r.Keys, r.KeysTotal, r.Outcome, r.Code, r.Error = carolKey, 1, "refused", "RESOURCE_EXHAUSTED", msg
					}),
				}
			}},
		{name: "open admin API", opts: envOptions{openAdmin: true}, call: getAlice(""),
			want: func(seed int64, _ string) []audit.Record {
				return []audit.Record{with(base("anonymous", mGet), func(r *audit.Record) {
					r.Keys, r.KeysTotal, r.Revision, r.Outcome, r.Code = aliceKey, 1, rev(seed), "ok", "OK"
				})}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts)
			err := tc.call(t.Context(), e)
			require.Equal(t, tc.wantCode, status.Code(err), "code of %v", err)
			assert.Equal(t, tc.want(e.seedRev, status.Convert(err).Message()), e.sink.records(t))
			assert.Equal(t, tc.wantSynced, e.sink.synced(), "records synced")
			assert.Equal(t, e.seedRev+tc.wantStore, storeRevision(t, e.st), "store revision")
			assert.Zero(t, e.audit.Failed())
		})
	}
}
