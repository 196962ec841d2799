package server

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/pdp-dev/pdp/pkg/store"
)

// Follow keeps the server's snapshot at the store's latest revision until
// ctx ends: a full read first, then every change from the store's watch,
// each compiled into a new snapshot and swapped in whole. When the watch
// fails, the server keeps answering from its last snapshot, reports the
// store as lost, and resumes from the last revision it applied; when the
// revision it needs was compacted away, it reloads in full.
//
// When the first full read fails, before the server had any snapshot,
// Follow returns its error: with nothing to decide on, retrying would
// leave the server NOT_SERVING for good on a store that cannot be read
// (a damaged file, say), and its caller stops instead.
func (s *Server) Follow(ctx context.Context, st store.Store) error {
	backoff := newBackoff()
	s.heard()
	watchdogCtx, stopWatchdog := context.WithCancel(ctx)
	watchdogDone := make(chan struct{})
	defer func() {
		stopWatchdog()
		<-watchdogDone
	}()
	go func() {
		defer close(watchdogDone)
		s.watchdog(watchdogCtx)
	}()
	for {
		m, rev, err := s.reload(ctx, st)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if s.current.Load() == nil {
				return err
			}
			s.storeLost(ctx, err)
			if !backoff.wait(ctx) {
				return ctx.Err()
			}
			continue
		}
		backoff.reset()
		s.storeFound(ctx) // it answered the full read
		err = s.follow(ctx, st, m, rev, backoff)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.log.WarnContext(ctx, "policy watch fell behind compaction; reloading", "revision", rev, "err", err)
	}
}

// reload reads the whole model at the current revision and activates it.
func (s *Server) reload(ctx context.Context, st store.Store) (model, int64, error) {
	values, rev, err := st.Snapshot(ctx, 0)
	if err != nil {
		if ctx.Err() == nil {
			s.storeError("snapshot")
		}
		return nil, 0, fmt.Errorf("read policy snapshot: %w", err)
	}
	m := make(model, len(values))
	for _, v := range values {
		m[v.Key] = v.Value
	}
	start := time.Now()
	if err := s.activateModel(ctx, m, nil, rev); err != nil {
		return nil, 0, err
	}
	s.activated(rev, time.Since(start), time.Time{})
	return m, rev, nil
}

// follow applies watch events to m until the watch reports compaction (the
// caller reloads) or ctx ends; other watch failures are retried from the
// last applied revision.
func (s *Server) follow(ctx context.Context, st store.Store, m model, rev int64, backoff *backoff) error {
	for {
		err := s.watchFrom(ctx, st, m, &rev, backoff)
		if ctx.Err() != nil {
			return err
		}
		s.storeError("watch")
		if errors.Is(err, store.ErrCompacted) {
			return err
		}
		s.storeLost(ctx, err)
		if !backoff.wait(ctx) {
			return ctx.Err()
		}
	}
}

func (s *Server) watchFrom(ctx context.Context, st store.Store, m model, rev *int64, backoff *backoff) error {
	for ev, err := range st.Watch(ctx, *rev) {
		if err != nil {
			return err
		}
		s.heard()
		s.storeFound(ctx)
		backoff.reset()
		if ev.Progress {
			continue
		}
		for _, c := range ev.Changes {
			if c.Op == store.OpDelete {
				delete(m, c.Key)
			} else {
				m[c.Key] = c.Value
			}
		}
		*rev = ev.Revision
		start := time.Now()
		if err := s.activateModel(ctx, m, ev.Changes, ev.Revision); err != nil {
			// The store accepted a model this server cannot compile (a
			// newer writer, say): keep deciding on the previous one.
			s.log.ErrorContext(ctx, "keeping previous policy snapshot", "revision", ev.Revision, "err", err)
			continue
		}
		s.activated(ev.Revision, time.Since(start), ev.Info.Time)
	}
	return ctx.Err()
}

// activateModel compiles a model and makes it the current snapshot. With
// the changes that led to m from the model of the current snapshot, it
// decodes, links and compiles only what they touch; with none (a full
// read), it finds what differs from the current snapshot's model first.
// Unchanged documents keep their parse and unchanged principals and
// resources their compiled entries. What the follower keeps between
// revisions travels with the snapshot it activates (Snapshot.follow); after
// a snapshot activated otherwise, it starts again from m.
func (s *Server) activateModel(ctx context.Context, m model, changes []store.Change, rev int64) error {
	start := time.Now()
	prev := s.current.Load()
	var f *followState
	if prev != nil {
		f = prev.follow
	}
	switch {
	case f == nil:
		f = newFollowState()
		f.applyModel(m)
	case changes == nil:
		f.applyModel(m)
	default:
		for _, c := range changes {
			f.apply(c.Key, c.Value, c.Op == store.OpDelete)
		}
	}
	res, err := f.resolve()
	if err != nil {
		return fmt.Errorf("revision %d: %w", rev, err)
	}
	snap, err := CompileSnapshot(s.cat, res, rev, prev)
	if err != nil {
		return fmt.Errorf("revision %d: %w", rev, err)
	}
	snap.follow = f
	s.Activate(snap)
	s.log.InfoContext(ctx, "policy snapshot activated", "revision", rev, "entities", len(m),
		"compile_ms", time.Since(start).Milliseconds())
	if prev == nil && snap.Principals() == 0 {
		s.log.WarnContext(ctx, "the policy store holds no principals: every decision is an implicit deny "+
			"until policies are written (pdp serve --seed DIR, or pdp policy apply -f DIR)", "revision", rev, "entities", len(m))
	}
	return nil
}

// heard records that the store spoke (an event or a progress
// notification), for the watchdog.
func (s *Server) heard() { s.lastHeard.Store(time.Now().UnixNano()) }

// watchdog reports the store lost when its watch has been silent for longer
// than StoreSilence: a store client that retries a dead connection forever
// yields no error, but it also stops delivering progress notifications.
func (s *Server) watchdog(ctx context.Context) {
	t := time.NewTicker(s.cfg.StoreSilence / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if silent := time.Since(time.Unix(0, s.lastHeard.Load())); silent > s.cfg.StoreSilence {
				s.storeLost(ctx, fmt.Errorf("no word from the policy store for %v", silent.Round(time.Millisecond)))
			}
		}
	}
}

// storeLost reports a lost store once: health of the policy service goes
// NOT_SERVING while decisions go on from the last snapshot.
func (s *Server) storeLost(ctx context.Context, err error) {
	if s.storeDown.Swap(true) {
		return
	}
	s.log.ErrorContext(ctx, "lost the policy store; deciding on the last snapshot", "err", err,
		"revision", s.currentRevision())
	s.setStoreServing(false)
}

// storeFound reports a store that answers again.
func (s *Server) storeFound(ctx context.Context) {
	if !s.storeDown.Swap(false) {
		return
	}
	s.log.InfoContext(ctx, "policy store reachable again", "revision", s.currentRevision())
	s.setStoreServing(true)
}

func (s *Server) currentRevision() int64 {
	if snap := s.current.Load(); snap != nil {
		return snap.revision
	}
	return 0
}

// backoff spaces retries: 100 ms doubling to 5 s, with equal jitter (each
// delay is at least half its step and at most the step) so that the
// servers following one store, which lose it at the same moment, do not
// all come back at the same moment too.
type backoff struct {
	next time.Duration
	// int64N returns a number in [0, n): rand.Int64N, or a fixed source in
	// tests.
	int64N func(n int64) int64
}

const (
	backoffFirst = 100 * time.Millisecond
	backoffMax   = 5 * time.Second
)

func newBackoff() *backoff { return &backoff{next: backoffFirst, int64N: rand.Int64N} }

func (b *backoff) reset() { b.next = backoffFirst }

// delay returns the next delay and moves on to the next step.
func (b *backoff) delay() time.Duration {
	half := b.next / 2
	d := half + time.Duration(b.int64N(int64(b.next-half)+1))
	b.next = min(2*b.next, backoffMax)
	return d
}

// wait sleeps for the next delay and reports false if ctx ended first.
func (b *backoff) wait(ctx context.Context) bool {
	t := time.NewTimer(b.delay())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// waitRevision returns a snapshot at least at min, waiting for the follower
// until ctx ends. Past the deadline it fails UNAVAILABLE with the current
// revision, so the caller can retry.
func (s *Server) waitRevision(ctx context.Context, minRev int64) (*Snapshot, error) {
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
		s.mu.Lock()
		snap, changed := s.current.Load(), s.changed
		s.mu.Unlock()
		if snap != nil && snap.revision >= minRev {
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
func (s *Server) snapshotFor(ctx context.Context, minRev int64) (*Snapshot, error) {
	if minRev < 0 {
		return nil, negativeRevision("min_revision", minRev)
	}
	if minRev > 0 {
		return s.waitRevision(ctx, minRev)
	}
	if snap := s.current.Load(); snap != nil {
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

// activated reports an activation to OnActivate.
func (s *Server) activated(rev int64, built time.Duration, committed time.Time) {
	if h := s.cfg.Hooks.OnActivate; h != nil {
		h(rev, built, committed)
	}
}

// storeError reports a failed store operation to OnStoreError.
func (s *Server) storeError(op string) {
	if h := s.cfg.Hooks.OnStoreError; h != nil {
		h(op)
	}
}
