package boltstore

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pdp-dev/pdp/pkg/store"
)

// TestInKeyOrder: changes come out in the order of their keys in the
// bucket, the changes to one key keep their order (the last still wins),
// and sorted input is not copied.
func TestInKeyOrder(t *testing.T) {
	kinds := []store.Kind{store.KindUser, store.KindRole, store.KindAccount, store.KindGroup, store.KindResource}
	r := rand.New(rand.NewPCG(1, 2))
	var changes []store.Change
	for i := range 500 {
		k := store.Key{Kind: kinds[r.IntN(len(kinds))], ID: string(rune('a' + r.IntN(26)))}
		changes = append(changes, store.Change{Key: k, Value: []byte{byte(i >> 8), byte(i)}})
	}
	sorted := inKeyOrder(changes)
	assert.Len(t, sorted, len(changes))
	for i := 1; i < len(sorted); i++ {
		c := bytes.Compare(currentKey(sorted[i-1].Key), currentKey(sorted[i].Key))
		assert.LessOrEqual(t, c, 0, "change %d after %d", i, i-1)
		if c == 0 {
			assert.Negative(t, bytes.Compare(sorted[i-1].Value, sorted[i].Value), "changes to %s keep their order", sorted[i].Key)
		}
	}
	again := inKeyOrder(sorted)
	assert.Same(t, &sorted[0], &again[0], "sorted input is returned as it is")
	assert.True(t, slices.EqualFunc(sorted, again, func(a, b store.Change) bool { return a.Key == b.Key }))
}
