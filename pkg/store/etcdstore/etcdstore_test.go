package etcdstore_test

import (
	"testing"
	"time"

	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/storetest"
)

// TestStore runs the conformance suite, each store on its own etcd server
// (etcd compaction is cluster-wide, so stores sharing one would compact
// each other).
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts store.Options) store.Store {
		return openStore(t, startServer(t), "/storetest/", opts)
	})
}

// TestStoreWithGaps runs the suite while something else writes to the
// cluster outside the prefix, so store revisions are not consecutive
// etcd revisions.
func TestStoreWithGaps(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts store.Options) store.Store {
		srv := startServer(t)
		foreignWrites(t, srv, 2*time.Millisecond)
		return openStore(t, srv, "/storetest/", opts)
	})
}

func BenchmarkApply(b *testing.B) {
	storetest.BenchmarkApply(b, openBench(b))
}

func BenchmarkSnapshot(b *testing.B) {
	storetest.BenchmarkSnapshot(b, openBench(b), 10000)
}
