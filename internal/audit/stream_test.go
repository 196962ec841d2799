package audit_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/audit"
	"github.com/pdp-dev/pdp/internal/rotate"
	"github.com/pdp-dev/pdp/pkg/store"
)

// waitRecords waits until the sink holds n records, and returns them.
func waitRecords(t *testing.T, s *sink, n int) []audit.Record {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		written := s.waitWrite() // before reading, so no write is missed
		recs := s.records(t)
		if len(recs) >= n {
			require.Len(t, recs, n)
			return recs
		}
		select {
		case <-written:
		case <-timeout:
			require.Len(t, s.records(t), n, "records written before the deadline")
			return nil
		}
	}
}

// TestWatchRecorded checks the records of the streaming method: one when
// a Watch ends, with the last revision it sent, and one when it is denied.
func TestWatchRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx, cancel := context.WithCancel(as(t.Context(), adminARN, "req-1"))
	defer cancel()
	stream, err := e.admin.Watch(ctx, &pdpv1.WatchRequest{FromRevision: e.seedRev})
	require.NoError(t, err)
	_, err = e.admin.ApplyChanges(as(t.Context(), adminARN, "req-1"), &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{putUser(carol)}})
	require.NoError(t, err)
	for {
		resp, err := stream.Recv()
		require.NoError(t, err)
		if !resp.GetProgress() {
			require.Equal(t, e.seedRev+1, resp.GetRevision())
			break
		}
	}
	cancel()
	recs := waitRecords(t, e.sink, 3) // the write's two, then the Watch's
	assert.Equal(t, with(base(adminARN, mWatch), func(r *audit.Record) {
		r.Revision, r.Outcome, r.Code, r.Error = rev(e.seedRev+1), "error", "CANCELLED", recs[2].Error
	}), recs[2])

	_, err = readerWatch(t, e)
	require.Equal(t, codes.PermissionDenied, status.Code(err), "%v", err)
	recs = waitRecords(t, e.sink, 4)
	assert.Equal(t, with(base(readerARN, mWatch), func(r *audit.Record) {
		r.Outcome, r.Code, r.Error = "refused", "PERMISSION_DENIED", status.Convert(err).Message()
	}), recs[3])
}

// readerWatch starts a Watch as the reader, who may not, and returns its
// first answer.
func readerWatch(t *testing.T, e *env) (*pdpv1.WatchResponse, error) {
	stream, err := e.admin.Watch(as(t.Context(), readerARN, "req-1"), &pdpv1.WatchRequest{})
	if err != nil {
		return nil, err
	}
	return stream.Recv()
}

// panickyStore panics when an entity is read.
type panickyStore struct{ store.Store }

func (panickyStore) Get(context.Context, store.Key, int64) (store.Value, error) {
	panic("store read exploded")
}

// TestPanicRecorded checks that a call whose handler panics is recorded
// as the INTERNAL error it ends with.
func TestPanicRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{wrapStore: func(st store.Store) store.Store { return panickyStore{st} }})
	_, err := e.admin.GetEntity(as(t.Context(), readerARN, "req-1"), &pdpv1.GetEntityRequest{Key: userKey(alice)})
	require.Equal(t, codes.Internal, status.Code(err), "%v", err)
	assert.Equal(t, []audit.Record{with(base(readerARN, mGet), func(r *audit.Record) {
		r.Keys, r.KeysTotal = []audit.Key{{Kind: "user", ID: alice}}, 1
		r.Outcome, r.Code, r.Error = "error", "INTERNAL", "internal error"
	})}, e.sink.records(t))
}

// TestRotation checks that the audit log rotates by size like the
// decision log, without splitting or losing a record.
func TestRotation(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	rf := &rotate.File{Path: path, MaxBytes: 1000, MaxBackups: 50}
	e := newEnv(t, envOptions{sink: rf})
	const calls = 20
	for range calls {
		_, err := e.admin.GetEntity(as(t.Context(), readerARN, "req-1"), &pdpv1.GetEntityRequest{Key: userKey(alice)})
		require.NoError(t, err)
	}
	require.NoError(t, rf.Close())
	files, err := filepath.Glob(path + "*")
	require.NoError(t, err)
	require.Greater(t, len(files), 2, "rotated more than once: %v", files)
	seen := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(data), 1000, f)
		for _, r := range decode(t, data) {
			assert.Equal(t, mGet, r.Method)
			seen++
		}
	}
	assert.Equal(t, calls, seen)
	assert.Equal(t, int64(calls), e.audit.Written())
}
