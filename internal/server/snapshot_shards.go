package server

import (
	"hash/maphash"
	"maps"
	"strings"
)

// entryShards is the number of shards of an entryMap: with a million
// resources, a change copies a shard of about a thousand entries instead of
// a map of a million.
const entryShards = 1024

// An entryMap is an immutable map by string, split into shards. An edit
// copies the shards it changes and shares the others with the map it was
// made from, so that a snapshot made from the previous one by a small
// change costs little more than the change. Lookups do not allocate.
type entryMap[V comparable] struct {
	seed maphash.Seed
	// byRoot shards a resource by its ARN cut at the second '/' (see
	// resourceRoot), so that the resources under one keep to its shard.
	byRoot bool
	shards *[entryShards]map[string]V // nil maps are empty
	n      int
}

func newEntryMap[V comparable](byRoot bool) entryMap[V] {
	return entryMap[V]{seed: maphash.MakeSeed(), byRoot: byRoot, shards: new([entryShards]map[string]V)}
}

func (m *entryMap[V]) shardOf(key string) int {
	if m.byRoot {
		key = resourceRoot(key)
	}
	return int(maphash.String(m.seed, key) % entryShards)
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
	owned [entryShards]bool
}

func (m entryMap[V]) edit() *entryEdit[V] {
	e := &entryEdit[V]{m: m}
	e.m.shards = new([entryShards]map[string]V)
	*e.m.shards = *m.shards
	return e
}

func (e *entryEdit[V]) get(key string) (V, bool) { return e.m.get(key) }

func (e *entryEdit[V]) own(i int) map[string]V {
	if !e.owned[i] {
		s := maps.Clone(e.m.shards[i])
		if s == nil {
			s = make(map[string]V)
		}
		e.m.shards[i], e.owned[i] = s, true
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
		if e.owned[i] && len(s) == 0 {
			e.m.shards[i] = nil
		}
	}
	return e.m
}
