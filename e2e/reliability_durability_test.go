package e2e

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// boltArgs serve a bolt store in dataDir, seeded with the example model,
// with admin writes limited only by the store.
func boltArgs(dataDir string) []string {
	return []string{"--store", "bolt", "--data-dir", dataDir, "--seed", "examples/model",
		"--admin-write-rate", "100000", "--admin-write-burst", "100000"}
}

// putUserChange is a change set writing one user.
func putUserChange(arn string, expectRevision int64) *pdpv1.ApplyChangesRequest {
	return &pdpv1.ApplyChangesRequest{ExpectRevision: expectRevision, Changes: []*pdpv1.Change{{
		Op:       pdpv1.ChangeOp_CHANGE_OP_PUT,
		Key:      &pdpv1.EntityKey{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: arn},
		Document: fmt.Sprintf(`{"arn": %q}`, arn),
	}}}
}

// TestReliabilityKillDuringWrites: SIGKILL in the middle of sequential
// writes loses no acknowledged revision of the bolt store.
func TestReliabilityKillDuringWrites(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	p := startProc(t, nil, boltArgs(dataDir)...)
	c := clientOf(dialConn(t, p.addr, nil))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	type ack struct {
		user string
		rev  int64
	}
	const writes, killAfter = 1000, 300
	var acked []ack // written by the writer, read after it is done
	enough := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range writes {
			user := fmt.Sprintf("arn:aws:iam::111122223333:user/durable-%04d", i)
			resp, err := c.admin.ApplyChanges(ctx, putUserChange(user, 0))
			if err != nil {
				return // the server is gone
			}
			acked = append(acked, ack{user, resp.GetRevision()})
			if len(acked) == killAfter {
				close(enough)
			}
		}
	}()
	select {
	case <-enough:
	case <-done:
		require.FailNow(t, "the writer stopped early", "after %d acknowledged writes, before %d:\n%s", len(acked), killAfter, p.log(t))
	}
	p.signal(t, syscall.SIGKILL)
	<-done
	require.True(t, p.waitExit(20*time.Second), "pdp serve did not die of SIGKILL")
	require.GreaterOrEqual(t, len(acked), killAfter)
	require.Less(t, len(acked), writes, "every write was acknowledged before the kill: nothing was in flight")

	q := startProc(t, nil, boltArgs(dataDir)...)
	c2 := clientOf(dialConn(t, q.addr, nil))
	highest := acked[len(acked)-1].rev
	for _, a := range acked {
		resp, err := c2.admin.GetEntity(ctx, &pdpv1.GetEntityRequest{Key: &pdpv1.EntityKey{
			Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: a.user}})
		require.NoError(t, err, "acknowledged write of %s at revision %d lost", a.user, a.rev)
		assert.Equal(t, a.rev, resp.GetEntity().GetModRevision(), "%s", a.user)
		require.GreaterOrEqual(t, resp.GetRevision(), highest, "the store went back behind an acknowledged revision")
	}
}

// TestReliabilityDamagedBoltFile: a zero-byte or truncated pdp.db makes pdp
// serve exit non-zero naming the file, and leaves the file as it was.
func TestReliabilityDamagedBoltFile(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	p := startProc(t, nil, boltArgs(src)...)
	p.signal(t, syscall.SIGTERM)
	require.True(t, p.waitExit(20*time.Second), "pdp serve did not stop on SIGTERM")
	full, err := os.ReadFile(filepath.Join(src, "pdp.db"))
	require.NoError(t, err)
	require.Greater(t, len(full), 8192, "a seeded store has more than its two meta pages")

	for _, tc := range []struct {
		name string
		data []byte
	}{
		{name: "zero bytes", data: []byte{}},
		{name: "first 100 bytes", data: full[:100]},
		{name: "first half", data: full[:len(full)/2]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			db := filepath.Join(dir, "pdp.db")
			require.NoError(t, os.WriteFile(db, tc.data, 0o600))
			r := serveRefusal(t, nil, append([]string{"--listen", "127.0.0.1:0"}, boltArgs(dir)...)...)
			assert.False(t, r.served, "pdp serve served from a damaged pdp.db:\n%s", r.stderr)
			assert.NotEqual(t, 0, r.exitCode, "exit code:\n%s", r.stderr)
			assert.Contains(t, r.stderr, "pdp.db", "the error does not name the file")
			after, err := os.ReadFile(db)
			require.NoError(t, err)
			assert.Equal(t, sha256.Sum256(tc.data), sha256.Sum256(after),
				"pdp serve changed the damaged file: %d bytes, now %d", len(tc.data), len(after))
		})
	}
}

// TestReliabilityConcurrentCAS: 50 writers with the same expect_revision:
// exactly one wins, the other 49 get ABORTED.
func TestReliabilityConcurrentCAS(t *testing.T) {
	t.Parallel()
	p := startProc(t, nil, boltArgs(t.TempDir())...)
	c := clientOf(dialConn(t, p.addr, nil))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	list, err := c.admin.ListEntities(ctx, &pdpv1.ListEntitiesRequest{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, PageSize: 1})
	require.NoError(t, err)
	base := list.GetRevision()
	require.Positive(t, base)

	const writers = 50
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		got   = make([]codes.Code, writers)
		revs  = make([]int64, writers)
	)
	for i := range writers {
		wg.Go(func() {
			<-start
			resp, err := c.admin.ApplyChanges(ctx, putUserChange(fmt.Sprintf("arn:aws:iam::111122223333:user/cas-%02d", i), base))
			got[i], revs[i] = status.Code(err), resp.GetRevision()
		})
	}
	close(start)
	wg.Wait()

	won, aborted, winner := 0, 0, -1
	for i, code := range got {
		switch code {
		case codes.OK:
			won, winner = won+1, i
		case codes.Aborted:
			aborted++
		default:
			assert.Fail(t, "writer neither won nor aborted", "writer %d: %v, want OK or Aborted", i, code)
		}
	}
	require.Equal(t, 1, won, "writers that won")
	assert.Equal(t, writers-1, aborted, "writers that got ABORTED")
	assert.Greater(t, revs[winner], base)
	now, err := c.admin.ListEntities(ctx, &pdpv1.ListEntitiesRequest{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, PageSize: 1})
	require.NoError(t, err)
	assert.Equal(t, revs[winner], now.GetRevision(), "only the winner's change was written")
}
