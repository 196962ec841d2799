package etcdstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/pdp-dev/pdp/internal/etcdtest"
	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/etcdstore"

	"github.com/stretchr/testify/require"
)

// testMaxTxnOps is the --max-txn-ops of the test servers, raised from
// etcd's 128 because the suite writes change sets of 150 entities.
const testMaxTxnOps = 4096

// timeout bounds the waits of these tests.
const timeout = 30 * time.Second

// startServer starts an etcd server for t with the raised transaction
// limit, and extra flags.
func startServer(t *testing.T, args ...string) *etcdtest.Server {
	t.Helper()
	return etcdtest.Start(t, append([]string{fmt.Sprintf("--max-txn-ops=%d", testMaxTxnOps)}, args...)...)
}

// openStore opens a store on srv under prefix, closed in t.Cleanup.
func openStore(t *testing.T, srv *etcdtest.Server, prefix string, opts store.Options) *etcdstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s, err := etcdstore.Open(ctx, etcdstore.Config{Endpoints: srv.Endpoints(), Prefix: prefix, Options: opts})
	require.NoError(t, err, "Open")
	t.Cleanup(func() { s.Close() })
	return s
}

// rawClient is a plain etcd client of srv, for writing around the store.
func rawClient(t *testing.T, srv *etcdtest.Server) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), DialTimeout: timeout, Logger: zap.NewNop()})
	require.NoError(t, err, "etcd client")
	t.Cleanup(func() { cli.Close() })
	return cli
}

// foreignWrites writes keys outside any store prefix every interval until
// the test ends, so that store revisions have gaps.
func foreignWrites(t *testing.T, srv *etcdtest.Server, interval time.Duration) {
	t.Helper()
	cli := rawClient(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() }) // before rawClient's Close
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			// Errors (a stopped server) are fine: only the gaps matter.
			_, _ = cli.Put(ctx, fmt.Sprintf("/other/k%d", i%10), "x")
		}
	})
}

func user(id string) store.Key { return store.Key{Kind: store.KindUser, ID: id} }

func put(k store.Key, v string) store.Change {
	return store.Change{Op: store.OpPut, Key: k, Value: []byte(v)}
}

func del(k store.Key) store.Change { return store.Change{Op: store.OpDelete, Key: k} }

// apply applies changes as one revision and fails the test on error.
func apply(t *testing.T, s store.Store, changes ...store.Change) int64 {
	t.Helper()
	rev, err := s.Apply(t.Context(), store.ChangeSet{Changes: changes, Author: "test", Message: "apply"})
	require.NoError(t, err, "Apply")
	return rev
}

// watcher runs one Watch in a goroutine and hands its items over a
// channel, for waits with a timeout.
type watcher struct {
	cancel context.CancelFunc
	items  chan item // closed when the sequence ends
	done   chan struct{}
}

type item struct {
	ev  store.Event
	err error
}

func startWatch(t *testing.T, s store.Store, from int64) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	w := &watcher{cancel: cancel, items: make(chan item), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer close(w.items)
		for ev, err := range s.Watch(ctx, from) {
			select {
			case w.items <- item{ev, err}:
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(w.stop)
	return w
}

func (w *watcher) stop() {
	w.cancel()
	<-w.done
}

// next returns the next item that is not a progress notification.
func (w *watcher) next(t *testing.T, wait time.Duration) (item, bool) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case it, ok := <-w.items:
			if !ok {
				return item{}, false
			}
			if it.err == nil && it.ev.Progress {
				continue
			}
			return it, true
		case <-deadline:
			return item{}, false
		}
	}
}

// nextChange returns the next event with changes, failing on anything
// else.
func (w *watcher) nextChange(t *testing.T) store.Event {
	t.Helper()
	it, ok := w.next(t, timeout)
	require.True(t, ok, "no watch event within %v", timeout)
	require.NoError(t, it.err, "watch")
	return it.ev
}

// openBench opens a store on a fresh server for a benchmark.
func openBench(b *testing.B) store.Store {
	b.Helper()
	srv := etcdtest.Start(b, fmt.Sprintf("--max-txn-ops=%d", testMaxTxnOps), "--max-request-bytes=16777216")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s, err := etcdstore.Open(ctx, etcdstore.Config{Endpoints: srv.Endpoints(), Prefix: "/bench/"})
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}
