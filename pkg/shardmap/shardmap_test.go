package shardmap

import (
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShardsFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n, want int
	}{
		{0, MinShards},
		{MinShards * ShardSize, MinShards},
		{MinShards*ShardSize + 1, 2 * MinShards},
		{100_000, 4096},
		{1_000_000, 32768},
		{100_000_000, MaxShards},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, ShardsFor(tc.n), "ShardsFor(%d)", tc.n)
	}
}

// TestEdit checks each change of an edit, and that the base map is left
// as it was.
func TestEdit(t *testing.T) {
	t.Parallel()
	one, two := new(int), new(int)
	e := New[string, *int](String, 0).Edit()
	assert.True(t, e.Add("a", one))
	assert.False(t, e.Add("a", two), "Add of a key the map holds")
	e.Put("b", one)
	e.Insert("c", two)
	e.Put("b", two)
	e.Delete("missing")
	require.Equal(t, 3, e.Len())
	base := e.Done()

	e = base.Edit()
	e.Delete("a")
	e.Put("d", one)
	edited := e.Done()

	contents := func(m *Map[string, *int]) map[string]*int {
		got := map[string]*int{}
		m.All(func(k string, v *int) bool { got[k] = v; return true })
		return got
	}
	assert.Equal(t, map[string]*int{"a": one, "b": two, "c": two}, contents(&base))
	assert.Equal(t, map[string]*int{"b": two, "c": two, "d": one}, contents(&edited))
	assert.Equal(t, 3, base.Len())
	assert.Equal(t, 3, edited.Len())
	v, ok := edited.Get("b")
	assert.True(t, ok)
	assert.Same(t, two, v)
	_, ok = edited.Get("a")
	assert.False(t, ok, "a deleted key is found")
	// The shard of a key that was deleted and never re-added is empty.
	if edited.ShardOf("a") != edited.ShardOf("d") {
		assert.Nil(t, edited.shard(edited.ShardOf("a")), "an emptied shard is kept")
	}
}

// TestShard checks that Shard visits the entries that share a shard by
// hash, and only them.
func TestShard(t *testing.T) {
	t.Parallel()
	byRoot := func(seed maphash.Seed, k string) uint64 {
		root, _, _ := strings.Cut(k, "/")
		return maphash.String(seed, root)
	}
	e := New[string, int](byRoot, 0).Edit()
	for i := range 200 {
		e.Put(fmt.Sprintf("app%d/c%d", i%20, i), i)
	}
	m := e.Done()
	var got []string
	m.Shard("app3/anything", func(k string, _ int) bool {
		if strings.HasPrefix(k, "app3/") {
			got = append(got, k)
		}
		return true
	})
	assert.Len(t, got, 10)
	n := 0
	m.Shard("app3", func(string, int) bool { n++; return false })
	assert.Equal(t, 1, n, "Shard goes on after f returned false")
}

// TestDiffKeys checks that DiffKeys finds the keys added, removed and
// changed between two maps, whether they come from one lineage of edits
// (same seed and shard count), from two with the same count, or from two
// of different sizes.
func TestDiffKeys(t *testing.T) {
	t.Parallel()
	fill := func(m Map[string, *int], n int, vals []*int) Map[string, *int] {
		e := m.Edit()
		for i := range n {
			e.Put(fmt.Sprint("k", i), vals[i%len(vals)])
		}
		return e.Done()
	}
	one, two := new(int), new(int)
	const n = 3 * MinShards * ShardSize // more shards than MinShards
	base := fill(New[string, *int](String, n), n, []*int{one})
	require.Greater(t, base.NumShards(), MinShards)
	require.Equal(t, n, base.Len())
	e := base.Edit()
	e.Put("k1", two)  // changed
	e.Put("k2", one)  // the same value: unchanged
	e.Delete("k3")    // removed
	e.Put("new", one) // added
	e.Put("k4", one)  // unchanged
	edited := e.Done()
	want := []string{"k1", "k3", "new"}
	small := fill(New[string, *int](String, 0), n, []*int{one})
	require.NotEqual(t, len(small.pages), len(base.pages), "both maps have as many pages: the test compares nothing")
	tests := []struct {
		name string
		prev *Map[string, *int]
		want []string
	}{
		{"one lineage", &base, want},
		{"another seed", new(fill(New[string, *int](String, n), n, []*int{one})), want},
		{"other shard count", &small, want},
		{"no previous map", nil, nil},
	}
	for _, tc := range tests {
		got := map[string]bool{}
		DiffKeys(&edited, tc.prev, func(k string) bool { got[k] = true; return true })
		keys := slices.Sorted(maps.Keys(got))
		if tc.prev == nil {
			assert.Len(t, keys, edited.Len(), tc.name)
			continue
		}
		assert.Equal(t, tc.want, keys, tc.name)
	}
	stops := 0
	DiffKeys(&edited, &base, func(string) bool { stops++; return false })
	assert.Equal(t, 1, stops, "DiffKeys goes on after f returned false")

	sharedPages, sharedShards := 0, 0
	for pi := range edited.pages {
		if edited.pages[pi] == base.pages[pi] {
			sharedPages++
		}
	}
	for i := range base.NumShards() {
		if edited.SharesShard(&base, i) {
			sharedShards++
		}
	}
	assert.GreaterOrEqual(t, sharedPages, len(base.pages)-4, "an edit of four keys shares too few pages")
	assert.GreaterOrEqual(t, sharedShards, base.NumShards()-4, "an edit of four keys shares too few shards")
}

// TestGetAllocs checks that a lookup does not allocate.
func TestGetAllocs(t *testing.T) {
	e := New[string, int](String, 0).Edit()
	e.Put("a", 1)
	m := e.Done()
	n := testing.AllocsPerRun(100, func() { m.Get("a"); m.Get("b") })
	assert.Zero(t, n)
	suffix := "b"
	n = testing.AllocsPerRun(100, func() {
		k := "a-longer-key-of-some-bytes:" + suffix
		if _, ok := m.GetHashed(String(m.Seed(), k), k); ok {
			assert.Fail(t, "found a key never put")
		}
	})
	assert.Zero(t, n, "GetHashed of a key made for the lookup")
}
