package server

import (
	"bytes"
	"maps"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// A follower decodes every document of the model on a full read: with a
// million resources, reflection-driven decoding and a tag map per resource
// are most of the time and memory of a build. The functions here decode the
// common resource document without reflection, and share one tag map
// between all the entities with the same tags.

// decode decodes the document of one entity as decodeOne does, sharing
// tag maps through f.tags and the entity's ARN with its key.
func (f *followState) decode(k store.Key, value []byte) (entity.Entity, error) {
	if k.Kind == store.KindResource {
		if r, ok := fastResource(k, value, f.tags); ok {
			return r, nil
		}
	}
	e, err := decodeOne(k, value)
	if err != nil {
		return nil, err
	}
	switch e := e.(type) {
	case *entity.Resource:
		e.ARN, e.Tags = k.ID, f.tags.share(e.Tags)
	case *entity.User:
		e.ARN, e.Tags = k.ID, f.tags.share(e.Tags)
	case *entity.Role:
		e.ARN, e.Tags = k.ID, f.tags.share(e.Tags)
	}
	return e, nil
}

// maxSharedTags bounds the tag sets a tagPool keeps, so that a model
// whose tags keep changing does not grow it without end; past it, new tag
// sets are simply not shared.
const maxSharedTags = 1 << 16

// maxFastTags is the most tags the fast resource decoder reads.
const maxFastTags = 16

// A tagPool hands out one map for all the entities with the same tags.
// The maps it hands out are never modified: entities given to a Linker are
// not. It is safe for concurrent use.
type tagPool struct {
	mu sync.Mutex
	m  map[string]map[string]string // by tagKey
}

func newTagPool() *tagPool {
	return &tagPool{m: make(map[string]map[string]string)}
}

// tagKey appends the canonical form of sorted tags to buf: each key and
// value followed by a 0 byte, which JSON text cannot hold unescaped.
func tagKey[S ~string | ~[]byte](buf []byte, kv [][2]S) []byte {
	for _, p := range kv {
		buf = append(append(append(append(buf, p[0]...), 0), p[1]...), 0)
	}
	return buf
}

// share returns the interned map equal to tags, interning tags when there
// is none yet. A nil map stays nil.
func (t *tagPool) share(tags map[string]string) map[string]string {
	if tags == nil || len(tags) > maxFastTags {
		return tags
	}
	var kvBuf [maxFastTags][2]string
	kv := kvBuf[:0]
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		kv = append(kv, [2]string{k, tags[k]})
	}
	var buf [256]byte
	key := tagKey(buf[:0], kv)
	t.mu.Lock()
	defer t.mu.Unlock()
	if m, ok := t.m[string(key)]; ok {
		return m
	}
	if len(t.m) < maxSharedTags {
		t.m[string(key)] = tags
	}
	return tags
}

// get returns the interned map of the sorted tags kv, making it when there
// is none yet.
func (t *tagPool) get(kv [][2][]byte) map[string]string {
	var buf [256]byte
	key := tagKey(buf[:0], kv)
	t.mu.Lock()
	defer t.mu.Unlock()
	if m, ok := t.m[string(key)]; ok {
		return m
	}
	m := make(map[string]string, len(kv))
	for _, p := range kv {
		m[string(p[0])] = string(p[1])
	}
	if len(t.m) < maxSharedTags {
		t.m[string(key)] = m
	}
	return m
}

// fastResource decodes the common resource document, an object of "arn"
// and "tags" (or null) whose strings hold no escape, as decodeOne would,
// without reflection; the ARN is k's ID, which it must equal. It reports
// false on anything else (a policy, an escape, a key spelt otherwise, a
// duplicate key, more than maxFastTags tags), for the caller to decode
// strictly: it accepts nothing decodeOne rejects, and reads what both
// accept the same way.
func fastResource(k store.Key, doc []byte, tags *tagPool) (*entity.Resource, bool) {
	s := jsonLex{b: doc}
	if !s.punct('{') {
		return nil, false
	}
	r := &entity.Resource{}
	var seenARN, seenTags bool
	for first := true; ; first = false {
		if first && s.punct('}') {
			break
		}
		if !first && !s.punct(',') {
			if !s.punct('}') {
				return nil, false
			}
			break
		}
		key, ok := s.str()
		if !ok || !s.punct(':') {
			return nil, false
		}
		switch {
		case string(key) == "arn" && !seenARN:
			seenARN = true
			arn, ok := s.str()
			if !ok || string(arn) != k.ID {
				return nil, false
			}
			r.ARN = k.ID
		case string(key) == "tags" && !seenTags:
			seenTags = true
			if s.null() {
				continue
			}
			var kvBuf [maxFastTags][2][]byte
			kv, ok := s.stringMap(kvBuf[:0])
			if !ok {
				return nil, false
			}
			r.Tags = tags.get(kv)
		default:
			return nil, false
		}
	}
	if !s.end() || !seenARN {
		return nil, false
	}
	return r, true
}

// jsonLex reads the few JSON forms fastResource accepts.
type jsonLex struct {
	b []byte
	i int
}

func (s *jsonLex) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// punct consumes c, after white space, if it comes next.
func (s *jsonLex) punct(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// null consumes a null literal if it comes next.
func (s *jsonLex) null() bool {
	s.space()
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// str reads a string of valid UTF-8 without escapes or control characters.
func (s *jsonLex) str() ([]byte, bool) {
	if !s.punct('"') {
		return nil, false
	}
	start := s.i
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// stringMap reads an object of strings into kv, sorted by key; a
// duplicate key or more than cap(kv) members is refused.
func (s *jsonLex) stringMap(kv [][2][]byte) ([][2][]byte, bool) {
	if !s.punct('{') {
		return nil, false
	}
	if s.punct('}') {
		return kv, true
	}
	for {
		k, ok := s.str()
		if !ok || !s.punct(':') {
			return nil, false
		}
		v, ok := s.str()
		if !ok || len(kv) == cap(kv) {
			return nil, false
		}
		kv = append(kv, [2][]byte{k, v})
		if s.punct('}') {
			break
		}
		if !s.punct(',') {
			return nil, false
		}
	}
	slices.SortFunc(kv, func(a, b [2][]byte) int { return bytes.Compare(a[0], b[0]) })
	for i := 1; i < len(kv); i++ {
		if string(kv[i][0]) == string(kv[i-1][0]) {
			return nil, false
		}
	}
	return kv, true
}

// end reports whether only white space is left.
func (s *jsonLex) end() bool {
	s.space()
	return s.i == len(s.b)
}
