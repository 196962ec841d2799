package server

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// maxKeyNames and maxKeyNameBytes bound each table of keyNames, in names
// and in bytes. Real requests use a few dozen condition keys and tag keys
// of a few dozen bytes; past either bound a name is worked out on every use
// instead of remembered, so that callers who invent names cannot make the
// tables grow. Names longer than maxKeyNameLen are never remembered.
const (
	maxKeyNames     = 4096
	maxKeyNameBytes = 256 << 10
	maxKeyNameLen   = 256
	// nameOverhead is what a table entry costs besides its strings.
	nameOverhead = 96
)

// keyNames remembers what deciding needs to know of each condition key
// name it meets, so that a request does not lower-case, classify and look
// up in the catalog the same names as every request before it. The engine
// stores context keys in lower case and takes a lower-case name without
// copying it. keyNames is safe for concurrent use.
type keyNames struct {
	cat *catalog.Catalog

	given         nameTable[*keyName]   // caller keys, by the name as given
	principalTags nameTable[engine.Key] // tag key → aws:principaltag/<key>, lower case
	resourceTags  nameTable[engine.Key] // tag key → aws:resourcetag/<key>, lower case
}

// keyName is what the server knows of one condition key name.
type keyName struct {
	lower   string                // the name in lower case
	key     engine.Key            // lower resolved, to set and delete without hashing it again
	derived derivation            // when the server derives the key
	ck      *catalog.ConditionKey // nil for a key the catalog does not know
}

// A derivation says when the server derives a key itself, so that a
// caller may not supply it.
type derivation uint8

const (
	notDerived         derivation = iota
	derivedAlways                 // the clock: aws:CurrentTime, aws:EpochTime
	derivedIfPrincipal            // from a principal the model knows
	derivedIfResource             // from a resource the model lists
)

// applies reports whether the server derives a key of this derivation for
// a request with the given principal and resource.
func (d derivation) applies(knownPrincipal, knownResource bool) bool {
	switch d {
	case derivedAlways:
		return true
	case derivedIfPrincipal:
		return knownPrincipal
	case derivedIfResource:
		return knownResource
	}
	return false
}

// deriveOf classifies a caller's key name by its lower-case form, the name
// the engine stores and policies read: a name that only lowers to a
// derived key's (aws:Pr\u0130ncipalTag/team, whose dotted capital I lowers
// to i) is that key, and one that folds to it without lowering to it
// (\u017F, the long s, folds to s) is another key, which no policy reads.
func deriveOf(lower string) derivation {
	switch {
	case lower == lowerCurrentTime, lower == lowerEpochTime:
		return derivedAlways
	case strings.HasPrefix(lower, prefixPrincipalTag), lower == lowerPrincipalArn, lower == lowerPrincipalAccount,
		lower == lowerPrincipalType, lower == lowerUsername:
		return derivedIfPrincipal
	case strings.HasPrefix(lower, prefixResourceTag):
		return derivedIfResource
	}
	return notDerived
}

func newKeyNames(cat *catalog.Catalog) *keyNames {
	return &keyNames{cat: cat}
}

// key returns what the server knows of a caller's key name; known is
// false when it was worked out for this call and not remembered. A name is
// remembered only by learn, once a call with it was accepted, so that
// refused calls leave nothing behind.
func (n *keyNames) key(name string) (kn *keyName, known bool) {
	if kn, ok := n.given.load(name); ok {
		return kn, true
	}
	lower := strings.ToLower(name)
	kn = &keyName{lower: lower, key: engine.NewKey(lower), derived: deriveOf(lower)}
	if n.cat != nil {
		if ck, ok := n.cat.ConditionKey(lower); ok {
			kn.ck = ck
		}
	}
	return kn, false
}

// learn remembers the names of an accepted call's context that were not
// known yet.
func (n *keyNames) learn(ck *callerKeys) {
	if !ck.fresh {
		return
	}
	for i := range ck.keys {
		if k := &ck.keys[i]; !k.known && len(k.name) <= maxKeyNameLen {
			if _, ok := n.given.load(k.name); ok {
				continue // learnt from another item of a batch, or another call
			}
			n.given.store(k.name, &keyName{lower: k.lower, key: k.key, derived: k.derived, ck: k.ck}, entrySize(k.name, k.lower))
		}
	}
}

// entrySize is what remembering a name and its lower-case form costs.
func entrySize(name, lower string) int64 {
	size := int64(len(name)) + nameOverhead
	if lower != name {
		size += int64(len(lower))
	}
	return size
}

// principalTag returns the aws:PrincipalTag key of a tag, its name in lower
// case.
func (n *keyNames) principalTag(tag string) engine.Key {
	return n.tagKey(&n.principalTags, prefixPrincipalTag, tag)
}

// resourceTag returns the aws:ResourceTag key of a tag, its name in lower
// case.
func (n *keyNames) resourceTag(tag string) engine.Key {
	return n.tagKey(&n.resourceTags, prefixResourceTag, tag)
}

func (n *keyNames) tagKey(t *nameTable[engine.Key], prefix, tag string) engine.Key {
	if k, ok := t.load(tag); ok {
		return k
	}
	lower := prefix + strings.ToLower(tag)
	k := engine.NewKey(lower)
	t.store(tag, k, entrySize(tag, lower))
	return k
}

// A nameTable maps names to what was worked out of them, up to
// maxKeyNames names of maxKeyNameBytes in all. Names are added once and
// never change, which is what sync.Map is made for: loads take no lock.
type nameTable[V any] struct {
	m     sync.Map
	n     atomic.Int32
	bytes atomic.Int64
}

func (t *nameTable[V]) load(name string) (V, bool) {
	v, ok := t.m.Load(name)
	if !ok {
		var zero V
		return zero, false
	}
	return v.(V), true
}

// store remembers a name whose entry costs size bytes, while the table
// has room. Concurrent stores may overshoot the bounds by one entry each.
func (t *nameTable[V]) store(name string, v V, size int64) {
	if len(name) > maxKeyNameLen || t.n.Load() >= maxKeyNames || t.bytes.Load()+size > maxKeyNameBytes {
		return
	}
	if _, loaded := t.m.LoadOrStore(name, v); !loaded {
		t.n.Add(1)
		t.bytes.Add(size)
	}
}
