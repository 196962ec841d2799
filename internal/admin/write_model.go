package admin

import (
	"bytes"
	"context"
	"errors"

	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// maxCatchUpKeys bounds how many changed entities a writer model reads one
// by one to catch up with the store; beyond that one Snapshot is cheaper.
const maxCatchUpKeys = 10_000

// writeModel is the policy model a PolicyAdmin validates writes against,
// kept between writes so that a write reads only what changed since the
// last one instead of the whole store. It also indexes the entities by
// kind, so that validation finds the ones a change can touch without
// walking a million resources.
//
// A writeModel is loaded on the first write: a server that is never
// written to does not hold a second copy of the model. Its mutex is held
// for a whole write, which serializes the writes of one server (writes
// are rate-limited and rare next to decisions; several servers are kept
// apart by the store's compare-and-swap).
type writeModel struct {
	mu  chanMutex
	rev int64 // the revision m holds; 0 before the first load
	m   snapshot.Model
	ids map[store.Kind]map[string]struct{} // the IDs of every kind but resources

	// decoded keeps the entities validation decoded, by key, with the
	// document each was decoded from: most are decoded again by every
	// write (the accounts, SCPs, managed policies and groups).
	decoded map[store.Key]decodedEntity
}

type decodedEntity struct {
	doc []byte
	set *entity.Set // holding this one entity
}

// chanMutex is a mutex whose Lock gives up when a context ends, so that a
// write waiting behind another obeys its deadline.
type chanMutex chan struct{}

func newChanMutex() chanMutex { return make(chanMutex, 1) }

func (c chanMutex) lock(ctx context.Context) error {
	select {
	case c <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c chanMutex) unlock() { <-c }

func newWriteModel() *writeModel {
	return &writeModel{mu: newChanMutex(), decoded: make(map[store.Key]decodedEntity)}
}

// set decodes the entities of sub (part of the model, with or without
// changes) into a Set, in key order, decoding again only the documents that
// are not the ones decoded last time.
func (w *writeModel) set(sub snapshot.Model) (*entity.Set, error) {
	s := &entity.Set{}
	for _, k := range sub.Keys() {
		doc := sub[k]
		d, ok := w.decoded[k]
		if !ok || !bytes.Equal(d.doc, doc) {
			one := &entity.Set{}
			if err := snapshot.DecodeEntity(one, k, doc); err != nil {
				return nil, err
			}
			d = decodedEntity{doc: doc, set: one}
			w.decoded[k] = d
		}
		appendSet(s, d.set)
	}
	return s, nil
}

// appendSet appends the entities of src to dst.
func appendSet(dst, src *entity.Set) {
	dst.Accounts = append(dst.Accounts, src.Accounts...)
	dst.SCPs = append(dst.SCPs, src.SCPs...)
	dst.ManagedPolicies = append(dst.ManagedPolicies, src.ManagedPolicies...)
	dst.Groups = append(dst.Groups, src.Groups...)
	dst.Users = append(dst.Users, src.Users...)
	dst.Roles = append(dst.Roles, src.Roles...)
	dst.Resources = append(dst.Resources, src.Resources...)
}

// sync brings the model to the store's current revision and returns it.
// The caller holds the mutex.
func (w *writeModel) sync(ctx context.Context, st store.Store) error {
	cur, err := st.Revision(ctx)
	if err != nil {
		return err
	}
	if w.m != nil && cur == w.rev {
		return nil
	}
	if w.m != nil && cur > w.rev {
		switch err := w.catchUp(ctx, st, cur); {
		case err == nil:
			return nil
		case errors.Is(err, store.ErrCompacted), errors.Is(err, errTooManyChanges):
			// Read it all again below.
		default:
			return err
		}
	}
	values, rev, err := st.Snapshot(ctx, 0)
	if err != nil {
		return err
	}
	w.m = make(snapshot.Model, len(values))
	w.ids = make(map[store.Kind]map[string]struct{})
	clear(w.decoded)
	for _, v := range values {
		w.put(v.Key, v.Value)
	}
	w.rev = rev
	return nil
}

var errTooManyChanges = errors.New("too many changes to catch up one by one")

// catchUp reads the entities that revisions after w.rev up to cur changed.
func (w *writeModel) catchUp(ctx context.Context, st store.Store, cur int64) error {
	infos, err := st.Revisions(ctx, w.rev, cur)
	if err != nil {
		return err
	}
	changed := make(map[store.Key]struct{})
	for _, info := range infos {
		for _, k := range info.Keys {
			changed[k] = struct{}{}
		}
		if len(changed) > maxCatchUpKeys {
			return errTooManyChanges
		}
	}
	values := make(map[store.Key][]byte, len(changed))
	for k := range changed {
		v, err := st.Get(ctx, k, cur)
		switch {
		case err == nil:
			values[k] = v.Value
		case errors.Is(err, store.ErrNotFound):
			values[k] = nil
		default:
			return err
		}
	}
	for k, v := range values {
		if v == nil {
			w.delete(k)
		} else {
			w.put(k, v)
		}
	}
	w.rev = cur
	return nil
}

// applied records a change set the store applied as revision rev right
// after w.rev (a compare-and-swap on w.rev made sure of that).
func (w *writeModel) applied(changes []store.Change, rev int64) {
	for _, c := range changes {
		if c.Op == store.OpDelete {
			w.delete(c.Key)
		} else {
			w.put(c.Key, c.Value)
		}
	}
	w.rev = rev
}

func (w *writeModel) put(k store.Key, v []byte) {
	w.m[k] = v
	if k.Kind == store.KindResource {
		return
	}
	ids := w.ids[k.Kind]
	if ids == nil {
		ids = make(map[string]struct{})
		w.ids[k.Kind] = ids
	}
	ids[k.ID] = struct{}{}
}

func (w *writeModel) delete(k store.Key) {
	delete(w.m, k)
	delete(w.decoded, k)
	delete(w.ids[k.Kind], k.ID)
}
