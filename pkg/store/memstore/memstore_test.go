package memstore_test

import (
	"testing"

	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/memstore"
	"github.com/pdp-dev/pdp/pkg/store/storetest"
)

func newStore(t *testing.T, opts store.Options) store.Store {
	s := memstore.New(opts)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, newStore)
}

func BenchmarkApply(b *testing.B) {
	s := memstore.New(store.Options{})
	defer s.Close()
	storetest.BenchmarkApply(b, s)
}

func BenchmarkSnapshot(b *testing.B) {
	s := memstore.New(store.Options{})
	defer s.Close()
	storetest.BenchmarkSnapshot(b, s, 10000)
}
