package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// diffGetLimit is the most changed keys Diff reads one by one; past it, it
// compares two snapshots instead.
const diffGetLimit = 256

// Diff returns the changes that turn the state at revision from into the
// state at revision to: a put with the new value for each entity created or
// changed, a delete for each removed, sorted by key (Key.Compare). Unlike
// the read methods, revision 0 here is the empty store before the first
// revision, not the current one. Diff(from, to) and Diff(to, from) undo each
// other; from == to gives none. It fails with ErrCompacted or
// ErrFutureRevision when either state cannot be read.
func Diff(ctx context.Context, s Store, from, to int64) ([]Change, error) {
	if from == 0 || to == 0 {
		return diffSnapshots(ctx, s, from, to)
	}
	infos, err := s.Revisions(ctx, min(from, to), max(from, to))
	if err != nil {
		return nil, fmt.Errorf("diff %d..%d: %w", from, to, err)
	}
	keys := map[Key]bool{}
	for _, info := range infos {
		for _, k := range info.Keys {
			keys[k] = true
		}
	}
	if len(keys) > diffGetLimit {
		return diffSnapshots(ctx, s, from, to)
	}
	var out []Change
	for _, k := range slices.SortedFunc(maps.Keys(keys), Key.Compare) {
		old, oldOK, err := getAt(ctx, s, k, from)
		if err != nil {
			return nil, err
		}
		cur, curOK, err := getAt(ctx, s, k, to)
		if err != nil {
			return nil, err
		}
		if c, ok := change(k, old, oldOK, cur, curOK); ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// getAt reads key at rev; ok is false when it does not exist there.
func getAt(ctx context.Context, s Store, key Key, rev int64) (value []byte, ok bool, err error) {
	v, err := s.Get(ctx, key, rev)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("diff: read %s at %d: %w", key, rev, err)
	}
	return v.Value, true, nil
}

// change is the change that turns old into cur, if they differ.
func change(k Key, old []byte, oldOK bool, cur []byte, curOK bool) (Change, bool) {
	switch {
	case curOK && (!oldOK || !bytes.Equal(old, cur)):
		return Change{Op: OpPut, Key: k, Value: cur}, true
	case oldOK && !curOK:
		return Change{Op: OpDelete, Key: k}, true
	}
	return Change{}, false
}

// diffSnapshots compares the full states at from and to.
func diffSnapshots(ctx context.Context, s Store, from, to int64) ([]Change, error) {
	old, err := snapshotAt(ctx, s, from)
	if err != nil {
		return nil, err
	}
	cur, err := snapshotAt(ctx, s, to)
	if err != nil {
		return nil, err
	}
	var out []Change
	i, j := 0, 0
	for i < len(old) || j < len(cur) {
		var c int
		switch {
		case i == len(old):
			c = 1
		case j == len(cur):
			c = -1
		default:
			c = old[i].Key.Compare(cur[j].Key)
		}
		switch {
		case c < 0:
			out = append(out, Change{Op: OpDelete, Key: old[i].Key})
			i++
		case c > 0:
			out = append(out, Change{Op: OpPut, Key: cur[j].Key, Value: cur[j].Value})
			j++
		default:
			if ch, ok := change(cur[j].Key, old[i].Value, true, cur[j].Value, true); ok {
				out = append(out, ch)
			}
			i++
			j++
		}
	}
	return out, nil
}

// snapshotAt reads the state at rev, 0 being the empty store, sorted by key.
func snapshotAt(ctx context.Context, s Store, rev int64) ([]Value, error) {
	if rev == 0 {
		return nil, nil
	}
	vs, _, err := s.Snapshot(ctx, rev)
	if err != nil {
		return nil, fmt.Errorf("diff: snapshot at %d: %w", rev, err)
	}
	slices.SortFunc(vs, func(a, b Value) int { return a.Key.Compare(b.Key) })
	return vs, nil
}

// RollbackChangeSet returns the change set that makes the current state
// equal the state at revision to (0: the empty store), to be passed to
// Apply. Its ExpectRevision is the current revision, so a write between
// this call and Apply makes the rollback fail with ErrConflict rather than
// undo that write blindly. Changes is empty when the current state already
// equals the one at to (Apply would reject it with ErrEmptyChangeSet). An
// empty msg becomes "roll back to revision <to>".
func RollbackChangeSet(ctx context.Context, s Store, to int64, author, msg string) (ChangeSet, error) {
	cur, err := s.Revision(ctx)
	if err != nil {
		return ChangeSet{}, fmt.Errorf("rollback: %w", err)
	}
	if to > cur {
		return ChangeSet{}, fmt.Errorf("rollback to %d at revision %d: %w", to, cur, ErrFutureRevision)
	}
	changes, err := Diff(ctx, s, cur, to)
	if err != nil {
		return ChangeSet{}, fmt.Errorf("rollback: %w", err)
	}
	if msg == "" {
		msg = fmt.Sprintf("roll back to revision %d", to)
	}
	return ChangeSet{Changes: changes, ExpectRevision: cur, Author: author, Message: msg}, nil
}
