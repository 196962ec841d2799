package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/boltstore"
	"github.com/pdp-dev/pdp/pkg/store/storetest"

	"github.com/stretchr/testify/require"
)

func open(t testing.TB, path string, opts store.Options) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, opts)
	require.NoError(t, err, "Open")
	t.Cleanup(func() { s.Close() })
	return s
}

func newStore(t *testing.T, opts store.Options) store.Store {
	return open(t, filepath.Join(t.TempDir(), "pdp.db"), opts)
}

func TestStore(t *testing.T) {
	storetest.Run(t, newStore)
}

func BenchmarkApply(b *testing.B) {
	storetest.BenchmarkApply(b, open(b, filepath.Join(b.TempDir(), "pdp.db"), store.Options{}))
}

func BenchmarkSnapshot(b *testing.B) {
	storetest.BenchmarkSnapshot(b, open(b, filepath.Join(b.TempDir(), "pdp.db"), store.Options{}), 10000)
}
