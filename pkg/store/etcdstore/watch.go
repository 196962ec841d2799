package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pdp-dev/pdp/pkg/store"
)

// Watch yields the change of every revision after from, in order, from an
// etcd watch on the prefix; see store.Store. While nothing changes it asks
// etcd for a progress notification every Options.ProgressInterval and
// yields it with the last revision it yielded (from, at first): etcd's
// progress revision counts writes outside the prefix, and a follower
// resuming from the yielded revision misses nothing either way.
//
// While etcd is unreachable the watch waits (the client reconnects and
// re-watches from the next revision, with no gap and no duplicate); it
// yields no progress then, which is how a follower can tell.
func (s *Store) Watch(ctx context.Context, from int64) iter.Seq2[store.Event, error] {
	return func(yield func(store.Event, error) bool) {
		bctx, cancel := s.bind(ctx)
		defer cancel()
		start, err := s.watchStart(bctx, from)
		if err != nil {
			if errors.Is(err, store.ErrClosed) || ctx.Err() == nil {
				yield(store.Event{}, fmt.Errorf("etcdstore: watch from %d: %w", from, err))
			}
			return
		}
		s.watch(ctx, bctx, from, start, yield)
	}
}

// watchStart returns the etcd revision a watch after from starts at. It
// fails with store.ErrFutureRevision when from is after the current
// revision. A watch from before the store's first revision (log's
// CreateRevision) starts there, so compactions of the cluster before the
// store was first written do not fail it.
func (s *Store) watchStart(ctx context.Context, from int64) (int64, error) {
	if err := s.checkOpen(); err != nil {
		return 0, err
	}
	resp, err := s.cli.Get(ctx, s.keys.log(), clientv3.WithKeysOnly())
	if err != nil {
		return 0, s.mapErr(err)
	}
	if len(resp.Kvs) == 0 { // nothing written yet
		if from > 0 {
			return 0, fmt.Errorf("current revision is 0: %w", store.ErrFutureRevision)
		}
		return resp.Header.Revision + 1, nil
	}
	kv := resp.Kvs[0]
	if from > kv.ModRevision {
		return 0, fmt.Errorf("current revision is %d: %w", kv.ModRevision, store.ErrFutureRevision)
	}
	return max(from+1, kv.CreateRevision), nil
}

// watch runs the etcd watch from etcd revision start and yields its
// events until ctx ends, the store closes, an error or yield says stop;
// bctx is ctx bound to the store's life (see bind).
func (s *Store) watch(ctx, bctx context.Context, from, start int64, yield func(store.Event, error) bool) {
	wctx, cancel := context.WithCancel(bctx)
	defer cancel()
	wch := s.cli.Watch(wctx, s.keys.prefix, clientv3.WithPrefix(), clientv3.WithRev(start), clientv3.WithProgressNotify())
	f := &follower{s: s, yield: yield, last: max(from, 0)}
	interval := s.opts.ProgressInterval
	idle := time.NewTimer(interval)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			f.fail(store.ErrClosed)
			return
		case <-idle.C:
			// The answer arrives on wch. It fails while etcd is away:
			// then the follower sees no progress, which is right.
			rctx, rcancel := context.WithTimeout(wctx, interval)
			_ = s.cli.RequestProgress(rctx)
			rcancel()
			idle.Reset(interval)
		case wr, ok := <-wch:
			if !f.deliver(ctx, wr, ok) {
				return
			}
			if len(wr.Events) > 0 {
				idle.Reset(interval)
			}
		}
	}
}

// A follower is the state of one running Watch.
type follower struct {
	s     *Store
	yield func(store.Event, error) bool
	last  int64 // the last revision yielded
}

func (f *follower) fail(err error) {
	f.yield(store.Event{}, fmt.Errorf("etcdstore: watch after %d: %w", f.last, err))
}

// deliver yields what one etcd watch response carries (ok false: the
// channel was closed) and reports whether the watch goes on.
func (f *follower) deliver(ctx context.Context, wr clientv3.WatchResponse, ok bool) bool {
	if !ok || wr.Err() != nil {
		switch {
		case f.s.checkOpen() != nil:
			f.fail(store.ErrClosed)
		case ctx.Err() != nil: // ended by the caller: no error
		case !ok:
			f.fail(errors.New("etcd watch channel closed"))
		default: // compacted past the next revision, among others
			f.fail(f.s.mapErr(wr.Err()))
		}
		return false
	}
	if wr.IsProgressNotify() {
		return f.yield(store.Event{Revision: f.last, Progress: true}, nil)
	}
	for rev, evs := range byRevision(wr.Events) {
		if rev <= f.last {
			continue // already yielded: never twice
		}
		ev, ok, err := f.s.event(rev, evs)
		if err != nil {
			f.fail(err)
			return false
		}
		if !ok {
			continue
		}
		if !f.yield(ev, nil) {
			return false
		}
		f.last = rev
	}
	return true
}

// byRevision yields the events of each etcd revision in evs (which are in
// revision order) together.
func byRevision(evs []*clientv3.Event) iter.Seq2[int64, []*clientv3.Event] {
	return func(yield func(int64, []*clientv3.Event) bool) {
		for i := 0; i < len(evs); {
			rev := evs[i].Kv.ModRevision
			j := i + 1
			for j < len(evs) && evs[j].Kv.ModRevision == rev {
				j++
			}
			if !yield(rev, evs[i:j]) {
				return
			}
			i = j
		}
	}
}

// event builds the store event of one revision from its etcd events: the
// log key's gives the info; entity puts and deletes, and tombstone puts
// (deletes, also of entities that did not exist), give the changes, in
// the order of the change set. ok is false when the revision changed
// nothing of the store (a tombstone removed by hand); a revision whose
// entities something other than Apply wrote gets an info with only the
// revision and keys, so the follower still sees the data change.
func (s *Store) event(rev int64, evs []*clientv3.Event) (ev store.Event, ok bool, err error) {
	ev = store.Event{Revision: rev}
	changes := make(map[store.Key]store.Change, len(evs))
	var order []store.Key // changed keys, in event order
	haveInfo := false
	for _, e := range evs {
		sec, key := s.keys.parse(e.Kv.Key)
		put := e.Type == clientv3.EventTypePut
		var c store.Change
		switch {
		case sec == sectionLog && put:
			if ev.Info, err = decodeInfo(rev, e.Kv.Value); err != nil {
				return store.Event{}, false, err
			}
			haveInfo = true
			continue
		case sec == sectionEntity && put:
			c = store.Change{Op: store.OpPut, Key: key, Value: e.Kv.Value}
		case sec == sectionEntity, sec == sectionTomb && put:
			c = store.Change{Op: store.OpDelete, Key: key}
		default:
			continue
		}
		if _, seen := changes[key]; !seen {
			order = append(order, key)
			changes[key] = c
		}
	}
	switch {
	case !haveInfo && len(order) == 0:
		return store.Event{}, false, nil
	case !haveInfo:
		ev.Info = store.RevisionInfo{Revision: rev, Keys: order}
	}
	for _, k := range ev.Info.Keys {
		if c, ok := changes[k]; ok {
			ev.Changes = append(ev.Changes, c)
			delete(changes, k)
		}
	}
	for _, k := range order {
		if c, ok := changes[k]; ok {
			ev.Changes = append(ev.Changes, c)
		}
	}
	return ev, true, nil
}
