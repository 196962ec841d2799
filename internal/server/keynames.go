package server

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// maxKeyNames bounds each table of keyNames. Real requests use a few dozen
// condition keys and tag keys; past the bound a name is worked out on every
// use instead of remembered, so that callers who invent names cannot make
// the tables grow.
const maxKeyNames = 4096

// keyNames remembers what deciding needs to know of each condition key
// name it meets, so that a request does not lower-case, classify and look
// up in the catalog the same names as every request before it. The engine
// stores context keys in lower case and takes a lower-case name without
// copying it. keyNames is safe for concurrent use.
type keyNames struct {
	cat *catalog.Catalog

	given         nameTable[*keyName] // caller keys, by the name as given
	principalTags nameTable[string]   // tag key → aws:principaltag/<key>, lower case
	resourceTags  nameTable[string]   // tag key → aws:resourcetag/<key>, lower case
}

// keyName is what the server knows of one condition key name.
type keyName struct {
	lower   string                // the name in lower case
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

// deriveOf classifies a caller's key name.
func deriveOf(key string) derivation {
	switch {
	case strings.EqualFold(key, keyCurrentTime), strings.EqualFold(key, keyEpochTime):
		return derivedAlways
	case hasPrefixFold(key, prefixPrincipalTag) || strings.EqualFold(key, keyPrincipalArn) ||
		strings.EqualFold(key, keyPrincipalAccount) || strings.EqualFold(key, keyPrincipalType) ||
		strings.EqualFold(key, keyUsername):
		return derivedIfPrincipal
	case hasPrefixFold(key, prefixResourceTag):
		return derivedIfResource
	}
	return notDerived
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func newKeyNames(cat *catalog.Catalog) *keyNames {
	return &keyNames{cat: cat}
}

// key returns what the server knows of a caller's key name.
func (n *keyNames) key(name string) *keyName {
	if kn, ok := n.given.load(name); ok {
		return kn
	}
	kn := &keyName{lower: strings.ToLower(name), derived: deriveOf(name)}
	if n.cat != nil {
		if ck, ok := n.cat.ConditionKey(name); ok {
			kn.ck = ck
		}
	}
	n.given.store(name, kn)
	return kn
}

// principalTag returns the lower-case name of the aws:PrincipalTag key of
// a tag.
func (n *keyNames) principalTag(tag string) string {
	return n.tagKey(&n.principalTags, prefixPrincipalTag, tag)
}

// resourceTag returns the lower-case name of the aws:ResourceTag key of a
// tag.
func (n *keyNames) resourceTag(tag string) string {
	return n.tagKey(&n.resourceTags, prefixResourceTag, tag)
}

func (n *keyNames) tagKey(t *nameTable[string], prefix, tag string) string {
	if k, ok := t.load(tag); ok {
		return k
	}
	k := prefix + strings.ToLower(tag)
	t.store(tag, k)
	return k
}

// A nameTable maps names to what was worked out of them, up to
// maxKeyNames names. Names are added once and never change, which is what
// sync.Map is made for: loads take no lock.
type nameTable[V any] struct {
	m sync.Map
	n atomic.Int32
}

func (t *nameTable[V]) load(name string) (V, bool) {
	v, ok := t.m.Load(name)
	if !ok {
		var zero V
		return zero, false
	}
	return v.(V), true
}

func (t *nameTable[V]) store(name string, v V) {
	if t.n.Load() >= maxKeyNames {
		return
	}
	if _, loaded := t.m.LoadOrStore(name, v); !loaded {
		t.n.Add(1)
	}
}
