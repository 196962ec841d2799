package entity

import (
	"fmt"
	"maps"
	"slices"
	"testing"
)

func TestShardsFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n, want int
	}{
		{0, minShards},
		{minShards * shardSize, minShards},
		{minShards*shardSize + 1, 2 * minShards},
		{100_000, 4096},
		{1_000_000, 32768},
		{100_000_000, maxShards},
	}
	for _, tc := range tests {
		if got := shardsFor(tc.n); got != tc.want {
			t.Errorf("shardsFor(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

// TestDiffKeys checks that diffKeys finds the keys added, removed and
// changed between two maps, whether they come from one lineage of edits
// (same seed and shard count), from two with the same count, or from two
// of different sizes.
func TestDiffKeys(t *testing.T) {
	t.Parallel()
	fill := func(m shardMap[string, *int], n int, vals []*int) shardMap[string, *int] {
		e := m.edit()
		for i := range n {
			e.put(fmt.Sprint("k", i), vals[i%len(vals)])
		}
		return e.done()
	}
	one, two := new(int), new(int)
	const n = 3 * minShards * shardSize // more shards than minShards
	base := fill(newShardMap[string, *int](hashString, n), n, []*int{one})
	if len(base.pages)*pageShards <= minShards || base.n != n {
		t.Fatalf("base: %d shards and %d entries, want more than %d shards and %d entries", len(base.pages)*pageShards, base.n, minShards, n)
	}
	e := base.edit()
	e.put("k1", two)  // changed
	e.put("k2", one)  // the same value: unchanged
	e.delete("k3")    // removed
	e.put("new", one) // added
	e.put("k4", one)  // unchanged
	edited := e.done()
	want := []string{"k1", "k3", "new"}
	small := fill(newShardMap[string, *int](hashString, 0), n, []*int{one})
	tests := []struct {
		name string
		prev shardMap[string, *int]
	}{
		{"one lineage", base},
		{"another seed", fill(newShardMap[string, *int](hashString, n), n, []*int{one})},
		{"other shard count", small},
	}
	for _, tc := range tests {
		got := map[string]bool{}
		diffKeys(&edited, &tc.prev, func(k string) bool { got[k] = true; return true })
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) {
			t.Errorf("%s: %q, want %q", tc.name, keys, want)
		}
	}
	if len(small.pages) == len(base.pages) {
		t.Errorf("both maps have %d pages: the test compares nothing", len(small.pages))
	}
	sharedPages, sharedShards := 0, 0
	for pi := range edited.pages {
		if edited.pages[pi] == base.pages[pi] {
			sharedPages++
		}
		for si := range pageShards {
			if i := pi*pageShards + si; edited.shard(i) == base.shard(i) {
				sharedShards++
			}
		}
	}
	if sharedPages < len(base.pages)-4 || sharedShards < len(base.pages)*pageShards-4 {
		t.Errorf("an edit of four keys shares %d of %d pages and %d shards", sharedPages, len(base.pages), sharedShards)
	}
}
