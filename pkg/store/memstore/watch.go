package memstore

import (
	"context"
	"fmt"
	"iter"
	"slices"

	"github.com/pdp-dev/pdp/pkg/store"
)

// watchBatch is the most events a watch copies under one read lock.
const watchBatch = 256

// Watch implements store.Store. It runs in the caller's goroutine: it
// copies the revisions after the last one yielded under the read lock,
// yields them without it, and waits on the broadcast channel of the next
// Apply, Close, ctx, or the progress timer.
func (s *Store) Watch(ctx context.Context, from int64) iter.Seq2[store.Event, error] {
	return func(yield func(store.Event, error) bool) {
		s.mu.RLock()
		if !s.closed && from > s.rev {
			err := fmt.Errorf("memstore: watch from %d, current is %d: %w", from, s.rev, store.ErrFutureRevision)
			s.mu.RUnlock()
			yield(store.Event{}, err)
			return
		}
		s.mu.RUnlock()
		store.WatchLoop(ctx, from, store.WatchSource{
			Next:             s.next,
			Done:             s.done,
			Closed:           func() error { return errClosed("watch") },
			ProgressInterval: s.opts.ProgressInterval,
		}, yield)
	}
}

// next copies up to watchBatch events after revision last, and returns the
// current revision and the channel the next Apply closes.
func (s *Store) next(last int64) ([]store.Event, int64, <-chan struct{}, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case s.closed:
		return nil, 0, nil, errClosed("watch")
	case last < s.compacted:
		return nil, 0, nil, fmt.Errorf("memstore: watch from %d, compacted up to %d: %w", last, s.compacted, store.ErrCompacted)
	}
	var batch []store.Event
	for rev := last + 1; rev <= s.rev && len(batch) < watchBatch; rev++ {
		r, ok := s.logAt(rev)
		if !ok {
			break
		}
		changes := make([]store.Change, len(r.changes))
		for i, c := range r.changes {
			changes[i] = store.Change{Op: c.Op, Key: c.Key, Value: slices.Clone(c.Value)}
		}
		batch = append(batch, store.Event{Revision: rev, Info: cloneInfo(r.info), Changes: changes})
	}
	return batch, s.rev, s.changed, nil
}
