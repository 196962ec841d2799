package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"iter"

	"go.etcd.io/bbolt"

	"github.com/pdp-dev/pdp/pkg/store"
)

// watchBatch is the most revisions a watch reads in one read transaction;
// it yields them after the transaction ends, so a slow consumer never
// holds one open.
const watchBatch = 256

// Watch implements store.Store. It runs in the caller's goroutine: it reads
// the revisions after the last one yielded from disk, yields them, then
// waits for the broadcast of the next commit, Close, ctx, or the progress
// timer.
func (s *Store) Watch(ctx context.Context, from int64) iter.Seq2[store.Event, error] {
	return func(yield func(store.Event, error) bool) {
		first := true
		store.WatchLoop(ctx, from, store.WatchSource{
			Next: func(last int64) ([]store.Event, int64, <-chan struct{}, error) {
				changed := s.changedChan() // before reading, so no commit is missed
				batch, cur, err := s.next(last, first)
				first = false
				return batch, cur, changed, err
			},
			Done:             s.done,
			Closed:           func() error { return fmt.Errorf("boltstore: watch: %w", store.ErrClosed) },
			ProgressInterval: s.opts.ProgressInterval,
		}, yield)
	}
}

// next reads up to watchBatch events after revision last and returns them
// with the current revision. On the first call, a last after the current
// revision is an error.
func (s *Store) next(last int64, first bool) ([]store.Event, int64, error) {
	var (
		batch []store.Event
		cur   int64
	)
	err := s.view("watch", func(tx *bbolt.Tx) error {
		m, err := readMeta(tx)
		if err != nil {
			return err
		}
		cur = m.revision
		switch {
		case first && last > m.revision:
			return fmt.Errorf("boltstore: watch from %d, current is %d: %w", last, m.revision, store.ErrFutureRevision)
		case last < m.compacted:
			return fmt.Errorf("boltstore: watch from %d, compacted up to %d: %w", last, m.compacted, store.ErrCompacted)
		}
		versions := tx.Bucket(bucketVersions)
		batch, err = readRevisions(tx, last, m.revision, watchBatch, func(rev int64, _ record, info store.RevisionInfo) (store.Event, error) {
			ev := store.Event{Revision: rev, Info: info, Changes: make([]store.Change, len(info.Keys))}
			for i, k := range info.Keys {
				v := versions.Get(versionKey(k, rev))
				switch {
				case len(v) == 0:
					return store.Event{}, fmt.Errorf("boltstore: watch: revision %d: no version of %s", rev, k)
				case v[0] == tagDelete:
					ev.Changes[i] = store.Change{Op: store.OpDelete, Key: k}
				default:
					ev.Changes[i] = store.Change{Op: store.OpPut, Key: k, Value: bytes.Clone(v[1:])}
				}
			}
			return ev, nil
		})
		return err
	})
	return batch, cur, err
}
