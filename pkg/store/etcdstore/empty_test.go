package etcdstore_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/store"
)

// TestEmpty checks what pdp serve seeds: a prefix with no key at all is
// empty; one the store wrote to is not, nor one holding a key the store
// did not write; keys under a neighbouring prefix do not count.
func TestEmpty(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := t.Context()
	a := openStore(t, srv, "/a/", store.Options{})
	empty, err := a.Empty(ctx)
	require.NoError(t, err)
	assert.True(t, empty, "a prefix never written")

	_, err = a.Apply(ctx, store.ChangeSet{Changes: []store.Change{{Op: store.OpPut,
		Key: store.Key{Kind: store.KindUser, ID: "alice"}, Value: []byte(`{}`)}}})
	require.NoError(t, err)
	empty, err = a.Empty(ctx)
	require.NoError(t, err)
	assert.False(t, empty, "after a write")

	ab := openStore(t, srv, "/ab/", store.Options{})
	empty, err = ab.Empty(ctx)
	require.NoError(t, err)
	assert.True(t, empty, "a neighbouring prefix")

	_, err = rawClient(t, srv).Put(ctx, "/ab/stray", "x")
	require.NoError(t, err)
	empty, err = ab.Empty(ctx)
	require.NoError(t, err)
	assert.False(t, empty, "a prefix holding a key the store did not write")
}
