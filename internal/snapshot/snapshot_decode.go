package snapshot

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/jsonpos"
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
	return f.decodeInto(k, value, nil)
}

// decodeInto is decode, which decodes a resource the fast decoder reads
// into dst when dst is not nil: a first read decodes a million resources
// into the entries of the chunks it reuses rather than into as many new
// ones. The fast decoder reads no resource policy, and the Linker keeps
// only the resources with one, so dst is not kept.
func (f *followState) decodeInto(k store.Key, value []byte, dst *entity.Resource) (entity.Entity, error) {
	if e, ok := fastEntityInto(k, value, f.pool, dst); ok {
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

	// readers keeps fastReaders between documents: a jsonpos.Decoder is
	// too large to make anew for each of the million documents of a full
	// read.
	readers sync.Pool
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
// there is none yet. The strings of kv may share memory with a document:
// the map holds copies.
func (p *sharePool) tagsOf(kv [][2]string) map[string]string {
	var buf [256]byte
	key := tagKey(buf[:0], kv)
	p.mu.Lock()
	defer p.mu.Unlock()
	if m, ok := p.tags[string(key)]; ok {
		return m
	}
	m := make(map[string]string, len(kv))
	for _, e := range kv {
		m[strings.Clone(e[0])] = strings.Clone(e[1])
	}
	if len(p.tags) < maxShared {
		p.tags[string(key)] = m
	}
	return m
}

// name returns the pooled string equal to s, a copy when it is new.
func (p *sharePool) name(s string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n, ok := p.names[s]; ok {
		return n
	}
	n := strings.Clone(s)
	if len(p.names) < maxShared {
		p.names[n] = n
	}
	return n
}

// fastEntity decodes the common documents of resources, users and roles
// as decodeOne would, without reflection: an object of the fields of the
// entity, spelt as a writer spells them, with the ARN of k, which must not
// be empty (the entity's ARN is set to it). It reads the document with jsonpos, whose checks
// are stricter than encoding/json's (a duplicate key, invalid UTF-8 or an
// unpaired surrogate escape is an error, and only white space may follow
// the document), and reports false on anything it does not read itself
// (another kind, a resource policy, a key spelt otherwise, null where a
// string is expected, more than maxFastTags tags), for the caller to
// decode strictly: it accepts nothing decodeOne rejects, and reads what
// both accept the same way.
func fastEntity(k store.Key, doc []byte, pool *sharePool) (entity.Entity, bool) {
	return fastEntityInto(k, doc, pool, nil)
}

// fastEntityInto is fastEntity, which decodes a resource into dst when
// dst is not nil.
func fastEntityInto(k store.Key, doc []byte, pool *sharePool, dst *entity.Resource) (entity.Entity, bool) {
	r, _ := pool.readers.Get().(*fastReader)
	if r == nil {
		r = &fastReader{pool: pool}
	}
	e, ok := r.entity(k, doc, dst)
	pool.readers.Put(r)
	return e, ok
}

// entity is fastEntityInto with a reader.
func (r *fastReader) entity(k store.Key, doc []byte, dst *entity.Resource) (entity.Entity, bool) {
	if k.Kind == store.KindResource {
		if tags, ok := r.plainResource(k, doc); ok {
			if dst == nil {
				dst = &entity.Resource{}
			}
			*dst = entity.Resource{ARN: k.ID, Tags: tags}
			return dst, true
		}
	}
	// Borrowing doc saves a copy of every document: what the reader keeps,
	// it copies (names and tags through the pool, inline policies).
	r.doc = doc
	r.d.ResetBorrowed(doc, jsonpos.Limits{})
	var e entity.Entity
	var arn *string // the entity's ARN, set when the document has k's
	var member func(key string) bool
	switch k.Kind {
	case store.KindResource:
		res := dst
		if res == nil {
			res = &entity.Resource{}
		} else {
			*res = entity.Resource{}
		}
		e, arn = res, &res.ARN
		member = func(key string) bool {
			switch key {
			case "arn":
				return r.arn(k, arn)
			case "tags":
				return r.tags(&res.Tags)
			}
			return false
		}
	case store.KindUser:
		u := &entity.User{}
		e, arn = u, &u.ARN
		p := principalFields{&u.ARN, &u.ManagedPolicies, &u.InlinePolicies, &u.PermissionsBoundary, &u.Tags}
		member = func(key string) bool {
			if key == "groups" {
				return r.names(&u.Groups)
			}
			return r.principal(k, key, p)
		}
	case store.KindRole:
		role := &entity.Role{}
		e, arn = role, &role.ARN
		p := principalFields{&role.ARN, &role.ManagedPolicies, &role.InlinePolicies, &role.PermissionsBoundary, &role.Tags}
		member = func(key string) bool { return r.principal(k, key, p) }
	default:
		return nil, false
	}
	if !r.object(member) {
		return nil, false
	}
	r.d.Finish()
	if r.d.Err() != nil || *arn == "" {
		return nil, false
	}
	return e, true
}

// principalFields are the fields users and roles share, which
// fastReader.principal reads.
type principalFields struct {
	arn      *string
	managed  *[]string
	inline   *map[string]json.RawMessage
	boundary *string
	tags     *map[string]string
}

// principal reads the value of the member key of a user or a role into
// its field in p; false for a key it does not read.
func (r *fastReader) principal(k store.Key, key string, p principalFields) bool {
	switch key {
	case "arn":
		return r.arn(k, p.arn)
	case "managed_policies":
		return r.names(p.managed)
	case "inline_policies":
		return r.documents(p.inline)
	case "permissions_boundary":
		return r.name(p.boundary)
	case "tags":
		return r.tags(p.tags)
	}
	return false
}

// fastReader reads the few JSON forms fastEntity accepts from a jsonpos
// walk, which does every syntax check. Each method reads one value and
// reports false, leaving the walk, on a form it does not take; the walk
// fails on the first syntax error, after which every method reports false.
type fastReader struct {
	d    jsonpos.Decoder
	doc  []byte // what d reads
	pool *sharePool

	// The reader's own copy of what it took from the pool, which it reads
	// without taking the pool's lock: the readers of a first read decode
	// on every core, and would otherwise take it once a document.
	ownTags  map[string]map[string]string // by tagKey
	ownNames map[string]string
	nameBuf  []string // room for the names of one list
}

// maxReaderShared bounds the tag sets and names a reader keeps of its own.
const maxReaderShared = 1 << 10

// sharedName returns the pooled string equal to s.
func (r *fastReader) sharedName(s string) string {
	if n, ok := r.ownNames[s]; ok {
		return n
	}
	n := r.pool.name(s)
	if r.ownNames == nil {
		r.ownNames = make(map[string]string)
	}
	if len(r.ownNames) < maxReaderShared {
		r.ownNames[n] = n
	}
	return n
}

// sharedTags returns the pooled map of the sorted tags kv.
func (r *fastReader) sharedTags(kv [][2]string) map[string]string {
	var buf [256]byte
	key := tagKey(buf[:0], kv)
	if m, ok := r.ownTags[string(key)]; ok {
		return m
	}
	m := r.pool.tagsOf(kv)
	if r.ownTags == nil {
		r.ownTags = make(map[string]map[string]string)
	}
	if len(r.ownTags) < maxReaderShared {
		r.ownTags[string(key)] = m
	}
	return m
}

// is reports whether the next value is of kind k.
func (r *fastReader) is(k jsonpos.Kind) bool {
	kind, _ := r.d.Peek()
	return kind == k && r.d.Err() == nil
}

// null reads a null if it comes next.
func (r *fastReader) null() bool {
	if !r.is(jsonpos.Null) {
		return false
	}
	r.d.ReadScalar()
	return true
}

// str reads a string.
func (r *fastReader) str() (string, bool) {
	if !r.is(jsonpos.String) {
		return "", false
	}
	s := r.d.ReadString()
	return s, r.d.Err() == nil
}

// object reads an object, calling member for each key with the walk at the
// member's value, which member reads; it gives up when member does.
func (r *fastReader) object(member func(key string) bool) bool {
	if !r.is(jsonpos.Object) {
		return false
	}
	r.d.BeginObject()
	for {
		key, _, ok := r.d.NextKey()
		if !ok {
			return r.d.Err() == nil
		}
		if !member(key) {
			return false
		}
	}
}

// arn reads a string that must be k's ID, and sets *dst to the ID.
func (r *fastReader) arn(k store.Key, dst *string) bool {
	v, ok := r.str()
	if !ok || v != k.ID {
		return false
	}
	*dst = k.ID
	return true
}

// name reads a string into *dst, pooled.
func (r *fastReader) name(dst *string) bool {
	v, ok := r.str()
	if ok {
		*dst = r.sharedName(v)
	}
	return ok
}

// names reads null or an array of strings into *dst, pooled; an empty
// array is an empty slice, as encoding/json makes it.
func (r *fastReader) names(dst *[]string) bool {
	if r.null() {
		return true
	}
	if !r.is(jsonpos.Array) {
		return false
	}
	r.d.BeginArray()
	// Read into the reader's own room, then kept in a slice of the exact
	// length: a hundred thousand principals keep theirs.
	out := r.nameBuf[:0]
	for r.d.NextElem() {
		v, ok := r.str()
		if !ok {
			return false
		}
		out = append(out, r.sharedName(v))
	}
	r.nameBuf = out[:0]
	if r.d.Err() != nil {
		return false
	}
	*dst = append(make([]string, 0, len(out)), out...)
	clear(out)
	return true
}

// tags reads null or an object of strings into *dst, pooled; more than
// maxFastTags members is refused.
func (r *fastReader) tags(dst *map[string]string) bool {
	if r.null() {
		return true
	}
	var kvBuf [maxFastTags][2]string
	kv := kvBuf[:0]
	ok := r.object(func(k string) bool {
		v, ok := r.str()
		if !ok || len(kv) == cap(kv) {
			return false
		}
		kv = append(kv, [2]string{k, v})
		return true
	})
	if !ok {
		return false
	}
	slices.SortFunc(kv, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	*dst = r.sharedTags(kv)
	return true
}

// documents reads null or an object of JSON values, each kept as a copy
// of its text as written.
func (r *fastReader) documents(dst *map[string]json.RawMessage) bool {
	if r.null() {
		return true
	}
	out := map[string]json.RawMessage{}
	ok := r.object(func(k string) bool {
		_, pos := r.d.Peek()
		r.d.Skip()
		if r.d.Err() != nil {
			return false
		}
		out[strings.Clone(k)] = bytes.Clone(r.doc[pos.Offset:r.d.Offset()])
		return true
	})
	if ok {
		*dst = out
	}
	return ok
}
