package boltstore

import (
	"bytes"
	"context"
	"fmt"

	"go.etcd.io/bbolt"
)

// Compact implements store.Store in one read-write transaction: it deletes
// the revision records before the new oldest revision (point) and, for
// each entity, every version before point except the newest one when it is
// a put that no version at point replaces.
func (s *Store) Compact(ctx context.Context, keep int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	keep = max(keep, s.opts.KeepRevisions)
	return s.update("compact", func(tx *bbolt.Tx) error {
		m, err := readMeta(tx)
		if err != nil {
			return err
		}
		point := m.revision - keep + 1
		if point <= m.compacted || point <= 1 {
			return nil
		}
		var stale [][]byte
		c := tx.Bucket(bucketRevisions).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if rev, ok := parseU64(k); !ok || int64(rev) >= point {
				break
			}
			stale = append(stale, bytes.Clone(k))
		}
		if err := deleteAll(tx.Bucket(bucketRevisions), stale); err != nil {
			return err
		}
		stale, err = staleVersions(tx.Bucket(bucketVersions), point)
		if err != nil {
			return err
		}
		if err := deleteAll(tx.Bucket(bucketVersions), stale); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(metaCompacted, u64(point))
	})
}

// staleVersions lists the versions no revision from point on can read.
func staleVersions(b *bbolt.Bucket, point int64) ([][]byte, error) {
	var (
		stale   [][]byte
		prefix  []byte   // the entity being scanned
		older   [][]byte // its versions before point, oldest first
		lastPut bool     // the newest of them is a put
		settled bool     // a version at or after point was seen
	)
	flush := func(atPoint bool) {
		if len(older) == 0 {
			return
		}
		if lastPut && !atPoint {
			older = older[:len(older)-1] // still the value at point
		}
		stale = append(stale, older...)
		older = nil
	}
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		p, rev, ok := splitVersionKey(k)
		if !ok || len(v) == 0 {
			return nil, fmt.Errorf("boltstore: compact: corrupt version %q", k)
		}
		if !bytes.Equal(p, prefix) {
			if !settled {
				flush(false)
			}
			prefix, settled = bytes.Clone(p), false
		}
		switch {
		case settled:
		case rev < point:
			older = append(older, bytes.Clone(k))
			lastPut = v[0] == tagPut
		default:
			flush(rev == point)
			settled = true
		}
	}
	if !settled {
		flush(false)
	}
	return stale, nil
}

func deleteAll(b *bbolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return fmt.Errorf("boltstore: compact: %w", err)
		}
	}
	return nil
}
