package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/pdp-dev/pdp/pkg/store"
)

// formatVersion is the layout version written in meta; Open refuses others.
const formatVersion = 1

// lockTimeout is how long Open waits for another process's lock on the file.
const lockTimeout = 5 * time.Second

var (
	bucketMeta      = []byte("meta")
	bucketVersions  = []byte("versions")
	bucketRevisions = []byte("revisions")
	bucketCurrent   = []byte("current")

	metaFormat    = []byte("format")
	metaRevision  = []byte("revision")
	metaCompacted = []byte("compacted")
)

// Value tags in the versions bucket.
const (
	tagDelete = 0
	tagPut    = 1
)

// Store is a store.Store in one bbolt file.
type Store struct {
	db   *bbolt.DB
	opts store.Options

	closeMu sync.Mutex // serializes Close
	closed  atomic.Bool
	done    chan struct{} // closed by Close

	mu      sync.Mutex    // guards changed
	changed chan struct{} // closed and replaced after every committed Apply

	created  bool     // Open created the file
	warnings []string // see Warnings

	// verified is closed once the file is known sound, with verifyErr the
	// verification's error: at once when Open verified it before opening
	// it (or created it), later when OpenVerifying checks it in the
	// background (see awaitVerified).
	verified  chan struct{}
	verifyErr error
}

var _ store.Store = (*Store)(nil)

// Open opens the store in the bbolt file at path, creating the file (mode
// 0600) and its parent directories (0700) if missing.
//
// An existing file is verified before anything is written to it: its
// header without bbolt, then, read-only, bbolt's consistency check of every
// page and the store's format. A file that is empty, truncated or corrupt
// gets a *DamagedError and is left untouched; Open never creates a new
// store in place of an existing file. A file with one damaged meta page
// opens from the other, as bbolt does; Warnings reports it.
func Open(path string, opts store.Options) (*Store, error) {
	return open(path, opts, false)
}

// OpenVerifying is Open, except that the check of an existing file past
// its header (bbolt's check of every page and the store's format, which
// reads the whole file) runs in the background, at the same time as the
// first reads it would otherwise hold up: a server that restarts reads its
// whole model while the file is checked.
//
// Until the check has passed nothing is written and nothing read is
// returned: a write waits for it, and a read waits for it before it
// returns. When it fails, every operation returns its *DamagedError and
// the file is left untouched. The header is checked before OpenVerifying
// returns, as Open does; a file that bbolt would write to on opening it
// read-write (one whose freelist was never written) is checked in full
// first, as Open does.
func OpenVerifying(path string, opts store.Options) (*Store, error) {
	return open(path, opts, true)
}

// open is Open, checking an existing file in the background when
// background is true.
func open(path string, opts store.Options, background bool) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	var warnings []string
	later := false // the pages and format are checked once the file is open
	if !created {
		h, err := inspectHeader(path)
		if err != nil {
			return nil, err
		}
		// bbolt writes on opening read-write only a file without a
		// freelist (it writes one); the header has the active meta page.
		later = background && h.meta[h.active].freelist != noFreelist
		if !later {
			if err := checkFile(path); err != nil {
				return nil, err
			}
		}
		warnings = h.warnings()
	}
	db, err := openBolt(path, false)
	if err != nil {
		return nil, err
	}
	s := &Store{
		db:       db,
		opts:     opts.WithDefaults(),
		done:     make(chan struct{}),
		changed:  make(chan struct{}),
		created:  created,
		warnings: warnings,
		verified: make(chan struct{}),
	}
	if later {
		go func() { // Close waits for it
			defer close(s.verified)
			s.verifyErr = checkOpened(db, path)
		}()
	} else {
		close(s.verified)
	}
	if !created {
		return s, nil
	}
	if err := s.update("open", initialize); err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	// Make the new directory entry durable too.
	if err := syncDir(filepath.Dir(path)); err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	return s, nil
}

// Created reports whether Open created the file: the store is new, made by
// this Open, rather than found.
func (s *Store) Created() bool { return s.created }

// Warnings lists what Open found wrong but could read past, such as a
// damaged meta page next to a valid one.
func (s *Store) Warnings() []string { return s.warnings }

// initialize creates the buckets of a new file.
func initialize(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketMeta, bucketVersions, bucketRevisions, bucketCurrent} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bucketMeta)
	format := meta.Get(metaFormat)
	if format == nil {
		if meta.Get(metaRevision) != nil {
			return errors.New("meta bucket has no format version")
		}
		return errors.Join(
			meta.Put(metaFormat, u64(formatVersion)),
			meta.Put(metaRevision, u64(0)),
			meta.Put(metaCompacted, u64(0)),
		)
	}
	return checkFormat(tx)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// Close implements store.Store: it waits for running transactions, then
// closes the file. Running watches end with store.ErrClosed.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed.Load() {
		return nil
	}
	s.closed.Store(true)
	close(s.done)
	<-s.verified // the check reads the file
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("boltstore: close: %w", err)
	}
	return nil
}

// Path returns the file the store is in.
func (s *Store) Path() string { return s.db.Path() }

// awaitVerified waits until the file is known sound (see OpenVerifying)
// and returns the error of its check, nil when it passed.
func (s *Store) awaitVerified() error {
	<-s.verified
	return s.verifyErr
}

// view runs fn in a read transaction, mapping a closed database to
// store.ErrClosed and a panic of bbolt on a corrupt page to a
// *DamagedError. It returns once the file is known sound, with the
// error of its check if it failed: a caller uses what fn read only when
// view returns nil.
func (s *Store) view(op string, fn func(tx *bbolt.Tx) error) error {
	if s.closed.Load() {
		return fmt.Errorf("boltstore: %s: %w", op, store.ErrClosed)
	}
	err := guarded(s.db.Path(), op, func() error { return s.db.View(fn) })
	if verr := s.awaitVerified(); verr != nil {
		return verr
	}
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("boltstore: %s: %w", op, store.ErrClosed)
	}
	return err
}

// update runs fn in a read-write transaction, committed with fsync; a
// panic in it rolls the transaction back and becomes a *DamagedError.
func (s *Store) update(op string, fn func(tx *bbolt.Tx) error) error {
	if s.closed.Load() {
		return fmt.Errorf("boltstore: %s: %w", op, store.ErrClosed)
	}
	if err := s.awaitVerified(); err != nil { // nothing is written to a file not known sound
		return err
	}
	err := guarded(s.db.Path(), op, func() error { return s.db.Update(fn) })
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("boltstore: %s: %w", op, store.ErrClosed)
	}
	return err
}

// broadcast wakes every watcher after a commit.
func (s *Store) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
}

// changedChan returns the channel the next commit closes.
func (s *Store) changedChan() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// meta is the meta bucket's counters.
type meta struct {
	revision, compacted int64
}

func readMeta(tx *bbolt.Tx) (meta, error) {
	b := tx.Bucket(bucketMeta)
	rev, ok1 := parseU64(b.Get(metaRevision))
	comp, ok2 := parseU64(b.Get(metaCompacted))
	if !ok1 || !ok2 {
		return meta{}, errors.New("boltstore: corrupt meta bucket")
	}
	return meta{revision: int64(rev), compacted: int64(comp)}, nil
}

// at resolves a read revision (0: current) against m.
func (m meta) at(op string, rev int64) (int64, error) {
	switch {
	case rev == 0:
		return m.revision, nil
	case rev > m.revision:
		return 0, fmt.Errorf("boltstore: %s at %d, current is %d: %w", op, rev, m.revision, store.ErrFutureRevision)
	case rev < m.compacted:
		return 0, fmt.Errorf("boltstore: %s at %d, compacted up to %d: %w", op, rev, m.compacted, store.ErrCompacted)
	}
	return rev, nil
}

// Encoding.

func u64(v int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(v))
}

func parseU64(b []byte) (uint64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

// kindPrefix is the prefix of every key of kind in versions and current.
func kindPrefix(kind store.Kind) []byte { return append([]byte(kind), '/') }

// currentKey is key in the current bucket.
func currentKey(k store.Key) []byte { return append(kindPrefix(k.Kind), k.ID...) }

// versionPrefix is the prefix of key's versions.
func versionPrefix(k store.Key) []byte { return append(currentKey(k), 0) }

// versionKey is key's version at rev.
func versionKey(k store.Key, rev int64) []byte {
	return binary.BigEndian.AppendUint64(versionPrefix(k), uint64(rev))
}

// splitVersionKey returns the prefix (kind "/" id 0x00) and revision of a
// versions key.
func splitVersionKey(k []byte) (prefix []byte, rev int64, ok bool) {
	if len(k) < 10 || k[len(k)-9] != 0 {
		return nil, 0, false
	}
	return k[:len(k)-8], int64(binary.BigEndian.Uint64(k[len(k)-8:])), true
}
