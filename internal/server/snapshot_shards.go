package server

import (
	"hash/maphash"
	"maps"
	"slices"
	"strings"
)

// An entryMap has between minEntryShards and maxEntryShards shards, a
// power of two chosen when it is made for about entryShardSize entries a
// shard, in pages of entryPageShards: with a million resources, a change
// copies a shard of a few dozen entries and its page instead of a map of
// a million, and a change to a thousand principals of a hundred thousand
// copies some twenty thousand entries.
const (
	minEntryShards  = 1 << 10
	maxEntryShards  = 1 << 16
	entryShardSize  = 32
	entryPageShards = 1 << 8
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
// copies the shards it changes (and the pages that hold them) and shares
// the others with the map it was made from, so that a snapshot made from
// the previous one by a small change costs little more than the change.
// Lookups do not allocate.
type entryMap[V comparable] struct {
	seed maphash.Seed
	// byRoot shards a resource by its ARN cut at the second '/' (see
	// resourceRoot), so that the resources under one keep to its shard.
	byRoot bool
	pages  []*entryPage[V] // a power of two of shards in all
	n      int
	hint   int // the entries a new shard makes room for
}

// An entryPage is never modified once its map is published; nil maps are
// empty.
type entryPage[V comparable] [entryPageShards]map[string]V

// newEntryMap returns an empty map sized for about n entries.
func newEntryMap[V comparable](byRoot bool, n int) entryMap[V] {
	c := entryShardsFor(n)
	pages := make([]*entryPage[V], c/entryPageShards)
	empty := new(entryPage[V])
	for i := range pages {
		pages[i] = empty
	}
	return entryMap[V]{seed: maphash.MakeSeed(), byRoot: byRoot, pages: pages, hint: n / c}
}

func (m *entryMap[V]) shardOf(key string) int {
	if m.byRoot {
		key = resourceRoot(key)
	}
	return int(maphash.String(m.seed, key) & uint64(len(m.pages)*entryPageShards-1))
}

func (m *entryMap[V]) shard(i int) map[string]V { return m.pages[i/entryPageShards][i%entryPageShards] }

func (m *entryMap[V]) get(key string) (V, bool) {
	v, ok := m.shard(m.shardOf(key))[key]
	return v, ok
}

// all calls f for every entry, in no particular order.
func (m *entryMap[V]) all(f func(string, V)) {
	for _, p := range m.pages {
		for _, s := range p {
			for k, v := range s {
				f(k, v)
			}
		}
	}
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

// entryEdit makes a new entryMap from a base, copying each page and each
// shard the first time it changes.
type entryEdit[V comparable] struct {
	base  entryMap[V]
	m     entryMap[V]
	owned [][entryPageShards / 64]uint64 // by page, a bit for each shard copied
}

func (m entryMap[V]) edit() *entryEdit[V] {
	e := &entryEdit[V]{base: m, m: m, owned: make([][entryPageShards / 64]uint64, len(m.pages))}
	e.m.pages = slices.Clone(m.pages)
	return e
}

func (e *entryEdit[V]) get(key string) (V, bool) { return e.m.get(key) }

func (e *entryEdit[V]) own(i int) map[string]V {
	pi, si := i/entryPageShards, i%entryPageShards
	p := e.m.pages[pi]
	if p == e.base.pages[pi] {
		c := *p
		p = &c
		e.m.pages[pi] = p
	}
	if bits := &e.owned[pi][si/64]; *bits&(1<<(si%64)) == 0 {
		s := maps.Clone(p[si])
		if s == nil {
			s = make(map[string]V, e.m.hint)
		}
		p[si] = s
		*bits |= 1 << (si % 64)
	}
	return p[si]
}

func (e *entryEdit[V]) put(key string, v V) {
	i := e.m.shardOf(key)
	if cur, ok := e.m.shard(i)[key]; ok && cur == v {
		return
	}
	s := e.own(i)
	if _, ok := s[key]; !ok {
		e.m.n++
	}
	s[key] = v
}

// insert puts v at key, which the map does not hold (a full build puts
// each resource once): it does not look for the key first.
func (e *entryEdit[V]) insert(key string, v V) {
	e.own(e.m.shardOf(key))[key] = v
	e.m.n++
}

func (e *entryEdit[V]) delete(key string) {
	i := e.m.shardOf(key)
	if _, ok := e.m.shard(i)[key]; !ok {
		return
	}
	delete(e.own(i), key)
	e.m.n--
}

// under calls f for every key under prefix (a resource ARN), that is
// starting with prefix + "/". For a prefix without a '/' every shard is
// read; otherwise only the prefix's own.
func (e *entryEdit[V]) under(prefix string, f func(string, V)) {
	visit := func(k string, v V) {
		if len(k) > len(prefix) && k[len(prefix)] == '/' && strings.HasPrefix(k, prefix) {
			f(k, v)
		}
	}
	if !e.m.byRoot || !strings.Contains(prefix, "/") {
		e.m.all(visit)
		return
	}
	for k, v := range e.m.shard(e.m.shardOf(prefix)) {
		visit(k, v)
	}
}

// done returns the edited map; the edit must not be used afterwards.
func (e *entryEdit[V]) done() entryMap[V] {
	for pi, p := range e.m.pages {
		if p == e.base.pages[pi] {
			continue
		}
		for si, s := range p {
			if e.owned[pi][si/64]&(1<<(si%64)) != 0 && len(s) == 0 {
				p[si] = nil
			}
		}
	}
	e.m.hint = 0 // later edits add few entries to a shard
	return e.m
}
