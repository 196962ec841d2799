package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/pdp-dev/pdp/pkg/store"
)

// Revision implements store.Store.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	var rev int64
	err := s.view("revision", func(tx *bbolt.Tx) error {
		m, err := readMeta(tx)
		rev = m.revision
		return err
	})
	return rev, err
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key store.Key, rev int64) (store.Value, error) {
	if err := key.Validate(); err != nil {
		return store.Value{}, fmt.Errorf("boltstore: get: %w", err)
	}
	var out store.Value
	err := s.view("get", func(tx *bbolt.Tx) error {
		m, err := readMeta(tx)
		if err != nil {
			return err
		}
		if rev, err = m.at("get", rev); err != nil {
			return err
		}
		v, ok, err := getAt(tx, m, key, rev)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("boltstore: get %s at %d: %w", key, rev, store.ErrNotFound)
		}
		out = v
		return nil
	})
	return out, err
}

// getAt reads key at a resolved revision: from the current bucket at the
// current revision, from the versions bucket before it.
func getAt(tx *bbolt.Tx, m meta, key store.Key, rev int64) (store.Value, bool, error) {
	if rev == m.revision {
		v := tx.Bucket(bucketCurrent).Get(currentKey(key))
		if v == nil {
			return store.Value{}, false, nil
		}
		return decodeCurrent(key, v, nil)
	}
	c := tx.Bucket(bucketVersions).Cursor()
	mod, v := versionAt(c, versionPrefix(key), rev)
	if v == nil || v[0] != tagPut {
		return store.Value{}, false, nil
	}
	return store.Value{Key: key, Value: bytes.Clone(v[1:]), ModRevision: mod}, true, nil
}

// decodeCurrent decodes a value of the current bucket, copying it into a
// (or its own allocation when a is nil).
func decodeCurrent(key store.Key, v []byte, a *arena) (store.Value, bool, error) {
	if len(v) < 8 {
		return store.Value{}, false, fmt.Errorf("boltstore: corrupt current value of %s", key)
	}
	return store.Value{Key: key, Value: a.clone(v[8:]), ModRevision: int64(binary.BigEndian.Uint64(v))}, true, nil
}

// versionAt returns the newest version at or before rev of the entity whose
// versions start with prefix, and its revision; v is nil if there is none.
func versionAt(c *bbolt.Cursor, prefix []byte, rev int64) (mod int64, v []byte) {
	var buf [128]byte
	k, _ := c.Seek(binary.BigEndian.AppendUint64(append(buf[:0], prefix...), uint64(rev)+1))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 || len(v) == 0 {
		return 0, nil
	}
	return int64(binary.BigEndian.Uint64(k[len(prefix):])), v
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, kind store.Kind, rev int64, page store.Page) ([]store.Value, int64, error) {
	if !kind.Valid() {
		return nil, 0, fmt.Errorf("boltstore: list: %w: unknown entity kind %q", store.ErrInvalidKey, kind)
	}
	out := []store.Value{}
	err := s.view("list", func(tx *bbolt.Tx) error {
		m, err := readMeta(tx)
		if err != nil {
			return err
		}
		if rev, err = m.at("list", rev); err != nil {
			return err
		}
		out, err = scan(tx, m, kind, rev, page.After, page.Limit(), out, &arena{})
		return err
	})
	return out, rev, err
}

// Snapshot implements store.Store.
func (s *Store) Snapshot(ctx context.Context, rev int64) ([]store.Value, int64, error) {
	var out []store.Value
	err := s.view("snapshot", func(tx *bbolt.Tx) error {
		m, err := readMeta(tx)
		if err != nil {
			return err
		}
		if rev, err = m.at("snapshot", rev); err != nil {
			return err
		}
		a := &arena{}
		for _, kind := range store.Kinds() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if out, err = scan(tx, m, kind, rev, "", -1, out, a); err != nil {
				return err
			}
		}
		return nil
	})
	return out, rev, err
}

// scan appends to out up to limit (-1: all) entities of kind at rev with an
// ID after after, in ID order.
func scan(tx *bbolt.Tx, m meta, kind store.Kind, rev int64, after string, limit int, out []store.Value, a *arena) ([]store.Value, error) {
	prefix := kindPrefix(kind)
	if rev == m.revision {
		return scanCurrent(tx, kind, prefix, after, limit, out, a)
	}
	c := tx.Bucket(bucketVersions).Cursor()
	start := append(make([]byte, 0, 128), prefix...)
	if after != "" {
		start = append(append(start, after...), 1) // past every version of after
	}
	for n := 0; limit < 0 || n < limit; {
		// Keys of a read transaction stay valid until it ends.
		k, _ := c.Seek(start)
		if k == nil || !bytes.HasPrefix(k, prefix) {
			break
		}
		vprefix, _, ok := splitVersionKey(k)
		if !ok {
			return nil, fmt.Errorf("boltstore: corrupt versions key %q", k)
		}
		if mod, v := versionAt(c, vprefix, rev); v != nil && v[0] == tagPut {
			id := string(vprefix[len(prefix) : len(vprefix)-1])
			out = append(out, store.Value{Key: store.Key{Kind: kind, ID: id}, Value: a.clone(v[1:]), ModRevision: mod})
			n++
		}
		start = append(append(start[:0], vprefix[:len(vprefix)-1]...), 1) // the next ID
	}
	return out, nil
}

// scanCurrent is scan at the current revision, from the current bucket.
func scanCurrent(tx *bbolt.Tx, kind store.Kind, prefix []byte, after string, limit int, out []store.Value, a *arena) ([]store.Value, error) {
	c := tx.Bucket(bucketCurrent).Cursor()
	start := append(slices.Clip(prefix), after...)
	k, v := c.Seek(start)
	if after != "" && bytes.Equal(k, start) {
		k, v = c.Next()
	}
	for n := 0; k != nil && bytes.HasPrefix(k, prefix) && (limit < 0 || n < limit); n++ {
		key := store.Key{Kind: kind, ID: string(k[len(prefix):])}
		val, _, err := decodeCurrent(key, v, a)
		if err != nil {
			return nil, err
		}
		out = append(out, val)
		k, v = c.Next()
	}
	return out, nil
}

// History implements store.Store.
func (s *Store) History(ctx context.Context, key store.Key) ([]store.RevisionInfo, error) {
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("boltstore: history: %w", err)
	}
	var out []store.RevisionInfo
	err := s.view("history", func(tx *bbolt.Tx) error {
		m, err := readMeta(tx)
		if err != nil {
			return err
		}
		prefix := versionPrefix(key)
		c := tx.Bucket(bucketVersions).Cursor()
		var revs []int64
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if _, rev, ok := splitVersionKey(k); ok && rev >= m.compacted {
				revs = append(revs, rev)
			}
		}
		for _, rev := range slices.Backward(revs) {
			r, ok, err := readRecord(tx, rev)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, r.info(rev))
			}
		}
		return nil
	})
	return out, err
}

// Revisions implements store.Store.
func (s *Store) Revisions(ctx context.Context, from, to int64) ([]store.RevisionInfo, error) {
	var out []store.RevisionInfo
	err := s.view("revisions", func(tx *bbolt.Tx) error {
		m, err := readMeta(tx)
		if err != nil {
			return err
		}
		if to, err = m.at("revisions", to); err != nil {
			return err
		}
		if from < m.compacted {
			return fmt.Errorf("boltstore: revisions after %d, compacted up to %d: %w", from, m.compacted, store.ErrCompacted)
		}
		out, err = readRevisions(tx, from, to, -1, func(_ int64, r record, info store.RevisionInfo) (store.RevisionInfo, error) {
			return info, nil
		})
		return err
	})
	return out, err
}

// readRevisions maps the records of the revisions after from up to to, at
// most limit of them (-1: all), oldest first.
func readRevisions[T any](tx *bbolt.Tx, from, to int64, limit int, fn func(rev int64, r record, info store.RevisionInfo) (T, error)) ([]T, error) {
	var out []T
	c := tx.Bucket(bucketRevisions).Cursor()
	for k, v := c.Seek(u64(from + 1)); k != nil && (limit < 0 || len(out) < limit); k, v = c.Next() {
		u, ok := parseU64(k)
		if !ok {
			return nil, fmt.Errorf("boltstore: corrupt revisions key %x", k)
		}
		rev := int64(u)
		if rev > to {
			break
		}
		r, err := decodeRecord(rev, v)
		if err != nil {
			return nil, err
		}
		x, err := fn(rev, r, r.info(rev))
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// An arena copies the values of one read out of the transaction into
// shared chunks: one allocation per 64 KiB instead of one per value. Each
// copy is capped, so appending to one never writes over the next. A nil
// arena allocates each copy on its own.
type arena struct{ buf []byte }

func (a *arena) clone(b []byte) []byte {
	if a == nil {
		return bytes.Clone(b)
	}
	if len(b) > cap(a.buf)-len(a.buf) {
		a.buf = make([]byte, 0, max(64<<10, len(b)))
	}
	n := len(a.buf)
	a.buf = append(a.buf, b...)
	return a.buf[n:len(a.buf):len(a.buf)]
}
