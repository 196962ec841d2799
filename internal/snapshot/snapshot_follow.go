package snapshot

import (
	"bytes"
	"fmt"
	"iter"
	"maps"
	"slices"
	"sync"

	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// followState is what the follower keeps from one revision to the next so
// that a change costs what it touches: every entity decoded, by store key,
// beside the document it was decoded from; the Linker that resolves them;
// and the cache of parsed policy documents.
//
// A resource is kept by the Linker alone, which removes it by its ARN (the
// ID of its key) and tells whether a document read again says what it
// holds (HoldsResource): with a million resources, a table of their
// documents here would be a second table of a million entries to fill and
// for the collector to scan, beside the Linker's.
//
// The Follower keeps it (Follower.state) for the next revision, beside the
// snapshot it published from it. Only the goroutine that runs Follow reads
// or changes it.
type followState struct {
	cache    *entity.DocCache
	linker   *entity.Linker
	pool     *sharePool
	entities map[store.Key]followed // all but resources
	broken   map[store.Key]error    // documents that do not decode
}

// followed is one document and the entity decoded from it, which the
// Linker is given back to remove it.
type followed struct {
	value  []byte
	entity entity.Entity
}

func newFollowState() *followState {
	cache := entity.NewDocCache()
	return &followState{cache: cache, linker: entity.NewLinker(cache), pool: newSharePool(),
		entities: make(map[store.Key]followed), broken: make(map[store.Key]error)}
}

// empty reports whether the state holds no document.
func (f *followState) empty() bool {
	return len(f.entities) == 0 && f.linker.NumResources() == 0 && len(f.broken) == 0
}

// record notes that the entity at k is e, decoded from value; the Linker
// alone keeps a resource.
func (f *followState) record(k store.Key, value []byte, e entity.Entity) {
	if k.Kind != store.KindResource {
		f.entities[k] = followed{value: value, entity: e}
	}
}

// apply records one change: a put with the document of k, or a delete.
// A document that is the same bytes as before is not decoded again, nor
// is a resource put again that says what the Linker holds.
func (f *followState) apply(k store.Key, value []byte, deleted bool) {
	if deleted {
		f.remove(k)
		return
	}
	if f.same(k, value) {
		return
	}
	e, err := f.decode(k, value)
	if err == nil && f.holds(k, e) {
		return
	}
	f.replace(k, value, e, err)
}

// same reports whether k, an entity other than a resource, holds value
// already.
func (f *followState) same(k store.Key, value []byte) bool {
	if k.Kind == store.KindResource {
		return false
	}
	old, had := f.entities[k]
	return had && bytes.Equal(old.value, value)
}

// holds reports whether e, decoded from the document of the resource at k,
// is what the Linker holds there already, and k's document decoded
// before.
func (f *followState) holds(k store.Key, e entity.Entity) bool {
	r, ok := e.(*entity.Resource)
	if !ok || k.Kind != store.KindResource {
		return false
	}
	_, broken := f.broken[k]
	return !broken && f.linker.HoldsResource(r)
}

// remove drops the entity at k.
func (f *followState) remove(k store.Key) {
	delete(f.broken, k)
	if k.Kind == store.KindResource {
		f.linker.Remove(&entity.Resource{ARN: k.ID})
		return
	}
	if old, had := f.entities[k]; had {
		f.linker.Remove(old.entity)
		delete(f.entities, k)
	}
}

// replace makes e, decoded from value (or the error err), the entity at k.
func (f *followState) replace(k store.Key, value []byte, e entity.Entity, err error) {
	f.remove(k)
	if err == nil {
		err = f.linker.Put(e)
	}
	if err != nil {
		f.broken[k] = err
		return
	}
	f.record(k, value, e)
}

// applyModel makes the state that of the whole model m, applying what
// differs. The documents that changed are decoded on every core.
func (f *followState) applyModel(m Model) {
	if f.empty() {
		f.first(len(m), maps.All(m))
		return
	}
	var todo []decoding
	for k, v := range m {
		if !f.same(k, v) {
			todo = append(todo, decoding{k: k, value: v})
		}
	}
	f.decodeAll(todo)
	for _, d := range todo {
		if d.err != nil || !f.holds(d.k, d.e) {
			f.replace(d.k, d.value, d.e, d.err)
		}
	}
	for k := range f.entities {
		if _, ok := m[k]; !ok {
			f.remove(k)
		}
	}
	var gone []string
	for arn := range f.linker.ResourceARNs() {
		if _, ok := m[store.Key{Kind: store.KindResource, ID: arn}]; !ok {
			gone = append(gone, arn)
		}
	}
	for _, arn := range gone {
		f.remove(store.Key{Kind: store.KindResource, ID: arn})
	}
	for k := range f.broken {
		if _, ok := m[k]; !ok {
			delete(f.broken, k)
		}
	}
}

// decoding is one document to decode, then its entity or error; res
// holds a resource the fast decoder read (see decodeInto).
type decoding struct {
	k     store.Key
	value []byte
	e     entity.Entity
	err   error
	res   entity.Resource
}

// decodeAll decodes documents on every core.
func (f *followState) decodeAll(todo []decoding) {
	onCores(len(todo), 1024, func(i int) {
		d := &todo[i]
		d.e, d.err = f.decodeInto(d.k, d.value, &d.res)
	})
}

// firstChunk is the number of documents a first read decodes at a time.
const firstChunk = 4096

// first makes the state, which is empty, that of the model of n documents
// that docs yields (twice: once to count them, once to decode). The tables
// are made to size, and the documents go through a pipeline a chunk at a
// time: decoded on every core, put into the Linker, recorded. The stages
// work at the same time on successive chunks, and only a few chunks are
// in flight, not a million decoded entities.
func (f *followState) first(n int, docs iter.Seq2[store.Key, []byte]) {
	principals, resources := 0, 0
	for k := range docs {
		switch k.Kind {
		case store.KindUser, store.KindRole:
			principals++
		case store.KindResource:
			resources++
		}
	}
	f.entities = make(map[store.Key]followed, n-resources)
	f.linker.Grow(principals, resources)

	// Chunks come back through free once recorded, to be used again.
	decoded, put, free := make(chan []decoding, 2), make(chan []decoding, 2), make(chan []decoding, 8)
	next := func() []decoding {
		select {
		case c := <-free:
			return c[:0]
		default:
			return make([]decoding, 0, firstChunk)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(decoded)
		chunk := next()
		for k, v := range docs {
			chunk = append(chunk, decoding{k: k, value: v})
			if len(chunk) == firstChunk {
				f.decodeAll(chunk)
				decoded <- chunk
				chunk = next()
			}
		}
		f.decodeAll(chunk)
		decoded <- chunk
	})
	wg.Go(func() {
		defer close(put)
		for chunk := range decoded {
			for i := range chunk {
				if chunk[i].err == nil {
					chunk[i].err = f.linker.Put(chunk[i].e)
				}
			}
			put <- chunk
		}
	})
	for chunk := range put {
		for _, d := range chunk {
			if d.err != nil {
				f.broken[d.k] = d.err
			} else {
				f.record(d.k, d.value, d.e)
			}
		}
		clear(chunk) // let go of the entities
		select {
		case free <- chunk:
		default:
		}
	}
	wg.Wait()
}

// resolve links the model; it fails while a document does not decode.
func (f *followState) resolve() (*entity.Resolved, error) {
	if len(f.broken) > 0 {
		keys := make([]store.Key, 0, len(f.broken))
		for k := range f.broken {
			keys = append(keys, k)
		}
		err := f.broken[slices.MinFunc(keys, store.Key.Compare)]
		if len(keys) > 1 {
			err = fmt.Errorf("%w (and %d more documents that do not decode)", err, len(keys)-1)
		}
		return nil, err
	}
	return f.linker.Link()
}

// decodeOne decodes the document of one entity, strictly, as model.set
// does.
func decodeOne(k store.Key, value []byte) (entity.Entity, error) {
	var s entity.Set
	if err := DecodeEntity(&s, k, value); err != nil {
		return nil, err
	}
	switch {
	case len(s.Accounts) == 1:
		return &s.Accounts[0], nil
	case len(s.ManagedPolicies) == 1:
		return &s.ManagedPolicies[0], nil
	case len(s.SCPs) == 1:
		return &s.SCPs[0], nil
	case len(s.Groups) == 1:
		return &s.Groups[0], nil
	case len(s.Users) == 1:
		return &s.Users[0], nil
	case len(s.Roles) == 1:
		return &s.Roles[0], nil
	case len(s.Resources) == 1:
		return &s.Resources[0], nil
	}
	return nil, fmt.Errorf("%s: no entity decoded", k)
}
