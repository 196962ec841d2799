package server

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// A decision's engine context is built in layers: the caller's keys, the
// clock, and the keys the server derives from the snapshot's entry of the
// principal and of the resource (derivedKeys, cached per entry in a
// derivedCache).

// ctxLayers says what a scratch's engine context holds, layer by layer: the
// caller's keys, the clock, the principal's keys and the resource's tags.
// The items of a batch share the clock and usually the caller's context,
// and often their principal or resource, and calls often come from the
// same principal, so the next item, of the same call or of the next one on
// the scratch, changes only the layers that differ from the last item's
// instead of building the context from nothing.
//
// Changing a layer deletes its old keys and sets its new ones, which is
// right only when no two layers hold the same name. Checking items makes
// it so (a caller may not give a key the server derives for the item), and
// the number of keys proves it: the context must hold as many keys as the
// layers' distinct names add up to, or it is built again from nothing.
// Session tags override a role's tags and may be given by a caller, so an
// item with session tags is built from nothing, as is a context with too
// many keys to count its distinct names.
type ctxLayers struct {
	// valid is true when the context holds these layers, whose names are
	// distinct, and nothing else.
	valid     bool
	caller    *callerKeys
	callerGen uint64
	time      *timeKeys
	principal *derivedKeys // nil: none
	resource  *derivedKeys // nil: none
}

// intact reports whether the caller's keys the layers hold are still in
// their callerKeys, so that they can be deleted; the other layers never
// change.
func (l *ctxLayers) intact() bool { return l.caller.gen == l.callerGen }

// size is the number of keys a context of these layers holds.
func (l *ctxLayers) size() int {
	return 2 + l.caller.distinct + len(l.principal.list()) + len(l.resource.list())
}

// buildContext makes sc.ctx the context of an item: the caller's keys, then
// the keys the server derives (session tags, when the principal is a
// session, after the principal's own), which win.
func (sc *scratch) buildContext(next ctxLayers, sessionTags map[string]string, names *keyNames) {
	prev := sc.layers
	next.valid = len(sessionTags) == 0 && next.caller.distinct >= 0
	sc.layers = next
	if prev.valid && next.valid && prev.intact() && sc.changeLayers(&prev, &next) {
		return
	}
	ctx := sc.ctx
	if ctx.Len() > 0 {
		ctx.Reset()
	}
	next.caller.set(ctx)
	setTime(ctx, next.time)
	setKeys(ctx, next.principal.list())
	for k, v := range sessionTags {
		ctx.SetKey(names.principalTag(k), v)
	}
	setKeys(ctx, next.resource.list())
	if next.valid && ctx.Len() != next.size() {
		sc.layers.valid = false
	}
}

// changeLayers changes the context from prev's layers to next's, only the
// layers that differ: the caller's keys are deleted and set again, the
// principal's and the resource's keys changed name by name. It reports
// false when the result does not have the keys it should, some name being
// in two layers. The old caller keys go first, so that no name the new
// layers set is deleted after.
func (sc *scratch) changeLayers(prev, next *ctxLayers) bool {
	ctx := sc.ctx
	caller := prev.caller != next.caller || prev.callerGen != next.callerGen
	if caller {
		prev.caller.remove(ctx)
	}
	if prev.principal != next.principal {
		changeKeys(ctx, prev.principal.list(), next.principal.list())
	}
	if prev.resource != next.resource {
		changeKeys(ctx, prev.resource.list(), next.resource.list())
	}
	if caller {
		next.caller.set(ctx)
	}
	if prev.time != next.time {
		setTime(ctx, next.time) // the same two names: set over the old values
	}
	return ctx.Len() == next.size()
}

// changeKeys changes a context holding the keys old to hold the keys new
// instead; both are sorted by name, each name once. Names in both keep
// their entry when the value is the same.
func changeKeys(ctx *engine.Context, old, new []derivedKey) {
	i, j := 0, 0
	for i < len(old) || j < len(new) {
		switch {
		case j == len(new) || i < len(old) && old[i].name() < new[j].name():
			ctx.DeleteKey(old[i].key)
			i++
		case i == len(old) || new[j].name() < old[i].name():
			ctx.SetKey(new[j].key, new[j].value)
			j++
		default:
			if old[i].value != new[j].value {
				ctx.SetKey(new[j].key, new[j].value)
			}
			i++
			j++
		}
	}
}

func setTime(ctx *engine.Context, tk *timeKeys) {
	ctx.SetKey(currentTimeKey, tk.current)
	ctx.SetKey(epochTimeKey, tk.epoch)
}

func setKeys(ctx *engine.Context, keys []derivedKey) {
	for _, k := range keys {
		ctx.SetKey(k.key, k.value)
	}
}

// derivedKeys are the keys the server derives from one principal or one
// resource of a snapshot, sorted by name, each name once. They are made
// once per entry and never change, so that a context built from them can
// tell them by their pointer (see ctxLayers).
type derivedKeys struct{ keys []derivedKey }

// derivedKey is a key the server derives, its name in lower case and
// resolved once, so that setting and deleting it hashes nothing.
type derivedKey struct {
	key   engine.Key
	value string
}

// name is the key's name, in lower case.
func (k *derivedKey) name() string { return k.key.Name() }

// list returns the keys; none for nil.
func (d *derivedKeys) list() []derivedKey {
	if d == nil {
		return nil
	}
	return d.keys
}

// Condition keys the server derives from the model and its clock. A caller
// may not supply them where the server derives them.
const (
	keyPrincipalArn     = "aws:PrincipalArn"
	keyPrincipalAccount = "aws:PrincipalAccount"
	keyPrincipalType    = "aws:PrincipalType"
	keyUsername         = "aws:username"
	keyCurrentTime      = "aws:CurrentTime"
	keyEpochTime        = "aws:EpochTime"
	prefixPrincipalTag  = "aws:principaltag/"
	prefixResourceTag   = "aws:resourcetag/"
)

// Lower-case names of the keys the server derives, as the engine stores
// them.
var (
	lowerPrincipalArn     = strings.ToLower(keyPrincipalArn)
	lowerPrincipalAccount = strings.ToLower(keyPrincipalAccount)
	lowerPrincipalType    = strings.ToLower(keyPrincipalType)
	lowerUsername         = strings.ToLower(keyUsername)
	lowerCurrentTime      = strings.ToLower(keyCurrentTime)
	lowerEpochTime        = strings.ToLower(keyEpochTime)
)

// The keys the server derives for every request and for every principal
// the model knows, resolved once.
var (
	currentTimeKey      = engine.NewKey(lowerCurrentTime)
	epochTimeKey        = engine.NewKey(lowerEpochTime)
	principalArnKey     = engine.NewKey(lowerPrincipalArn)
	principalAccountKey = engine.NewKey(lowerPrincipalAccount)
	principalTypeKey    = engine.NewKey(lowerPrincipalType)
	usernameKey         = engine.NewKey(lowerUsername)
)

// sortKeys sorts keys by name and keeps of each name the last, which is the
// one setting them all in turn leaves (tag keys that differ only in case
// have one name in lower case).
func sortKeys(keys []derivedKey) []derivedKey {
	slices.SortStableFunc(keys, func(a, b derivedKey) int { return strings.Compare(a.name(), b.name()) })
	out := keys[:0]
	for i, k := range keys {
		if i+1 < len(keys) && keys[i+1].name() == k.name() {
			continue
		}
		out = append(out, k)
	}
	clear(keys[len(out):])
	return out
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
	principals sync.Map // *snapshot.Principal → *derivedKeys
	resources  sync.Map // *snapshot.Resource → *derivedKeys
	nP, nR     atomic.Int32
}

// principalKeys returns the keys derived from a principal the model knows:
// aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:username
// for users, and aws:PrincipalTag/<key> for its tags.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
func (s *Server) principalKeys(e *snapshot.Principal) *derivedKeys {
	c := s.derived.Load()
	if d, ok := c.principals.Load(e); ok {
		return d.(*derivedKeys)
	}
	keys := make([]derivedKey, 0, 4+len(e.Tags()))
	keys = append(keys, derivedKey{principalArnKey, e.ARN()}, derivedKey{principalAccountKey, e.Account()})
	if e.Kind() == engine.PrincipalUser {
		keys = append(keys, derivedKey{principalTypeKey, "User"}, derivedKey{usernameKey, e.Name()})
	} else {
		keys = append(keys, derivedKey{principalTypeKey, "AssumedRole"})
	}
	for k, v := range e.Tags() {
		keys = append(keys, derivedKey{s.names.principalTag(k), v})
	}
	d := &derivedKeys{keys: sortKeys(keys)}
	s.remember(c, &c.principals, &c.nP, e, d)
	return d
}

// resourceKeys returns the aws:ResourceTag/<key> keys of a resource the
// model lists; nil when it has no tags.
func (s *Server) resourceKeys(e *snapshot.Resource) *derivedKeys {
	if len(e.Tags()) == 0 {
		return nil
	}
	c := s.derived.Load()
	if d, ok := c.resources.Load(e); ok {
		return d.(*derivedKeys)
	}
	keys := make([]derivedKey, 0, len(e.Tags()))
	for k, v := range e.Tags() {
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
