package audit_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rotate"
)

// TestUnwritableAuditLogRefusesWrites checks that a write whose attempt
// record cannot be written is refused with UNAVAILABLE and changes
// nothing, while reads go on, their lost records logged and counted.
func TestUnwritableAuditLogRefusesWrites(t *testing.T) {
	t.Parallel()
	diskFull := errors.New("no space left on device")
	tests := []struct {
		name string
		sink func(t *testing.T) any // an io.Writer
		// Records written and lost: Export, three writes, GetEntity. A
		// failing Sync loses only the attempts: the other records are
		// not synced.
		wantWritten, wantFailed int64
	}{
		{name: "write fails", wantFailed: 1 + 3*2 + 1, sink: func(*testing.T) any { return &sink{err: diskFull} }},
		{name: "sync fails", wantWritten: 1 + 3 + 1, wantFailed: 3, sink: func(*testing.T) any { return &sink{syncErr: diskFull} }},
		{name: "directory removed", wantFailed: 1 + 3*2 + 1, sink: func(t *testing.T) any {
			dir := filepath.Join(t.TempDir(), "audit")
			require.NoError(t, os.Mkdir(dir, 0o700))
			rf := &rotate.File{Path: filepath.Join(dir, "audit.log")}
			require.NoError(t, os.Remove(dir)) // before the file opens: every write fails
			t.Cleanup(func() { _ = rf.Close() })
			return rf
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{sink: tc.sink(t)})
			ctx := as(t.Context(), adminARN, "req-1")
			writes := []struct {
				name string
				call func() error
			}{
				{"ApplyChanges", func() error {
					_, err := e.admin.ApplyChanges(ctx, &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{putUser(carol)}})
					return err
				}},
				{"Import", func() error {
					exp, err := e.admin.Export(ctx, &pdpv1.ExportRequest{})
					require.NoError(t, err, "Export is a read: it goes on")
					bundle := strings.Replace(exp.GetBundle(), "user/alice", "user/alicia", 1)
					_, err = e.admin.Import(ctx, &pdpv1.ImportRequest{Bundle: bundle})
					return err
				}},
				{"Rollback", func() error {
					_, err := e.admin.Rollback(ctx, &pdpv1.RollbackRequest{ToRevision: e.seedRev})
					return err
				}},
			}
			for _, w := range writes {
				err := w.call()
				st := status.Convert(err)
				require.Equal(t, codes.Unavailable, st.Code(), "%s: %v", w.name, err)
				assert.Equal(t, "audit log unavailable", st.Message(), w.name)
				require.Len(t, st.Details(), 1, w.name)
				info, ok := st.Details()[0].(*errdetails.ErrorInfo)
				require.True(t, ok, "%s: details %v", w.name, st.Details())
				assert.Equal(t, "AUDIT_LOG_UNAVAILABLE", info.GetReason(), w.name)
			}
			assert.Equal(t, e.seedRev, storeRevision(t, e.st), "nothing applied")

			resp, err := e.admin.GetEntity(ctx, &pdpv1.GetEntityRequest{Key: userKey(alice)})
			require.NoError(t, err, "a read goes on without its record")
			assert.Equal(t, e.seedRev, resp.GetRevision())
			assert.Equal(t, tc.wantFailed, e.audit.Failed(), "records lost")
			assert.Equal(t, tc.wantWritten, e.audit.Written(), "records written")
			assert.Equal(t, 3, strings.Count(e.logs.String(), `"level":"ERROR","msg":"write refused: its audit record could not be written"`))
			if tc.wantFailed > 3 {
				assert.Contains(t, e.logs.String(),
					`"level":"ERROR","msg":"audit record not written","component":"audit","method":"/pdp.v1.PolicyService/GetEntity"`)
			}
		})
	}
}

// TestFinalRecordLost checks that a write performed after its attempt was
// recorded stands when its final record cannot be written: the call
// succeeds and the loss is logged at ERROR.
func TestFinalRecordLost(t *testing.T) {
	t.Parallel()
	// The sink fails every Sync after the first: the attempt's.
	e := newEnv(t, envOptions{sink: &failAfter{sink: &sink{}, okSyncs: 1}})
	resp, err := e.admin.ApplyChanges(as(t.Context(), adminARN, "req-1"),
		&pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{putUser(carol)}})
	require.NoError(t, err)
	assert.Equal(t, e.seedRev+1, resp.GetRevision())
	assert.Equal(t, e.seedRev+1, storeRevision(t, e.st))
	assert.Equal(t, int64(1), e.audit.Written())
	assert.Equal(t, int64(1), e.audit.Failed())
	assert.Contains(t, e.logs.String(), `"level":"ERROR","msg":"audit record of a write not written after its attempt record"`)
}

// failAfter is a sink whose Sync fails once okSyncs have succeeded.
type failAfter struct {
	*sink
	okSyncs int
}

func (f *failAfter) Sync() error {
	f.mu.Lock()
	done := f.syncs >= f.okSyncs
	f.mu.Unlock()
	if done {
		return errors.New("input/output error")
	}
	return f.sink.Sync()
}
