package entity

import (
	"hash/maphash"
	"maps"
	"slices"
)

// A shardMap has between minShards and maxShards shards, a power of two
// chosen when it is made for about shardSize entries a shard, in pages of
// pageShards. A change copies the shards it touches and the pages that
// hold them: with a million resources, one change copies a few dozen
// entries and a page instead of a million entries, and a change that
// touches a thousand principals of a hundred thousand copies some twenty
// thousand. Fewer, larger shards would copy more; more, smaller ones would
// make more small tables for the collector to scan.
const (
	minShards  = 1 << 10
	maxShards  = 1 << 16
	shardSize  = 32
	pageShards = 1 << 8
)

// shardsFor returns the number of shards for about n entries.
func shardsFor(n int) int {
	c := minShards
	for c < maxShards && c*shardSize < n {
		c <<= 1
	}
	return c
}

// A shardMap is an immutable map split into shards by a hash of the key.
// An edit copies only the shards it touches (and the pages that hold
// them); the others are shared with the map it was made from, which is
// what lets two versions be compared page by page and shard by shard (see
// diffKeys).
type shardMap[K comparable, V comparable] struct {
	seed  maphash.Seed
	hash  func(maphash.Seed, K) uint64
	pages []*shardPage[K, V] // a power of two of shards in all
	n     int
	hint  int // the entries a new shard makes room for
}

// A shardPage is never modified once its map is published; nil shards are
// empty.
type shardPage[K comparable, V comparable] [pageShards]*shard[K, V]

// A shard is never modified once its map is published.
type shard[K comparable, V comparable] struct{ m map[K]V }

// newShardMap returns an empty map sized for about n entries.
func newShardMap[K comparable, V comparable](hash func(maphash.Seed, K) uint64, n int) shardMap[K, V] {
	c := shardsFor(n)
	pages := make([]*shardPage[K, V], c/pageShards)
	empty := new(shardPage[K, V])
	for i := range pages {
		pages[i] = empty
	}
	return shardMap[K, V]{seed: maphash.MakeSeed(), hash: hash, pages: pages, hint: n / c}
}

func (m *shardMap[K, V]) index(k K) int {
	return int(m.hash(m.seed, k) & uint64(len(m.pages)*pageShards-1))
}

func (m *shardMap[K, V]) shard(i int) *shard[K, V] { return m.pages[i/pageShards][i%pageShards] }

func (m *shardMap[K, V]) get(k K) (V, bool) {
	s := m.shard(m.index(k))
	if s == nil {
		var zero V
		return zero, false
	}
	v, ok := s.m[k]
	return v, ok
}

// all calls f for every entry, in no particular order, until f returns
// false.
func (m *shardMap[K, V]) all(f func(K, V) bool) {
	for _, p := range m.pages {
		for _, s := range p {
			if s == nil {
				continue
			}
			for k, v := range s.m {
				if !f(k, v) {
					return
				}
			}
		}
	}
}

// shardEdit builds a new shardMap from a base, copying each page and each
// shard the first time it is changed: what differs from the base is the
// edit's own.
type shardEdit[K comparable, V comparable] struct {
	base shardMap[K, V]
	m    shardMap[K, V]
}

func (m shardMap[K, V]) edit() *shardEdit[K, V] {
	e := &shardEdit[K, V]{base: m, m: m}
	e.m.pages = slices.Clone(m.pages)
	return e
}

func (e *shardEdit[K, V]) get(k K) (V, bool) { return e.m.get(k) }

// own returns shard i, copied for this edit.
func (e *shardEdit[K, V]) own(i int) *shard[K, V] {
	pi, si := i/pageShards, i%pageShards
	p := e.m.pages[pi]
	if p == e.base.pages[pi] {
		c := *p
		p = &c
		e.m.pages[pi] = p
	}
	if s := p[si]; s == nil || s == e.base.pages[pi][si] {
		c := &shard[K, V]{}
		if s != nil {
			c.m = maps.Clone(s.m)
		} else {
			c.m = make(map[K]V, e.m.hint)
		}
		p[si] = c
	}
	return p[si]
}

func (e *shardEdit[K, V]) put(k K, v V) {
	i := e.m.index(k)
	if old := e.m.shard(i); old != nil {
		if cur, ok := old.m[k]; ok && cur == v {
			return
		}
	}
	s := e.own(i)
	if _, ok := s.m[k]; !ok {
		e.m.n++
	}
	s.m[k] = v
}

// add puts v at k unless the map holds k, and reports whether it did.
func (e *shardEdit[K, V]) add(k K, v V) bool {
	i := e.m.index(k)
	if old := e.m.shard(i); old != nil {
		if _, ok := old.m[k]; ok {
			return false
		}
	}
	e.own(i).m[k] = v
	e.m.n++
	return true
}

func (e *shardEdit[K, V]) delete(k K) {
	i := e.m.index(k)
	if old := e.m.shard(i); old == nil {
		return
	} else if _, ok := old.m[k]; !ok {
		return
	}
	delete(e.own(i).m, k)
	e.m.n--
}

// done returns the edited map; the edit must not be used afterwards.
func (e *shardEdit[K, V]) done() shardMap[K, V] {
	for pi, p := range e.m.pages {
		if p == e.base.pages[pi] {
			continue
		}
		for si, s := range p {
			if s != nil && len(s.m) == 0 {
				p[si] = nil
			}
		}
	}
	e.m.hint = 0 // later edits add few entries to a shard
	return e.m
}

// diffKeys calls f for every key whose value differs between m and prev,
// present in only one of them or mapped to different values, until f
// returns false. When both come from the same lineage of edits, the pages
// and shards they share are skipped unread; otherwise every entry is
// compared. With prev nil, every key of m differs.
func diffKeys[K comparable, V comparable](m, prev *shardMap[K, V], f func(K) bool) {
	if prev == nil {
		m.all(func(k K, _ V) bool { return f(k) })
		return
	}
	if m.seed != prev.seed || len(m.pages) != len(prev.pages) {
		ok := true
		m.all(func(k K, v V) bool {
			if pv, found := prev.get(k); !found || pv != v {
				ok = f(k)
			}
			return ok
		})
		if ok {
			prev.all(func(k K, _ V) bool {
				if _, found := m.get(k); !found {
					return f(k)
				}
				return true
			})
		}
		return
	}
	for pi, p := range m.pages {
		pp := prev.pages[pi]
		if p == pp {
			continue
		}
		for si, s := range p {
			if ps := pp[si]; s != ps && !diffShard(s, ps, f) {
				return
			}
		}
	}
}

// diffShard is diffKeys for one shard; it returns false when f did.
func diffShard[K comparable, V comparable](s, prev *shard[K, V], f func(K) bool) bool {
	var cur, old map[K]V
	if s != nil {
		cur = s.m
	}
	if prev != nil {
		old = prev.m
	}
	for k, v := range cur {
		if pv, ok := old[k]; (!ok || pv != v) && !f(k) {
			return false
		}
	}
	for k := range old {
		if _, ok := cur[k]; !ok && !f(k) {
			return false
		}
	}
	return true
}

func hashString(seed maphash.Seed, s string) uint64 { return maphash.String(seed, s) }

func hashPrincipalKey(seed maphash.Seed, k principalKey) uint64 {
	return maphash.String(seed, k.name) ^ maphash.String(seed, k.account)
}
