package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// TestReliabilityShutdownBlockedDecisionLog: with the decision log stuck on
// a FIFO that nobody reads, SIGTERM still ends the process within 20 s.
func TestReliabilityShutdownBlockedDecisionLog(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "decisions.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	// The read end is held open and never read, so that the server's open
	// succeeds and its writes stall once the pipe is full. It is closed
	// only after the process has been stopped (cleanups run last first).
	stalled, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	require.NoError(t, err)
	t.Cleanup(func() { stalled.Close() })
	p := startProc(t, nil, "--policies", "examples/model", "--decision-log", fifo,
		"--grace-period", "2s", "--drain-delay", "0s")
	c := clientOf(dialConn(t, p.addr, nil))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	batch := &pdpv1.BatchCheckRequest{Principal: carol, Items: make([]*pdpv1.BatchCheckItem, 1000)}
	for i := range batch.Items {
		batch.Items[i] = &pdpv1.BatchCheckItem{Action: "mobiletargeting:GetSegment", Resource: activeUsersSegmentARN}
	}
	// Backed up: the pipe is full to within a page, and records are being dropped.
	backedUp := func() bool {
		queued, capacity := pipeFill(t, stalled)
		return queued >= capacity-4096 && strings.Contains(p.log(t), "decision log dropped records")
	}
	for i := 0; i < 200 && !backedUp(); i++ {
		_, err := c.authz.BatchCheck(ctx, batch)
		require.NoError(t, err, "decision %d", i)
	}
	require.True(t, backedUp(), "the decision log never backed up:\n%s", p.log(t))

	p.signal(t, syscall.SIGTERM)
	if !assert.True(t, p.waitExit(20*time.Second), "pdp serve still runs 20s after SIGTERM:\n%s", p.log(t)) {
		p.signal(t, syscall.SIGKILL)
	}
}

// fGetPipeSize is F_GETPIPE_SZ of linux/fcntl.h, which package syscall lacks.
const fGetPipeSize = 1032

// pipeFill reports how many bytes wait in the pipe whose read end is f, and
// the pipe's capacity.
func pipeFill(t *testing.T, f *os.File) (queued, capacity int) {
	t.Helper()
	var n int32
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
	require.Zero(t, errno, "FIONREAD on the decision log pipe: %v", errno)
	c, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), fGetPipeSize, 0)
	require.Zero(t, errno, "F_GETPIPE_SZ on the decision log pipe: %v", errno)
	return int(n), int(c)
}

// TestReliabilityWriteDuringDrain: a write acknowledged during the drain
// delay is visible to a Check with that min_revision on the same connection.
func TestReliabilityWriteDuringDrain(t *testing.T) {
	t.Parallel()
	p := startProc(t, nil, "--policies", "examples/model", "--drain-delay", "5s",
		"--admin-write-rate", "1000", "--admin-write-burst", "100")
	c := clientOf(dialConn(t, p.addr, nil))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	requireServing(ctx, t, p, c)

	p.signal(t, syscall.SIGTERM)
	waitHealth(ctx, t, c, "", healthpb.HealthCheckResponse_NOT_SERVING)
	resp, err := c.admin.ApplyChanges(ctx, putUserChange(carol, 0))
	require.NoError(t, err, "ApplyChanges during the drain")
	rev := resp.GetRevision()
	check, err := carolReadsSegment(ctx, c, rev)
	require.NoError(t, err, "Check at min_revision %d during the drain", rev)
	assert.GreaterOrEqual(t, check.GetRevision(), rev)

	require.True(t, p.waitExit(20*time.Second), "pdp serve still runs 20s after SIGTERM")
	assert.True(t, p.state.Success(), "pdp serve exit: %v\n%s", p.state, p.log(t))
}
