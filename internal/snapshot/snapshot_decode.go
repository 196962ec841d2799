package snapshot

import (
	"bytes"
	"encoding/json"
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
// common documents of resources, users and roles without reflection, and
// share one tag map between all the entities with the same tags and one
// string between all the mentions of a policy or group name.

// decode decodes the document of one entity as decodeOne does, sharing
// tag maps and names through f.pool and the entity's ARN with its key.
func (f *followState) decode(k store.Key, value []byte) (entity.Entity, error) {
	if e, ok := fastEntity(k, value, f.pool); ok {
		return e, nil
	}
	e, err := decodeOne(k, value)
	if err != nil {
		return nil, err
	}
	switch e := e.(type) {
	case *entity.Resource:
		e.ARN, e.Tags = k.ID, f.pool.shareTags(e.Tags)
	case *entity.User:
		e.ARN, e.Tags = k.ID, f.pool.shareTags(e.Tags)
	case *entity.Role:
		e.ARN, e.Tags = k.ID, f.pool.shareTags(e.Tags)
	}
	return e, nil
}

const (
	// maxShared bounds the tag sets and names a sharePool keeps, so that a
	// model whose tags keep changing does not grow it without end; past it,
	// new ones are simply not shared.
	maxShared = 1 << 16
	// maxFastTags is the most tags the fast decoder reads.
	maxFastTags = 16
)

// A sharePool hands out one map for all the entities with the same tags,
// and one string for all the mentions of a name. The maps it hands out are
// never modified: entities given to a Linker are not. It is safe for
// concurrent use.
type sharePool struct {
	mu    sync.Mutex
	tags  map[string]map[string]string // by tagKey
	names map[string]string
}

func newSharePool() *sharePool {
	return &sharePool{tags: make(map[string]map[string]string), names: make(map[string]string)}
}

// tagKey appends the canonical form of sorted tags to buf: each key and
// value followed by a 0 byte, which JSON text cannot hold unescaped.
func tagKey[S ~string | ~[]byte](buf []byte, kv [][2]S) []byte {
	for _, p := range kv {
		buf = append(append(append(append(buf, p[0]...), 0), p[1]...), 0)
	}
	return buf
}

// shareTags returns the pooled map equal to tags, pooling tags when there
// is none yet. A nil map stays nil.
func (p *sharePool) shareTags(tags map[string]string) map[string]string {
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
	p.mu.Lock()
	defer p.mu.Unlock()
	if m, ok := p.tags[string(key)]; ok {
		return m
	}
	if len(p.tags) < maxShared {
		p.tags[string(key)] = tags
	}
	return tags
}

// tagsOf returns the pooled map of the sorted tags kv, making it when
// there is none yet.
func (p *sharePool) tagsOf(kv [][2][]byte) map[string]string {
	var buf [256]byte
	key := tagKey(buf[:0], kv)
	p.mu.Lock()
	defer p.mu.Unlock()
	if m, ok := p.tags[string(key)]; ok {
		return m
	}
	m := make(map[string]string, len(kv))
	for _, e := range kv {
		m[string(e[0])] = string(e[1])
	}
	if len(p.tags) < maxShared {
		p.tags[string(key)] = m
	}
	return m
}

// name returns the pooled string equal to b.
func (p *sharePool) name(b []byte) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.names) < maxShared {
		p.names[s] = s
	}
	return s
}

// fastEntity decodes the common documents of resources, users and roles
// as decodeOne would, without reflection: an object of the fields of the
// entity, spelt as a writer spells them, each once, whose strings hold no
// escape, with the ARN of k (to which the entity's ARN is set). It
// reports false on anything else (another kind, a resource policy, an
// escape, a key spelt otherwise, a duplicate key, null where a string is
// expected, more than maxFastTags tags), for the caller to decode
// strictly: it accepts nothing decodeOne rejects, and reads what both
// accept the same way.
func fastEntity(k store.Key, doc []byte, pool *sharePool) (entity.Entity, bool) {
	s := jsonLex{b: doc}
	var seen uint8
	once := func(bit uint8) bool {
		ok := seen&bit == 0
		seen |= bit
		return ok
	}
	var e entity.Entity
	var ok bool
	switch k.Kind {
	case store.KindResource:
		r := &entity.Resource{}
		e = r
		ok = s.members(func(key []byte) bool {
			switch string(key) {
			case "arn":
				return once(1) && s.arn(k, &r.ARN)
			case "tags":
				return once(2) && s.tags(pool, &r.Tags)
			}
			return false
		})
	case store.KindUser:
		u := &entity.User{}
		e = u
		ok = s.members(func(key []byte) bool {
			switch string(key) {
			case "arn":
				return once(1) && s.arn(k, &u.ARN)
			case "groups":
				return once(2) && s.names(pool, &u.Groups)
			case "managed_policies":
				return once(4) && s.names(pool, &u.ManagedPolicies)
			case "inline_policies":
				return once(8) && s.documents(&u.InlinePolicies)
			case "permissions_boundary":
				return once(16) && s.name(pool, &u.PermissionsBoundary)
			case "tags":
				return once(32) && s.tags(pool, &u.Tags)
			}
			return false
		})
	case store.KindRole:
		r := &entity.Role{}
		e = r
		ok = s.members(func(key []byte) bool {
			switch string(key) {
			case "arn":
				return once(1) && s.arn(k, &r.ARN)
			case "managed_policies":
				return once(4) && s.names(pool, &r.ManagedPolicies)
			case "inline_policies":
				return once(8) && s.documents(&r.InlinePolicies)
			case "permissions_boundary":
				return once(16) && s.name(pool, &r.PermissionsBoundary)
			case "tags":
				return once(32) && s.tags(pool, &r.Tags)
			}
			return false
		})
	}
	if !ok || !s.end() || seen&1 == 0 {
		return nil, false
	}
	return e, true
}

// jsonLex reads the few JSON forms fastEntity accepts.
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

// end reports whether only white space is left.
func (s *jsonLex) end() bool {
	s.space()
	return s.i == len(s.b)
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

// members reads an object, calling member for each key with the lexer at
// the member's value, which member reads; it gives up when member does.
func (s *jsonLex) members(member func(key []byte) bool) bool {
	if !s.punct('{') {
		return false
	}
	if s.punct('}') {
		return true
	}
	for {
		key, ok := s.str()
		if !ok || !s.punct(':') || !member(key) {
			return false
		}
		if s.punct('}') {
			return true
		}
		if !s.punct(',') {
			return false
		}
	}
}

// arn reads a string that must be k's ID, and sets *dst to the ID.
func (s *jsonLex) arn(k store.Key, dst *string) bool {
	v, ok := s.str()
	if !ok || string(v) != k.ID {
		return false
	}
	*dst = k.ID
	return true
}

// name reads a string into *dst, pooled.
func (s *jsonLex) name(pool *sharePool, dst *string) bool {
	v, ok := s.str()
	if ok {
		*dst = pool.name(v)
	}
	return ok
}

// names reads null or an array of strings into *dst, pooled; an empty
// array is an empty slice, as encoding/json makes it.
func (s *jsonLex) names(pool *sharePool, dst *[]string) bool {
	if s.null() {
		return true
	}
	if !s.punct('[') {
		return false
	}
	out := []string{}
	if s.punct(']') {
		*dst = out
		return true
	}
	for {
		v, ok := s.str()
		if !ok {
			return false
		}
		out = append(out, pool.name(v))
		if s.punct(']') {
			*dst = out
			return true
		}
		if !s.punct(',') {
			return false
		}
	}
}

// tags reads null or an object of strings into *dst, pooled; a duplicate
// key or more than maxFastTags members is refused.
func (s *jsonLex) tags(pool *sharePool, dst *map[string]string) bool {
	if s.null() {
		return true
	}
	var kvBuf [maxFastTags][2][]byte
	kv := kvBuf[:0]
	ok := s.members(func(k []byte) bool {
		v, ok := s.str()
		if !ok || len(kv) == cap(kv) {
			return false
		}
		kv = append(kv, [2][]byte{k, v})
		return true
	})
	if !ok {
		return false
	}
	slices.SortFunc(kv, func(a, b [2][]byte) int { return bytes.Compare(a[0], b[0]) })
	for i := 1; i < len(kv); i++ {
		if bytes.Equal(kv[i][0], kv[i-1][0]) {
			return false
		}
	}
	*dst = pool.tagsOf(kv)
	return true
}

// documents reads null or an object of JSON values, each kept as a copy
// of its text; a duplicate key is refused.
func (s *jsonLex) documents(dst *map[string]json.RawMessage) bool {
	if s.null() {
		return true
	}
	out := map[string]json.RawMessage{}
	ok := s.members(func(k []byte) bool {
		if _, dup := out[string(k)]; dup {
			return false
		}
		v, ok := s.value()
		if ok {
			out[string(k)] = bytes.Clone(v)
		}
		return ok
	})
	if ok {
		*dst = out
	}
	return ok
}

// value reads one JSON value and returns its text, which it checks is
// valid JSON.
func (s *jsonLex) value() ([]byte, bool) {
	s.space()
	start, depth := s.i, 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			for s.i++; s.i < len(s.b) && s.b[s.i] != '"'; s.i++ {
				if s.b[s.i] == '\\' {
					s.i++
				}
			}
			s.i++
		case '{', '[':
			depth++
			s.i++
		case '}', ']':
			if depth == 0 {
				return s.valid(start)
			}
			depth--
			s.i++
		case ',':
			if depth == 0 {
				return s.valid(start)
			}
			s.i++
		default:
			s.i++
		}
		if depth == 0 && s.i > start && (s.b[start] == '{' || s.b[start] == '[' || s.b[start] == '"') {
			return s.valid(start)
		}
	}
	return s.valid(start)
}

// valid returns the text from start to the lexer, trimmed of white space
// at its end, if it is valid JSON.
func (s *jsonLex) valid(start int) ([]byte, bool) {
	end := min(s.i, len(s.b))
	v := bytes.TrimRight(s.b[start:end], " \t\r\n")
	return v, len(v) > 0 && json.Valid(v)
}
