package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors every implementation returns, wrapped with context.
var (
	// ErrNotFound: the entity does not exist at the revision read.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a change set's expected revision is not the current one.
	ErrConflict = errors.New("revision conflict")
	// ErrCompacted: the revision asked for is older than the oldest kept.
	ErrCompacted = errors.New("revision compacted")
	// ErrFutureRevision: the revision asked for does not exist yet.
	ErrFutureRevision = errors.New("revision not yet written")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
	// ErrInvalidChangeSet: Apply was given a change set that cannot be
	// stored (a bad key, op or value, a key changed twice). Nothing was
	// written.
	ErrInvalidChangeSet = errors.New("invalid change set")
	// ErrEmptyChangeSet: Apply was given a change set without changes.
	// Errors wrapping it also wrap ErrInvalidChangeSet; an empty change
	// set is rejected rather than written as an empty revision, so every
	// revision changes at least one entity.
	ErrEmptyChangeSet = errors.New("empty change set")
	// ErrInvalidKey: a key, or the kind of a listing, cannot be stored.
	ErrInvalidKey = errors.New("invalid key")
)

// Kind is the kind of an entity of the policy model.
type Kind string

// The kinds of entity the store holds.
const (
	KindAccount       Kind = "account"
	KindSCP           Kind = "scp"
	KindManagedPolicy Kind = "managed_policy"
	KindUser          Kind = "user"
	KindGroup         Kind = "group"
	KindRole          Kind = "role"
	KindResource      Kind = "resource"
)

// Kinds lists every kind, in the order a snapshot lists them.
func Kinds() []Kind {
	return []Kind{KindAccount, KindSCP, KindManagedPolicy, KindUser, KindGroup, KindRole, KindResource}
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, x := range Kinds() {
		if k == x {
			return true
		}
	}
	return false
}

// A Key names one entity: its kind and its identifier within the kind (an
// account ID, a policy or SCP name, "ACCOUNT/NAME" for a group, an ARN for
// a user, role or resource).
type Key struct {
	Kind Kind
	ID   string
}

// String writes "kind/id".
func (k Key) String() string { return string(k.Kind) + "/" + k.ID }

// MaxIDLen is the longest ID a key may have, in bytes (an ARN is at most
// 2048 characters).
const MaxIDLen = 2048

// Validate reports a key that cannot be stored: an unknown kind, or an ID
// that is empty, longer than MaxIDLen, not UTF-8, or holds a control
// character (backends use NUL as a separator). The error wraps
// ErrInvalidKey.
func (k Key) Validate() error {
	if !k.Kind.Valid() {
		return fmt.Errorf("%w: unknown entity kind %q", ErrInvalidKey, k.Kind)
	}
	switch {
	case k.ID == "":
		return fmt.Errorf("%w: %s: empty id", ErrInvalidKey, k.Kind)
	case len(k.ID) > MaxIDLen:
		return fmt.Errorf("%w: %s: id is %d bytes long, more than %d", ErrInvalidKey, k.Kind, len(k.ID), MaxIDLen)
	case !utf8.ValidString(k.ID):
		return fmt.Errorf("%w: %s: id %q is not UTF-8", ErrInvalidKey, k.Kind, k.ID)
	case strings.IndexFunc(k.ID, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: %s: id %q holds a control character", ErrInvalidKey, k.Kind, k.ID)
	}
	return nil
}

// Compare orders keys by kind, in the order of Kinds (unknown kinds last,
// by name), then by ID in byte order: the order of a Snapshot.
func (k Key) Compare(o Key) int {
	if k.Kind != o.Kind {
		if c := cmp.Compare(kindIndex(k.Kind), kindIndex(o.Kind)); c != 0 {
			return c
		}
		return strings.Compare(string(k.Kind), string(o.Kind))
	}
	return strings.Compare(k.ID, o.ID)
}

// kindIndex is the position of k in Kinds, or len(Kinds()) if unknown.
func kindIndex(k Kind) int {
	kinds := Kinds()
	for i, x := range kinds {
		if k == x {
			return i
		}
	}
	return len(kinds)
}

// Op is what a Change does.
type Op uint8

// Change operations.
const (
	OpPut Op = iota + 1
	OpDelete
)

// String returns "put" or "delete".
func (o Op) String() string {
	if o == OpDelete {
		return "delete"
	}
	return "put"
}

// A Change puts or deletes one entity. Value is the entity's document
// (JSON); it is empty for a delete.
type Change struct {
	Op    Op
	Key   Key
	Value []byte
}

// A ChangeSet is applied atomically as one revision. It changes at least
// one entity and each entity at most once; deleting an entity that does not
// exist is allowed (and recorded in the revision).
type ChangeSet struct {
	Changes []Change
	// ExpectRevision, when non-zero, makes Apply fail with ErrConflict
	// unless the store's current revision equals it (compare-and-swap).
	ExpectRevision int64
	Author         string // who made the change, for history
	Message        string // why, for history
}

// RevisionInfo describes one revision. Time is when the store applied it,
// in UTC.
type RevisionInfo struct {
	Revision int64
	Time     time.Time
	Author   string
	Message  string
	Keys     []Key // the entities the revision changed
}

// A Value is an entity's document at a revision.
type Value struct {
	Key         Key
	Value       []byte
	ModRevision int64 // the revision that last wrote it
}

// An Event is what Watch yields: the changes of one revision, or a progress
// notification that carries only the current revision.
type Event struct {
	Revision int64
	Info     RevisionInfo // Author, Message, Time and Keys of the revision
	Changes  []Change     // for a delete, Value is empty; memstore and boltstore keep the change set's order
	Progress bool         // a progress notification: no change, Revision is current
}

// A Page asks for part of a listing.
type Page struct {
	Size  int    // at most this many items; 0 (or less) means DefaultPageSize
	After string // continue after this ID (the last ID of the previous page)
}

// Store is a versioned store of policy-model entities.
type Store interface {
	// Apply writes a change set as one new revision and returns it. The
	// change set is written whole or not at all; it is durable when Apply
	// returns. Revisions strictly increase but need not be consecutive.
	// An empty change set fails with ErrEmptyChangeSet, an invalid one
	// with ErrInvalidChangeSet, an ExpectRevision that is not current with
	// ErrConflict.
	Apply(ctx context.Context, cs ChangeSet) (int64, error)
	// Revision returns the current revision (0 for an empty store).
	//
	// Reads at a revision: 0 means the current one; a revision after the
	// current one fails with ErrFutureRevision, one older than the oldest
	// kept (see Compact) with ErrCompacted. A revision between two written
	// ones reads the state of the earlier one.
	Revision(ctx context.Context) (int64, error)
	// Get reads one entity at a revision (0 = current).
	Get(ctx context.Context, key Key, rev int64) (Value, error)
	// List reads the entities of one kind at a revision (0 = current),
	// sorted by ID, one page at a time; it returns the revision read.
	List(ctx context.Context, kind Kind, rev int64, page Page) ([]Value, int64, error)
	// Snapshot reads every entity at a revision (0 = current) and returns
	// the revision read.
	Snapshot(ctx context.Context, rev int64) ([]Value, int64, error)
	// History lists the revisions that changed an entity, newest first,
	// as far back as revisions are kept; it is empty (and no error) when
	// none is kept.
	History(ctx context.Context, key Key) ([]RevisionInfo, error)
	// Revisions lists the revisions after from up to and including to (0 =
	// current), oldest first. A from older than the oldest kept revision
	// fails with ErrCompacted; a to after the current one with
	// ErrFutureRevision; from >= to lists nothing.
	Revisions(ctx context.Context, from, to int64) ([]RevisionInfo, error)
	// Watch yields the change of every revision after from, in order, with
	// progress notifications at least every Options.ProgressInterval while
	// nothing changes. A from older than the oldest kept revision yields
	// ErrCompacted (also when compaction overtakes a slow watcher); the
	// follower then reloads a full Snapshot. A from after the current
	// revision yields ErrFutureRevision. An error ends the sequence; so
	// does the end of ctx, without an error, and Close, with ErrClosed.
	// A follower that stops after revision r resumes with Watch(ctx, r)
	// and misses nothing.
	Watch(ctx context.Context, from int64) iter.Seq2[Event, error]
	// Compact forgets all but the newest keep revisions (counted in
	// revisions written by Apply, not in revision numbers), keeping the
	// state of every entity at the oldest kept revision. keep is raised
	// to Options.KeepRevisions, so Compact(ctx, 0) keeps the configured
	// window. Compacting less than already compacted does nothing.
	Compact(ctx context.Context, keep int64) error
	// Close releases the store; later calls return ErrClosed and running
	// watches end with ErrClosed. Closing a closed store returns nil.
	Close() error
}
