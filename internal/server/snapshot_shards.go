package server

import (
	"hash/maphash"
	"maps"
	"slices"
	"strings"
)

// An entryMap has between minEntryShards and maxEntryShards shards, a
// power of two chosen when it is made for about entryShardSize entries a
// shard: with a million resources, a change copies a shard of a few dozen
// entries instead of a map of a million, and a change to a thousand
// principals of a hundred thousand copies a few thousand.
const (
	minEntryShards = 1 << 10
	maxEntryShards = 1 << 16
	entryShardSize = 8
)

// entryShardsFor returns the number of shards for about n entries.
func entryShardsFor(n int) int {
	c := minEntryShards
	for c < maxEntryShards && c*entryShardSize < n {
		c <<= 1
	}
	return c
}

// An entryMap is an immutable map by string, split into shards. An edit
// copies the shards it changes and shares the others with the map it was
// made from, so that a snapshot made from the previous one by a small
// change costs little more than the change. Lookups do not allocate.
type entryMap[V comparable] struct {
	seed maphash.Seed
	// byRoot shards a resource by its ARN cut at the second '/' (see
	// resourceRoot), so that the resources under one keep to its shard.
	byRoot bool
	shards []map[string]V // a power of two of them; nil maps are empty
	n      int
	hint   int // the entries a new shard makes room for
}

// newEntryMap returns an empty map sized for about n entries.
func newEntryMap[V comparable](byRoot bool, n int) entryMap[V] {
	c := entryShardsFor(n)
	return entryMap[V]{seed: maphash.MakeSeed(), byRoot: byRoot, shards: make([]map[string]V, c), hint: n / c}
}

func (m *entryMap[V]) shardOf(key string) int {
	if m.byRoot {
		key = resourceRoot(key)
	}
	return int(maphash.String(m.seed, key) & uint64(len(m.shards)-1))
}

func (m *entryMap[V]) get(key string) (V, bool) {
	v, ok := m.shards[m.shardOf(key)][key]
	return v, ok
}

// resourceRoot cuts an ARN at its second '/': every resource under a
// resource whose ARN holds a '/' has the same root as that resource
// (…:apps/a/campaigns/c and …:apps/a/campaigns under …:apps/a).
func resourceRoot(arn string) string {
	i := strings.IndexByte(arn, '/')
	if i < 0 {
		return arn
	}
	if j := strings.IndexByte(arn[i+1:], '/'); j >= 0 {
		return arn[:i+1+j]
	}
	return arn
}

// entryEdit makes a new entryMap from a base, copying each shard the first
// time it changes.
type entryEdit[V comparable] struct {
	m     entryMap[V]
	owned []uint64 // a bit per shard
}

func (m entryMap[V]) edit() *entryEdit[V] {
	e := &entryEdit[V]{m: m, owned: make([]uint64, (len(m.shards)+63)/64)}
	e.m.shards = slices.Clone(m.shards)
	return e
}

func (e *entryEdit[V]) get(key string) (V, bool) { return e.m.get(key) }

func (e *entryEdit[V]) own(i int) map[string]V {
	if e.owned[i/64]&(1<<(i%64)) == 0 {
		s := maps.Clone(e.m.shards[i])
		if s == nil {
			s = make(map[string]V, e.m.hint)
		}
		e.m.shards[i] = s
		e.owned[i/64] |= 1 << (i % 64)
	}
	return e.m.shards[i]
}

func (e *entryEdit[V]) put(key string, v V) {
	i := e.m.shardOf(key)
	if cur, ok := e.m.shards[i][key]; ok && cur == v {
		return
	}
	s := e.own(i)
	if _, ok := s[key]; !ok {
		e.m.n++
	}
	s[key] = v
}

func (e *entryEdit[V]) delete(key string) {
	i := e.m.shardOf(key)
	if _, ok := e.m.shards[i][key]; !ok {
		return
	}
	delete(e.own(i), key)
	e.m.n--
}

// under calls f for every key under prefix (a resource ARN), that is
// starting with prefix + "/". For a prefix without a '/' every shard is
// read; otherwise only the prefix's own.
func (e *entryEdit[V]) under(prefix string, f func(string, V)) {
	visit := func(s map[string]V) {
		for k, v := range s {
			if len(k) > len(prefix) && k[len(prefix)] == '/' && strings.HasPrefix(k, prefix) {
				f(k, v)
			}
		}
	}
	if !e.m.byRoot || !strings.Contains(prefix, "/") {
		for _, s := range e.m.shards {
			visit(s)
		}
		return
	}
	visit(e.m.shards[e.m.shardOf(prefix)])
}

// done returns the edited map; the edit must not be used afterwards.
func (e *entryEdit[V]) done() entryMap[V] {
	for i, s := range e.m.shards {
		if e.owned[i/64]&(1<<(i%64)) != 0 && len(s) == 0 {
			e.m.shards[i] = nil
		}
	}
	e.m.hint = 0 // later edits add few entries to a shard
	return e.m
}
