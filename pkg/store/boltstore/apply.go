package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/pdp-dev/pdp/pkg/store"
)

// record is a revision's entry in the revisions bucket.
type record struct {
	Time    time.Time   `json:"time"`
	Author  string      `json:"author,omitempty"`
	Message string      `json:"message,omitempty"`
	Keys    []keyRecord `json:"keys"`
}

type keyRecord struct {
	Kind store.Kind `json:"kind"`
	ID   string     `json:"id"`
}

func (r record) info(rev int64) store.RevisionInfo {
	keys := make([]store.Key, len(r.Keys))
	for i, k := range r.Keys {
		keys[i] = store.Key{Kind: k.Kind, ID: k.ID}
	}
	return store.RevisionInfo{Revision: rev, Time: r.Time, Author: r.Author, Message: r.Message, Keys: keys}
}

// readRecord decodes the record of rev; ok is false if it is not kept.
func readRecord(tx *bbolt.Tx, rev int64) (record, bool, error) {
	data := tx.Bucket(bucketRevisions).Get(u64(rev))
	if data == nil {
		return record{}, false, nil
	}
	r, err := decodeRecord(rev, data)
	return r, err == nil, err
}

func decodeRecord(rev int64, data []byte) (record, error) {
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return record{}, fmt.Errorf("boltstore: revision %d: corrupt record: %w", rev, err)
	}
	return r, nil
}

// Apply implements store.Store: one read-write transaction writes the
// versions, the current values, the revision record and the new revision,
// and its commit fsyncs the file before Apply returns.
func (s *Store) Apply(ctx context.Context, cs store.ChangeSet) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := cs.Validate(); err != nil {
		return 0, fmt.Errorf("boltstore: apply: %w", err)
	}
	rec := record{Time: time.Now().UTC(), Author: cs.Author, Message: cs.Message, Keys: make([]keyRecord, len(cs.Changes))}
	for i, c := range cs.Changes {
		rec.Keys[i] = keyRecord{Kind: c.Key.Kind, ID: c.Key.ID}
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("boltstore: apply: %w", err)
	}
	var rev int64
	err = s.update("apply", func(tx *bbolt.Tx) error {
		m, err := readMeta(tx)
		if err != nil {
			return err
		}
		if cs.ExpectRevision != 0 && cs.ExpectRevision != m.revision {
			return fmt.Errorf("boltstore: apply: expected revision %d, current is %d: %w", cs.ExpectRevision, m.revision, store.ErrConflict)
		}
		rev = m.revision + 1
		if err := writeChanges(tx, cs.Changes, rev); err != nil {
			return fmt.Errorf("boltstore: apply: %w", err)
		}
		if err := tx.Bucket(bucketRevisions).Put(u64(rev), data); err != nil {
			return fmt.Errorf("boltstore: apply: %w", err)
		}
		return tx.Bucket(bucketMeta).Put(metaRevision, u64(rev))
	})
	if err != nil {
		return 0, err
	}
	s.broadcast()
	return rev, nil
}

// writeChanges writes the versions and current values of revision rev.
func writeChanges(tx *bbolt.Tx, changes []store.Change, rev int64) error {
	versions, current := tx.Bucket(bucketVersions), tx.Bucket(bucketCurrent)
	for _, c := range inKeyOrder(changes) {
		if c.Op == store.OpDelete {
			if err := versions.Put(versionKey(c.Key, rev), []byte{tagDelete}); err != nil {
				return err
			}
			if err := current.Delete(currentKey(c.Key)); err != nil {
				return err
			}
			continue
		}
		if err := versions.Put(versionKey(c.Key, rev), append([]byte{tagPut}, c.Value...)); err != nil {
			return err
		}
		cur := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(c.Value)), uint64(rev))
		if err := current.Put(currentKey(c.Key), append(cur, c.Value...)); err != nil {
			return err
		}
	}
	return nil
}

// inKeyOrder returns the changes sorted by key, keeping the order of changes
// to one key so that the last still wins. bbolt splits its pages only at
// commit: keys put in random order into one transaction are inserted into
// ever larger in-memory nodes, each insert moving the tail, which made one
// write of a million entities (a large --seed) take minutes; in key order
// every insert appends. Sorted input is returned as it is.
func inKeyOrder(changes []store.Change) []store.Change {
	if slices.IsSortedFunc(changes, byStoredKey) {
		return changes
	}
	sorted := slices.Clone(changes)
	slices.SortStableFunc(sorted, byStoredKey)
	return sorted
}

// byStoredKey orders changes as their keys are ordered in the current
// bucket (kind "/" id, see currentKey). Kinds hold no '/', so two
// different kinds are ordered by kind "/" alone.
func byStoredKey(a, b store.Change) int {
	if a.Key.Kind == b.Key.Kind {
		return strings.Compare(a.Key.ID, b.Key.ID)
	}
	return strings.Compare(string(a.Key.Kind)+"/", string(b.Key.Kind)+"/")
}
