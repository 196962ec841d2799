package memstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/pdp-dev/pdp/pkg/store"
)

// Store is an in-memory store.Store.
type Store struct {
	opts store.Options
	done chan struct{} // closed by Close

	mu        sync.RWMutex
	closed    bool
	changed   chan struct{} // closed and replaced by every Apply
	rev       int64         // current revision
	compacted int64         // oldest readable revision; 0 before any compaction
	log       []revision    // kept revisions, oldest first, consecutive
	versions  map[store.Key][]version

	// sortMu guards sorted, the keys of versions in store.Key.Compare
	// order, or nil until a reader needs it after keys were added or
	// removed. Lock order: mu (read) then sortMu; writers holding mu for
	// writing set sorted to nil without sortMu. A built slice is never
	// modified.
	sortMu sync.Mutex
	sorted []store.Key
}

// revision is one written change set.
type revision struct {
	info    store.RevisionInfo
	changes []store.Change
}

// version is an entity's value from revision rev on, or its deletion.
type version struct {
	rev     int64
	value   []byte
	deleted bool
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New(opts store.Options) *Store {
	return &Store{
		opts:     opts.WithDefaults(),
		done:     make(chan struct{}),
		changed:  make(chan struct{}),
		versions: map[store.Key][]version{},
	}
}

// errClosed is what every method returns after Close.
func errClosed(op string) error { return fmt.Errorf("memstore: %s: %w", op, store.ErrClosed) }

// Apply implements store.Store.
func (s *Store) Apply(ctx context.Context, cs store.ChangeSet) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := cs.Validate(); err != nil {
		return 0, fmt.Errorf("memstore: apply: %w", err)
	}
	changes := make([]store.Change, len(cs.Changes))
	keys := make([]store.Key, len(cs.Changes))
	for i, c := range cs.Changes {
		changes[i] = store.Change{Op: c.Op, Key: c.Key, Value: clone(c.Value)}
		keys[i] = c.Key
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errClosed("apply")
	}
	if cs.ExpectRevision != 0 && cs.ExpectRevision != s.rev {
		return 0, fmt.Errorf("memstore: apply: expected revision %d, current is %d: %w", cs.ExpectRevision, s.rev, store.ErrConflict)
	}
	rev := s.rev + 1
	info := store.RevisionInfo{Revision: rev, Time: time.Now().UTC(), Author: cs.Author, Message: cs.Message, Keys: keys}
	s.log = append(s.log, revision{info: info, changes: changes})
	for _, c := range changes {
		vs, ok := s.versions[c.Key]
		if !ok {
			s.sorted = nil
		}
		s.versions[c.Key] = append(vs, version{rev: rev, value: c.Value, deleted: c.Op == store.OpDelete})
	}
	s.rev = rev
	close(s.changed)
	s.changed = make(chan struct{})
	return rev, nil
}

// Revision implements store.Store.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, errClosed("revision")
	}
	return s.rev, nil
}

// at resolves a read revision (0: current); s.mu is held.
func (s *Store) at(op string, rev int64) (int64, error) {
	switch {
	case s.closed:
		return 0, errClosed(op)
	case rev == 0:
		return s.rev, nil
	case rev > s.rev:
		return 0, fmt.Errorf("memstore: %s at %d, current is %d: %w", op, rev, s.rev, store.ErrFutureRevision)
	case rev < s.compacted:
		return 0, fmt.Errorf("memstore: %s at %d, compacted up to %d: %w", op, rev, s.compacted, store.ErrCompacted)
	}
	return rev, nil
}

// get returns key's version at rev; s.mu is held.
func (s *Store) get(key store.Key, rev int64) (version, bool) {
	vs := s.versions[key]
	i := sort.Search(len(vs), func(i int) bool { return vs[i].rev > rev })
	if i == 0 || vs[i-1].deleted {
		return version{}, false
	}
	return vs[i-1], true
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key store.Key, rev int64) (store.Value, error) {
	if err := key.Validate(); err != nil {
		return store.Value{}, fmt.Errorf("memstore: get: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rev, err := s.at("get", rev)
	if err != nil {
		return store.Value{}, err
	}
	v, ok := s.get(key, rev)
	if !ok {
		return store.Value{}, fmt.Errorf("memstore: get %s at %d: %w", key, rev, store.ErrNotFound)
	}
	return store.Value{Key: key, Value: clone(v.value), ModRevision: v.rev}, nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, kind store.Kind, rev int64, page store.Page) ([]store.Value, int64, error) {
	if !kind.Valid() {
		return nil, 0, fmt.Errorf("memstore: list: %w: unknown entity kind %q", store.ErrInvalidKey, kind)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rev, err := s.at("list", rev)
	if err != nil {
		return nil, 0, err
	}
	sorted := s.sortedKeys()
	start, _ := slices.BinarySearchFunc(sorted, store.Key{Kind: kind, ID: page.After}, store.Key.Compare)
	out := []store.Value{}
	var a arena
	for _, key := range sorted[start:] {
		if key.Kind != kind || len(out) == page.Limit() {
			break
		}
		if key.ID == page.After {
			continue
		}
		if v, ok := s.get(key, rev); ok {
			out = append(out, store.Value{Key: key, Value: a.clone(v.value), ModRevision: v.rev})
		}
	}
	return out, rev, nil
}

// Snapshot implements store.Store.
func (s *Store) Snapshot(ctx context.Context, rev int64) ([]store.Value, int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rev, err := s.at("snapshot", rev)
	if err != nil {
		return nil, 0, err
	}
	sorted := s.sortedKeys()
	out := make([]store.Value, 0, len(sorted))
	var a arena
	for _, key := range sorted {
		if v, ok := s.get(key, rev); ok {
			out = append(out, store.Value{Key: key, Value: a.clone(v.value), ModRevision: v.rev})
		}
	}
	return out, rev, nil
}

// History implements store.Store.
func (s *Store) History(ctx context.Context, key store.Key) ([]store.RevisionInfo, error) {
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("memstore: history: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed("history")
	}
	vs := s.versions[key]
	var out []store.RevisionInfo
	for i := len(vs) - 1; i >= 0 && vs[i].rev >= s.compacted; i-- {
		if r, ok := s.logAt(vs[i].rev); ok {
			out = append(out, cloneInfo(r.info))
		}
	}
	return out, nil
}

// logAt returns the kept revision rev; s.mu is held.
func (s *Store) logAt(rev int64) (revision, bool) {
	if len(s.log) == 0 {
		return revision{}, false
	}
	i := rev - s.log[0].info.Revision
	if i < 0 || i >= int64(len(s.log)) {
		return revision{}, false
	}
	return s.log[i], true
}

// Revisions implements store.Store.
func (s *Store) Revisions(ctx context.Context, from, to int64) ([]store.RevisionInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	to, err := s.at("revisions", to)
	if err != nil {
		return nil, err
	}
	if from < s.compacted {
		return nil, fmt.Errorf("memstore: revisions after %d, compacted up to %d: %w", from, s.compacted, store.ErrCompacted)
	}
	var out []store.RevisionInfo
	for rev := from + 1; rev <= to; rev++ {
		if r, ok := s.logAt(rev); ok {
			out = append(out, cloneInfo(r.info))
		}
	}
	return out, nil
}

// Compact implements store.Store.
func (s *Store) Compact(ctx context.Context, keep int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	keep = max(keep, s.opts.KeepRevisions)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed("compact")
	}
	point := s.rev - keep + 1 // the oldest revision to keep
	if point <= s.compacted || point <= 1 {
		return nil
	}
	if len(s.log) > 0 {
		drop := point - s.log[0].info.Revision
		s.log = slices.Delete(s.log, 0, int(min(drop, int64(len(s.log)))))
	}
	for key, vs := range s.versions {
		// Keep every version from point on and, of the older ones, the
		// newest if it is a put that no version at point replaces.
		i := sort.Search(len(vs), func(i int) bool { return vs[i].rev >= point })
		if i > 0 && !vs[i-1].deleted && (i == len(vs) || vs[i].rev > point) {
			i--
		}
		vs = slices.Delete(vs, 0, i)
		if len(vs) == 0 {
			delete(s.versions, key)
			continue
		}
		s.versions[key] = vs
	}
	s.sorted = nil
	s.compacted = point
	return nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.done)
	s.log, s.versions, s.sorted = nil, nil, nil
	return nil
}

// sortedKeys returns the keys in store.Key.Compare order, sorting them
// if keys were added or removed since the last call; s.mu is held for
// reading.
func (s *Store) sortedKeys() []store.Key {
	s.sortMu.Lock()
	defer s.sortMu.Unlock()
	if s.sorted == nil {
		s.sorted = slices.SortedFunc(maps.Keys(s.versions), store.Key.Compare)
	}
	return s.sorted
}

// An arena copies the values of one read into shared chunks: one
// allocation per 64 KiB instead of one per value. Each copy is capped, so
// appending to one never writes over the next.
type arena struct{ buf []byte }

func (a *arena) clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	if len(b) > cap(a.buf)-len(a.buf) {
		a.buf = make([]byte, 0, max(64<<10, len(b)))
	}
	n := len(a.buf)
	a.buf = append(a.buf, b...)
	return a.buf[n:len(a.buf):len(a.buf)]
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return slices.Clone(b)
}

func cloneInfo(info store.RevisionInfo) store.RevisionInfo {
	info.Keys = slices.Clone(info.Keys)
	return info
}
