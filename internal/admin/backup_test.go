package admin_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/servertest"
	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/memstore"
)

// fileStore is a memory store that backs up as a file of the given bytes
// would, as the bolt store does.
type fileStore struct {
	store.Store
	file []byte
}

func (f *fileStore) Backup(ctx context.Context, w io.Writer) (int64, int64, error) {
	rev, err := f.Revision(ctx)
	if err != nil {
		return 0, 0, err
	}
	// In odd pieces, as bbolt writes pages.
	for b := f.file; len(b) > 0; {
		n := min(len(b), 12345)
		if _, err := w.Write(b[:n]); err != nil {
			return 0, 0, err
		}
		b = b[n:]
	}
	return rev, int64(len(f.file)), nil
}

// receiveBackup reads a Backup stream to its end.
func receiveBackup(t *testing.T, client pdpv1.PolicyServiceClient) (data []byte, chunks []int, last *pdpv1.BackupResponse, err error) {
	t.Helper()
	stream, err := client.Backup(t.Context(), &pdpv1.BackupRequest{})
	require.NoError(t, err)
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return data, chunks, last, nil
		}
		if err != nil {
			return data, chunks, last, err
		}
		data = append(data, msg.GetData()...)
		chunks = append(chunks, len(msg.GetData()))
		last = msg
	}
}

func TestBackupStreamsTheFile(t *testing.T) {
	t.Parallel()
	file := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320,000 bytes
	e := servertest.NewEnv(t, servertest.Options{Store: &fileStore{Store: memstore.New(store.Options{}), file: file}, NoFollow: true})
	data, chunks, last, err := receiveBackup(t, e.Admin)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(file, data), "the file arrives whole and in order")
	for _, n := range chunks[:len(chunks)-1] {
		assert.LessOrEqual(t, n, 64<<10, "chunk size")
	}
	assert.Empty(t, last.GetData(), "the last message carries no data")
	assert.Equal(t, e.SeedRev, last.GetRevision())
	assert.Equal(t, int64(len(file)), last.GetSize())
}

func TestBackupNeedsAFileStore(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{NoFollow: true})
	_, _, _, err := receiveBackup(t, e.Admin)
	st := status.Convert(err)
	assert.Equal(t, codes.FailedPrecondition, st.Code())
	assert.Contains(t, st.Message(), "etcdctl snapshot save")
	var reason string
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			reason = info.GetReason()
		}
	}
	assert.Equal(t, "BACKUP_UNSUPPORTED", reason)
}
