package snapshot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/store"
)

// FollowerConfig tunes a Follower and says whom it tells. Zero values take
// the defaults; nil hooks are not called.
type FollowerConfig struct {
	// StoreSilence is how long the store's watch may stay silent (no
	// change, no progress notification) before the store is reported lost;
	// a few times the store's progress interval.
	StoreSilence time.Duration
	// OnPublish is called after each snapshot is published, on the
	// goroutine that published it.
	OnPublish func(*Snapshot)
	// OnStoreHealth is called when the store is lost (false) and when it
	// answers again (true).
	OnStoreHealth func(reachable bool)
	// OnActivate is called when the follower has published the snapshot of
	// a revision: rev, the time it took to build, and when the store
	// committed the revision (zero for a full read).
	OnActivate func(rev int64, built time.Duration, committed time.Time)
	// OnStoreError is called when a store operation fails: "snapshot" for
	// a full read, "watch" for the watch.
	OnStoreError func(op string)
}

// A Follower holds the published snapshot, in an atomic pointer that every
// request loads once, and keeps it at a store's latest revision (Follow).
// A published snapshot is never written again: the state the follower
// keeps from one revision to the next lives here, not in the snapshot.
//
// Current, Changed and Publish are safe for concurrent use; Follow runs
// on one goroutine at a time.
type Follower struct {
	cfg       FollowerConfig
	cat       *catalog.Catalog
	log       *slog.Logger
	current   atomic.Pointer[Snapshot]
	storeDown atomic.Bool
	lastHeard atomic.Int64 // Unix nanoseconds of the store's last word

	// mu guards changed, which Publish closes and replaces so that callers
	// waiting for a revision wake up.
	mu      sync.Mutex
	changed chan struct{}

	// state is what the goroutine running Follow keeps between revisions,
	// and last the snapshot it published from it: when another snapshot
	// was published since (Publish), the state starts again from the
	// model. Only that goroutine reads or changes them.
	state *followState
	last  *Snapshot
}

// NewFollower returns a follower with no snapshot. log receives what
// following reports; nil discards it.
func NewFollower(cfg FollowerConfig, cat *catalog.Catalog, log *slog.Logger) *Follower {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.StoreSilence <= 0 {
		cfg.StoreSilence = 3 * store.DefaultProgressInterval
	}
	return &Follower{cfg: cfg, cat: cat, log: log, changed: make(chan struct{})}
}

// Publish makes snap the snapshot every new request decides on, wakes the
// callers waiting for a new one, then calls OnPublish.
func (s *Follower) Publish(snap *Snapshot) {
	s.mu.Lock()
	s.current.Store(snap)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	if h := s.cfg.OnPublish; h != nil {
		h(snap)
	}
}

// Current returns the published snapshot, or nil before the first.
func (s *Follower) Current() *Snapshot { return s.current.Load() }

// Changed returns the published snapshot (nil before the first) and a
// channel closed when the next one is published, read together so that no
// publication falls between them.
func (s *Follower) Changed() (*Snapshot, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current.Load(), s.changed
}

// Follow keeps the published snapshot at the store's latest revision until
// ctx ends: a full read first, then every change from the store's watch,
// each compiled into a new snapshot and published whole. When the watch
// fails, the last snapshot stays published, the store is reported lost
// (OnStoreHealth), and following resumes from the last revision applied;
// when the revision it needs was compacted away, it reloads in full.
//
// When the first full read fails, before any snapshot was published,
// Follow returns its error: with nothing to decide on, retrying would
// leave the server NOT_SERVING for good on a store that cannot be read
// (a damaged file, say), and its caller stops instead.
func (s *Follower) Follow(ctx context.Context, st store.Store) error {
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
// When the follower starts afresh (its first read, say), it builds from
// the values as the store returned them, in key order, and makes the
// Model it goes on from only once the snapshot is published: the table of
// a million documents is not on the way to the first snapshot.
func (s *Follower) reload(ctx context.Context, st store.Store) (Model, int64, error) {
	values, rev, err := st.Snapshot(ctx, 0)
	if err != nil {
		if ctx.Err() == nil {
			s.storeError("snapshot")
		}
		return nil, 0, fmt.Errorf("read policy snapshot: %w", err)
	}
	modelOf := func() Model {
		m := make(Model, len(values))
		for _, v := range values {
			m[v.Key] = v.Value
		}
		return m
	}
	start := time.Now()
	var m Model
	if s.keptState() == nil {
		err = s.activate(ctx, s.firstState(values), len(values), rev, start)
		m = modelOf()
	} else {
		m = modelOf()
		err = s.activateModel(ctx, m, nil, rev)
	}
	if err != nil {
		return nil, 0, err
	}
	s.activated(rev, time.Since(start), time.Time{})
	return m, rev, nil
}

// firstState returns a new state made from the whole model, values.
func (s *Follower) firstState(values []store.Value) *followState {
	f := newFollowState()
	f.first(len(values), func(yield func(store.Key, []byte) bool) {
		for _, v := range values {
			if !yield(v.Key, v.Value) {
				return
			}
		}
	})
	return f
}

// keptState returns the state the follower kept from the snapshot it
// published last, or nil when another snapshot was published since (or
// none yet): the state then starts again from the whole model.
func (s *Follower) keptState() *followState {
	if prev := s.current.Load(); prev != nil && prev == s.last {
		return s.state
	}
	return nil
}

// follow applies watch events to m until the watch reports compaction (the
// caller reloads) or ctx ends; other watch failures are retried from the
// last applied revision.
func (s *Follower) follow(ctx context.Context, st store.Store, m Model, rev int64, backoff *backoff) error {
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

func (s *Follower) watchFrom(ctx context.Context, st store.Store, m Model, rev *int64, backoff *backoff) error {
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

// activateModel compiles a model and publishes it. With the changes that
// led to m from the model of the current snapshot, it decodes, links and
// compiles only what they touch; with none (a full read), it finds what
// differs from the current snapshot's model first. Unchanged documents
// keep their parse and unchanged principals and resources their compiled
// entries. What the follower keeps between revisions is s.state, which
// goes with the snapshot it published last (s.last); after a snapshot
// published otherwise, it starts again from m.
func (s *Follower) activateModel(ctx context.Context, m Model, changes []store.Change, rev int64) error {
	start := time.Now()
	f := s.keptState()
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
	return s.activate(ctx, f, len(m), rev, start)
}

// activate links and compiles the state f, which holds the model of
// revision rev (entities documents), and publishes the snapshot; f is kept
// for the next revision. start is when the activation began, for the log.
func (s *Follower) activate(ctx context.Context, f *followState, entities int, rev int64, start time.Time) error {
	prev := s.current.Load()
	res, err := f.resolve()
	if err != nil {
		return fmt.Errorf("revision %d: %w", rev, err)
	}
	snap, err := Compile(s.cat, res, rev, prev)
	if err != nil {
		return fmt.Errorf("revision %d: %w", rev, err)
	}
	s.state, s.last = f, snap
	s.Publish(snap)
	s.log.InfoContext(ctx, "policy snapshot activated", "revision", rev, "entities", entities,
		"compile_ms", time.Since(start).Milliseconds())
	if prev == nil && snap.Principals() == 0 {
		s.log.WarnContext(ctx, "the policy store holds no principals: every decision is an implicit deny "+
			"until policies are written (pdp serve --seed DIR, or pdp policy apply -f DIR)", "revision", rev, "entities", entities)
	}
	return nil
}

// heard records that the store spoke (an event or a progress
// notification), for the watchdog.
func (s *Follower) heard() { s.lastHeard.Store(time.Now().UnixNano()) }

// watchdog reports the store lost when its watch has been silent for longer
// than StoreSilence: a store client that retries a dead connection forever
// yields no error, but it also stops delivering progress notifications.
func (s *Follower) watchdog(ctx context.Context) {
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
func (s *Follower) storeLost(ctx context.Context, err error) {
	if s.storeDown.Swap(true) {
		return
	}
	s.log.ErrorContext(ctx, "lost the policy store; deciding on the last snapshot", "err", err,
		"revision", s.currentRevision())
	if h := s.cfg.OnStoreHealth; h != nil {
		h(false)
	}
}

// storeFound reports a store that answers again.
func (s *Follower) storeFound(ctx context.Context) {
	if !s.storeDown.Swap(false) {
		return
	}
	s.log.InfoContext(ctx, "policy store reachable again", "revision", s.currentRevision())
	if h := s.cfg.OnStoreHealth; h != nil {
		h(true)
	}
}

func (s *Follower) currentRevision() int64 {
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

// activated reports an activation to OnActivate.
func (s *Follower) activated(rev int64, built time.Duration, committed time.Time) {
	if h := s.cfg.OnActivate; h != nil {
		h(rev, built, committed)
	}
}

// storeError reports a failed store operation to OnStoreError.
func (s *Follower) storeError(op string) {
	if h := s.cfg.OnStoreError; h != nil {
		h(op)
	}
}
