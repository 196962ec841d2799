package shardmap

import (
	"hash/maphash"
	"maps"
	"slices"
)

// A Map has between MinShards and MaxShards shards, a power of two chosen
// when it is made for about ShardSize entries a shard, in pages of
// PageShards. A change copies the shards it touches and the pages that
// hold them: with a million entries, one change copies a few dozen
// entries and a page instead of a million entries, and a change that
// touches a thousand keys of a hundred thousand copies some twenty
// thousand. Fewer, larger shards would copy more; more, smaller ones would
// make more small tables for the collector to scan.
const (
	MinShards  = 1 << 10
	MaxShards  = 1 << 16
	ShardSize  = 32
	PageShards = 1 << 8
)

// ShardsFor returns the number of shards of a map made for about n
// entries.
func ShardsFor(n int) int {
	c := MinShards
	for c < MaxShards && c*ShardSize < n {
		c <<= 1
	}
	return c
}

// A Hash maps a key to its shard. Keys that must share a shard (the
// resources under one application, for [Edit.Shard]) hash alike.
type Hash[K any] func(maphash.Seed, K) uint64

// String hashes a string key.
func String(seed maphash.Seed, s string) uint64 { return maphash.String(seed, s) }

// A Map is an immutable map split into shards by a hash of the key. The
// zero Map is not usable; make one with [New]. Lookups do not allocate.
type Map[K comparable, V comparable] struct {
	seed  maphash.Seed
	hash  Hash[K]
	pages []*page[K, V] // a power of two of shards in all
	n     int
	hint  int // the entries a new shard makes room for
}

// A page is never modified once its map is published; nil shards are
// empty.
type page[K comparable, V comparable] [PageShards]*shard[K, V]

// A shard is never modified once its map is published. Shards are
// pointers so that two maps can tell a shared shard by identity.
type shard[K comparable, V comparable] struct{ m map[K]V }

// New returns an empty map sized for about n entries, whose keys are
// sharded by hash.
func New[K comparable, V comparable](hash Hash[K], n int) Map[K, V] {
	c := ShardsFor(n)
	pages := make([]*page[K, V], c/PageShards)
	empty := new(page[K, V])
	for i := range pages {
		pages[i] = empty
	}
	return Map[K, V]{seed: maphash.MakeSeed(), hash: hash, pages: pages, hint: n / c}
}

// Len returns the number of entries.
func (m *Map[K, V]) Len() int { return m.n }

// NumShards returns the number of shards.
func (m *Map[K, V]) NumShards() int { return len(m.pages) * PageShards }

// ShardOf returns the index of k's shard.
func (m *Map[K, V]) ShardOf(k K) int {
	return int(m.hash(m.seed, k) & uint64(len(m.pages)*PageShards-1))
}

func (m *Map[K, V]) shard(i int) *shard[K, V] { return m.pages[i/PageShards][i%PageShards] }

// SharesShard reports whether m and prev hold the very same shard i,
// unread and uncopied by the edits between them.
func (m *Map[K, V]) SharesShard(prev *Map[K, V], i int) bool {
	return len(m.pages) == len(prev.pages) && m.shard(i) == prev.shard(i)
}

// Get returns the value at k and whether there is one.
func (m *Map[K, V]) Get(k K) (V, bool) { return m.GetHashed(m.hash(m.seed, k), k) }

// Seed returns the seed m hashes its keys with.
func (m *Map[K, V]) Seed() maphash.Seed { return m.seed }

// GetHashed is Get for a key whose hash the caller computed with the
// map's Hash and Seed. A key passed to Get escapes to the heap through the
// Hash function; a key built on the stack for one lookup (a string
// concatenation) and hashed by a direct call does not.
func (m *Map[K, V]) GetHashed(h uint64, k K) (V, bool) {
	s := m.shard(int(h & uint64(len(m.pages)*PageShards-1)))
	if s == nil {
		var zero V
		return zero, false
	}
	v, ok := s.m[k]
	return v, ok
}

// All calls f for every entry, in no particular order, until f returns
// false.
func (m *Map[K, V]) All(f func(K, V) bool) {
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

// Shard calls f for every entry of k's shard, in no particular order,
// until f returns false: with a Hash that keeps related keys together,
// the entries related to k without reading the whole map.
func (m *Map[K, V]) Shard(k K, f func(K, V) bool) {
	s := m.shard(m.ShardOf(k))
	if s == nil {
		return
	}
	for k, v := range s.m {
		if !f(k, v) {
			return
		}
	}
}

// An Edit builds a new Map from a base, copying each page and each shard
// the first time it is changed: what differs from the base is the edit's
// own. An Edit is not safe for concurrent use.
type Edit[K comparable, V comparable] struct {
	base Map[K, V]
	m    Map[K, V]
}

// Edit starts an edit of m; m itself never changes.
func (m Map[K, V]) Edit() *Edit[K, V] {
	e := &Edit[K, V]{base: m, m: m}
	e.m.pages = slices.Clone(m.pages)
	return e
}

// Get returns the value at k in the map being edited.
func (e *Edit[K, V]) Get(k K) (V, bool) { return e.m.Get(k) }

// Len returns the number of entries of the map being edited.
func (e *Edit[K, V]) Len() int { return e.m.n }

// All calls f for every entry of the map being edited, until f returns
// false.
func (e *Edit[K, V]) All(f func(K, V) bool) { e.m.All(f) }

// Shard calls f for every entry of k's shard in the map being edited,
// until f returns false.
func (e *Edit[K, V]) Shard(k K, f func(K, V) bool) { e.m.Shard(k, f) }

// own returns shard i, copied for this edit.
func (e *Edit[K, V]) own(i int) *shard[K, V] {
	pi, si := i/PageShards, i%PageShards
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

// Put sets the value at k. Putting the value k already has copies
// nothing.
func (e *Edit[K, V]) Put(k K, v V) {
	i := e.m.ShardOf(k)
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

// Add puts v at k unless the map holds k, and reports whether it did.
func (e *Edit[K, V]) Add(k K, v V) bool {
	i := e.m.ShardOf(k)
	if old := e.m.shard(i); old != nil {
		if _, ok := old.m[k]; ok {
			return false
		}
	}
	e.own(i).m[k] = v
	e.m.n++
	return true
}

// Insert puts v at k, which the map must not hold (a full build puts
// each key once): it does not look for k first, and a k already held
// leaves Len one too high.
func (e *Edit[K, V]) Insert(k K, v V) {
	e.own(e.m.ShardOf(k)).m[k] = v
	e.m.n++
}

// Delete removes k, if the map holds it.
func (e *Edit[K, V]) Delete(k K) {
	i := e.m.ShardOf(k)
	if old := e.m.shard(i); old == nil {
		return
	} else if _, ok := old.m[k]; !ok {
		return
	}
	delete(e.own(i).m, k)
	e.m.n--
}

// Done returns the edited map; the edit must not be used afterwards.
func (e *Edit[K, V]) Done() Map[K, V] {
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

// DiffKeys calls f for every key whose value differs between m and prev,
// present in only one of them or mapped to different values, until f
// returns false. When both come from the same lineage of edits, the pages
// and shards they share are skipped unread; otherwise every entry is
// compared. With prev nil, every key of m differs.
func DiffKeys[K comparable, V comparable](m, prev *Map[K, V], f func(K) bool) {
	if prev == nil {
		m.All(func(k K, _ V) bool { return f(k) })
		return
	}
	if m.seed != prev.seed || len(m.pages) != len(prev.pages) {
		ok := true
		m.All(func(k K, v V) bool {
			if pv, found := prev.Get(k); !found || pv != v {
				ok = f(k)
			}
			return ok
		})
		if ok {
			prev.All(func(k K, _ V) bool {
				if _, found := m.Get(k); !found {
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

// diffShard is DiffKeys for one shard; it returns false when f did.
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
