package server

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// followState is what the follower keeps from one revision to the next so
// that a change costs what it touches: every entity decoded, by store key,
// beside the document it was decoded from; the Linker that resolves them;
// and the cache of parsed policy documents.
//
// The snapshot a follower activates carries it (Snapshot.follow) for the
// next revision. Only the goroutine that runs Follow reads or changes it.
type followState struct {
	cache    *entity.DocCache
	linker   *entity.Linker
	tags     *tagPool
	entities map[store.Key]followed
	broken   map[store.Key]error // documents that do not decode
}

// followed is one document and, except for a resource, the entity decoded
// from it, which the Linker is given back to remove it. A resource is
// removed by its ARN, the ID of its key: with a million resources, keeping
// only the document keeps a million entities fewer.
type followed struct {
	value  []byte
	entity entity.Entity
}

// removal returns the entity to give the Linker to remove the one at k.
func (d followed) removal(k store.Key) entity.Entity {
	if d.entity == nil && k.Kind == store.KindResource {
		return &entity.Resource{ARN: k.ID}
	}
	return d.entity
}

func newFollowState() *followState {
	cache := entity.NewDocCache()
	return &followState{cache: cache, linker: entity.NewLinker(cache), tags: newTagPool(),
		entities: make(map[store.Key]followed), broken: make(map[store.Key]error)}
}

// apply records one change: a put with the document of k, or a delete.
// A document that is the same bytes as before is not decoded again.
func (f *followState) apply(k store.Key, value []byte, deleted bool) {
	if deleted {
		f.remove(k)
		return
	}
	if !f.same(k, value) {
		e, err := f.decode(k, value)
		f.replace(k, value, e, err)
	}
}

// same reports whether k holds value already.
func (f *followState) same(k store.Key, value []byte) bool {
	old, had := f.entities[k]
	return had && bytes.Equal(old.value, value)
}

// remove drops the entity at k.
func (f *followState) remove(k store.Key) {
	delete(f.broken, k)
	if old, had := f.entities[k]; had {
		f.linker.Remove(old.removal(k))
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
	d := followed{value: value, entity: e}
	if k.Kind == store.KindResource {
		d.entity = nil
	}
	f.entities[k] = d
}

// applyModel makes the state that of the whole model m, applying what
// differs. The documents that changed are decoded on every core.
func (f *followState) applyModel(m model) {
	type decoding struct {
		k     store.Key
		value []byte
		e     entity.Entity
		err   error
	}
	if len(f.entities) == 0 && len(m) > 0 {
		f.entities = make(map[store.Key]followed, len(m))
	}
	var todo []decoding
	for k, v := range m {
		if !f.same(k, v) {
			todo = append(todo, decoding{k: k, value: v})
		}
	}
	onCores(len(todo), 1024, func(i int) { todo[i].e, todo[i].err = f.decode(todo[i].k, todo[i].value) })
	for _, d := range todo {
		f.replace(d.k, d.value, d.e, d.err)
	}
	for k := range f.entities {
		if _, ok := m[k]; !ok {
			f.remove(k)
		}
	}
	for k := range f.broken {
		if _, ok := m[k]; !ok {
			delete(f.broken, k)
		}
	}
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
	if err := decodeEntity(&s, k, value); err != nil {
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
