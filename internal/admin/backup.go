package admin

import (
	"bufio"
	"context"
	"errors"
	"io"

	"google.golang.org/grpc"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// A backupStore copies itself consistently while it serves: the embedded
// bolt store (boltstore.Store.Backup).
type backupStore interface {
	Backup(ctx context.Context, w io.Writer) (rev, size int64, err error)
}

// errBackupUnsupported: the store has no file to copy.
var errBackupUnsupported = errors.New("this server's policy store cannot be backed up through the API: " +
	"only the embedded bolt store can; back up an etcd store with \"etcdctl snapshot save\", " +
	"and a memory store keeps nothing to restore (export its model with \"pdp policy export\")")

// backupChunk is the most file bytes one BackupResponse carries, well
// under any message size limit.
const backupChunk = 64 << 10

// Backup streams a consistent copy of the store's file, in chunks, then
// the revision the copy holds and its size.
func (a *PolicyAdmin) Backup(_ *pdpv1.BackupRequest, stream grpc.ServerStreamingServer[pdpv1.BackupResponse]) error {
	ctx := stream.Context()
	bs, ok := a.st.(backupStore)
	if !ok {
		return a.toStatus(ctx, errBackupUnsupported)
	}
	send := chunkWriter(func(p []byte) error { return stream.Send(&pdpv1.BackupResponse{Data: p}) })
	w := bufio.NewWriterSize(send, backupChunk)
	rev, size, err := bs.Backup(ctx, w)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return a.toStatus(ctx, err)
	}
	a.log.InfoContext(ctx, "store backed up", "revision", rev, "bytes", size, "caller", author(ctx))
	return stream.Send(&pdpv1.BackupResponse{Revision: rev, Size: size})
}

// chunkWriter sends what is written to it in pieces of at most backupChunk
// bytes.
type chunkWriter func(p []byte) error

func (send chunkWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		c := p[:min(len(p), backupChunk)]
		if err := send(c); err != nil {
			return n, err
		}
		n += len(c)
		p = p[len(c):]
	}
	return n, nil
}
