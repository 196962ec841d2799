package server

import (
	"context"
	"fmt"
	"time"

	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/internal/snapshot"
)

// A decision call reads the snapshot it decides on here, once: the current
// one, or with min_revision one at least that recent, waiting for the
// follower to publish it.

// waitRevision returns a snapshot at least at min, waiting for the follower
// until ctx ends. Past the deadline it fails UNAVAILABLE with the current
// revision, so the caller can retry.
func (s *Server) waitRevision(ctx context.Context, minRev int64) (*snapshot.Snapshot, error) {
	// Wait no longer than the server allows, and give up a little before
	// the caller's deadline, so that the reply (UNAVAILABLE with the
	// current revision) reaches it before its own DEADLINE_EXCEEDED does.
	limit := time.Now().Add(s.cfg.MaxRevisionWait)
	if dl, ok := ctx.Deadline(); ok {
		limit = minTime(limit, dl.Add(-min(time.Until(dl)/10, 50*time.Millisecond)))
	}
	ctx, cancel := context.WithDeadline(ctx, limit)
	defer cancel()
	for {
		snap, changed := s.snaps.Changed()
		if snap != nil && snap.Revision() >= minRev {
			return snap, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, &staleError{min: minRev, current: s.currentRevision()}
		}
	}
}

// staleError: the server had not reached the revision a call asked for by
// its deadline.
type staleError struct{ min, current int64 }

func (e *staleError) Error() string {
	return fmt.Sprintf("policy revision %d not reached: the server is at revision %d", e.min, e.current)
}

// snapshotFor returns the snapshot a decision call should use: the current
// one, or with min_revision one at least that recent.
func (s *Server) snapshotFor(ctx context.Context, minRev int64) (*snapshot.Snapshot, error) {
	if minRev < 0 {
		return nil, rpcerr.NegativeRevision("min_revision", minRev)
	}
	if minRev > 0 {
		return s.waitRevision(ctx, minRev)
	}
	if snap := s.snaps.Current(); snap != nil {
		return snap, nil
	}
	return nil, errNoSnapshot
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// currentRevision returns the revision of the current snapshot; 0 before
// the first.
func (s *Server) currentRevision() int64 {
	if snap := s.snaps.Current(); snap != nil {
		return snap.Revision()
	}
	return 0
}
