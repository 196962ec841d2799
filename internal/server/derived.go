package server

import (
	"sync"
	"sync/atomic"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// derivedKeys are the keys the server derives from one principal or one
// resource of a snapshot, sorted by name, each name once. They are made
// once per entry and never change, so that a context built from them can
// tell them by their pointer (see ctxLayers).
type derivedKeys struct{ keys []derivedKey }

// derivedKey is a key the server derives, its name in lower case.
type derivedKey struct{ name, value string }

// list returns the keys; none for nil.
func (d *derivedKeys) list() []derivedKey {
	if d == nil {
		return nil
	}
	return d.keys
}

// maxDerived is the number of entries of each kind a derivedCache holds
// before the server starts a new one.
const maxDerived = 1 << 14

// derivedCache holds the derived keys of the snapshot entries requests
// met. Entries never change and a snapshot made from another shares the
// entries that did not change, so keys stay right for as long as their
// entry is used. Replacing a full cache lets go of the entries no snapshot
// holds any more.
type derivedCache struct {
	principals sync.Map // *principalEntry → *derivedKeys
	resources  sync.Map // *resourceEntry → *derivedKeys
	nP, nR     atomic.Int32
}

// principalKeys returns the keys derived from a principal the model knows:
// aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:username
// for users, and aws:PrincipalTag/<key> for its tags.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
func (s *Server) principalKeys(e *principalEntry) *derivedKeys {
	c := s.derived.Load()
	if d, ok := c.principals.Load(e); ok {
		return d.(*derivedKeys)
	}
	keys := make([]derivedKey, 0, 4+len(e.tags))
	keys = append(keys, derivedKey{lowerPrincipalArn, e.arn}, derivedKey{lowerPrincipalAccount, e.account})
	if e.kind == engine.PrincipalUser {
		keys = append(keys, derivedKey{lowerPrincipalType, "User"}, derivedKey{lowerUsername, e.name})
	} else {
		keys = append(keys, derivedKey{lowerPrincipalType, "AssumedRole"})
	}
	for k, v := range e.tags {
		keys = append(keys, derivedKey{s.names.principalTag(k), v})
	}
	d := &derivedKeys{keys: sortKeys(keys)}
	s.remember(c, &c.principals, &c.nP, e, d)
	return d
}

// resourceKeys returns the aws:ResourceTag/<key> keys of a resource the
// model lists; nil when it has no tags.
func (s *Server) resourceKeys(e *resourceEntry) *derivedKeys {
	if len(e.tags) == 0 {
		return nil
	}
	c := s.derived.Load()
	if d, ok := c.resources.Load(e); ok {
		return d.(*derivedKeys)
	}
	keys := make([]derivedKey, 0, len(e.tags))
	for k, v := range e.tags {
		keys = append(keys, derivedKey{s.names.resourceTag(k), v})
	}
	d := &derivedKeys{keys: sortKeys(keys)}
	s.remember(c, &c.resources, &c.nR, e, d)
	return d
}

// remember keeps d as the keys of entry e in m, one of the maps of cache
// c counted by n; when that map is full, a new cache takes c's place.
func (s *Server) remember(c *derivedCache, m *sync.Map, n *atomic.Int32, e any, d *derivedKeys) {
	if n.Add(1) > maxDerived {
		s.derived.CompareAndSwap(c, &derivedCache{})
		return
	}
	m.Store(e, d)
}
