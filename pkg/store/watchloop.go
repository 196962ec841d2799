package store

import (
	"context"
	"time"
)

// A WatchSource is what WatchLoop needs from a store that keeps its history
// itself (memstore, boltstore): the events after a revision, and a way to
// wait for the next change.
type WatchSource struct {
	// Next returns up to a batch of events after revision last, the current
	// revision, and a channel closed by the next change. The channel must
	// be taken before the events are read, so that no change is missed.
	Next func(last int64) (batch []Event, current int64, changed <-chan struct{}, err error)
	// Done is closed when the store is closed; Closed is the error a watch
	// then yields.
	Done   <-chan struct{}
	Closed func() error
	// ProgressInterval is how long the watch stays silent before it yields
	// a progress notification.
	ProgressInterval time.Duration
}

// WatchLoop runs a watch from revision from in the caller's goroutine: it
// yields the events after the last one yielded, waits for the next change,
// and yields a progress notification with the current revision whenever
// ProgressInterval passes without one. It ends when ctx ends (with no
// error), when the consumer stops, or with the first error.
func WatchLoop(ctx context.Context, from int64, src WatchSource, yield func(Event, error) bool) {
	timer := time.NewTimer(src.ProgressInterval)
	defer timer.Stop()
	last := from
	for ctx.Err() == nil {
		batch, cur, changed, err := src.Next(last)
		if err != nil {
			yield(Event{}, err)
			return
		}
		for _, ev := range batch {
			if ctx.Err() != nil || !yield(ev, nil) {
				return
			}
			last = ev.Revision
		}
		if len(batch) > 0 {
			timer.Reset(src.ProgressInterval)
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-src.Done:
			yield(Event{}, src.Closed())
			return
		case <-changed:
		case <-timer.C:
			if !yield(Event{Revision: cur, Progress: true}, nil) {
				return
			}
			timer.Reset(src.ProgressInterval)
		}
	}
}
