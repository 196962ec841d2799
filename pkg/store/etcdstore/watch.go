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
// etcd 3.7 (and the 3.4 to 3.6 patch releases that carry the same fix)
// answers a progress request only when every watch of the client's stream
// is synced and has reached its start revision, so that a notification
// never reports a revision the watch has not reached. A watch from the head revision, next+1, would wait for a
// write; so the etcd watch starts at the head revision when next+1 is
// beyond it, and the events it replays are skipped. The client resumes a
// watch cut by a reconnection from the revision after the last one it
// saw, which on an idle cluster is beyond the head again: when a progress
// request has gone unanswered for a whole interval, the watch is opened
// again in the same way.
//
// While etcd is unreachable the watch waits (the client reconnects and
// re-watches from the next revision, with no gap and no duplicate); it
// yields no progress then, which is how a follower can tell.
func (s *Store) Watch(ctx context.Context, from int64) iter.Seq2[store.Event, error] {
	return func(yield func(store.Event, error) bool) {
		bctx, cancel := s.bind(ctx)
		defer cancel()
		start, head, err := s.watchStart(bctx, from)
		if err != nil {
			if errors.Is(err, store.ErrClosed) || ctx.Err() == nil {
				yield(store.Event{}, fmt.Errorf("etcdstore: watch from %d: %w", from, err))
			}
			return
		}
		s.watch(ctx, bctx, from, start, head, yield)
	}
}

// watchStart returns the etcd revision a watch after from starts at, and
// etcd's head revision. It fails with store.ErrFutureRevision when from
// is after the current revision. A watch from before the store's first
// revision (log's CreateRevision) starts there, so compactions of the
// cluster before the store was first written do not fail it.
func (s *Store) watchStart(ctx context.Context, from int64) (start, head int64, err error) {
	if err := s.checkOpen(); err != nil {
		return 0, 0, err
	}
	resp, err := s.cli.Get(ctx, s.keys.log(), clientv3.WithKeysOnly())
	if err != nil {
		return 0, 0, s.mapErr(err)
	}
	head = resp.Header.Revision
	if len(resp.Kvs) == 0 { // nothing written yet
		if from > 0 {
			return 0, 0, fmt.Errorf("current revision is 0: %w", store.ErrFutureRevision)
		}
		return head + 1, head, nil
	}
	kv := resp.Kvs[0]
	if from > kv.ModRevision {
		return 0, 0, fmt.Errorf("current revision is %d: %w", kv.ModRevision, store.ErrFutureRevision)
	}
	return max(from+1, kv.CreateRevision), head, nil
}

// headRevision returns etcd's current revision, within the progress
// interval.
func (s *Store) headRevision(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ProgressInterval)
	defer cancel()
	resp, err := s.cli.Get(ctx, s.keys.log(), clientv3.WithKeysOnly())
	if err != nil {
		return 0, err
	}
	return resp.Header.Revision, nil
}

// watch runs the etcd watch from etcd revision start and yields its
// events until ctx ends, the store closes, an error or yield says stop;
// bctx is ctx bound to the store's life (see bind) and head is etcd's
// revision when start was read.
func (s *Store) watch(ctx, bctx context.Context, from, start, head int64, yield func(store.Event, error) bool) {
	f := &follower{s: s, yield: yield, last: max(from, 0), start: start}
	wch, stop := s.open(bctx, f.next(), head)
	defer func() { stop() }()
	interval := s.opts.ProgressInterval
	idle := time.NewTimer(interval)
	defer idle.Stop()
	asked := false // a progress request is unanswered
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			f.fail(store.ErrClosed)
			return
		case <-idle.C:
			idle.Reset(interval)
			if asked {
				// Unanswered for an interval: the watch may start beyond
				// the head. While etcd is away the head cannot be read and
				// the watch stays as it is.
				if head, err := s.headRevision(bctx); err == nil {
					stop()
					wch, stop = s.open(bctx, f.next(), head)
					asked = false
				}
				continue
			}
			// The answer arrives on wch. It fails while etcd is away:
			// then the follower sees no progress, which is right.
			rctx, rcancel := context.WithTimeout(bctx, interval)
			_ = s.cli.RequestProgress(rctx)
			rcancel()
			asked = true
		case wr, ok := <-wch:
			asked = false
			if !f.deliver(ctx, wr, ok) {
				return
			}
			if len(wr.Events) > 0 {
				idle.Reset(interval)
			}
		}
	}
}

// open starts an etcd watch on the prefix that yields every revision from
// next on: from next, or from head when next is beyond it (the follower
// skips what comes before next). stop ends it.
func (s *Store) open(ctx context.Context, next, head int64) (wch clientv3.WatchChan, stop context.CancelFunc) {
	ctx, stop = context.WithCancel(ctx)
	rev := min(next, max(head, 1))
	return s.cli.Watch(ctx, s.keys.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev), clientv3.WithProgressNotify()), stop
}

// A follower is the state of one running Watch.
type follower struct {
	s     *Store
	yield func(store.Event, error) bool
	last  int64 // the last revision yielded
	start int64 // the first revision the watch may yield
}

// next returns the first etcd revision the follower has yet to see.
func (f *follower) next() int64 { return max(f.last+1, f.start) }

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
		if rev < f.next() {
			continue // already yielded (never twice), or before the start
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
