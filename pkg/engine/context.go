package engine

import (
	"hash/maphash"
	"iter"
	"slices"
	"strings"
)

// A Context is the request context: condition keys and their values. Key
// names match without regard to case, the tag-key part after '/' included,
// so keys are stored in lower case.
//
// Set stores a value as given. The forms the condition operators compare (an
// IP address, a number, a date) are parsed by the decision that needs them,
// once per decision (see typedMemo): a context holds no parsed state, so
// concurrent decisions can read it without synchronisation, and a value no
// condition compares as an IP address, a number or a date is never parsed.
//
// A Context is built before a decision and only read during one; it is safe
// for concurrent reads once built. It may be changed between decisions
// (Set, Delete, Reset) and reused; its room stays bounded by the most keys
// it has held at once.
type Context struct {
	// slots is an open-addressing table (linear probing) over entries, a
	// quarter empty at least. Lookups during a decision use the hashes
	// compiled into conditions and variables, so they hash nothing.
	slots   []contextSlot
	entries []contextEntry
	free    []int32 // indexes of unused entries, reused first
	live    int     // keys held
	// names and tags remember the lower-case forms and hashes of the key
	// names set so far, kept across Reset: a context reused for request
	// after request lowers and hashes each name once.
	names      map[string]Key
	tags       [numTagKinds]map[string]Key
	recent     []recentTag // the last tag keys resolved, at most recentTags
	nextRecent int         // the one to replace next
	reused     bool        // Reset has been called
}

// contextSlot points at entries[idx-1]; idx 0 marks an empty slot. tag is
// the high half of the key's hash: it picks the slot's home, and tells
// most other keys apart without reading their entry.
type contextSlot struct {
	tag uint32
	idx int32
}

type contextEntry struct {
	key    string // lower case; "" for an unused entry
	name   string // as given, for explanations
	values []string
	// value holds the one value of a single-valued key, which values then
	// points at, so that Set allocates nothing.
	value [1]string
	multi bool // given as a list: the key is multivalued (ArrayOf... types)
}

// nullData reports whether the entry's value is a null data set: no value,
// or one empty string. The set operators and Null treat it as IAM treats a
// missing value (cond.eval).
func (e *contextEntry) nullData() bool {
	return len(e.values) == 0 || len(e.values) == 1 && e.values[0] == ""
}

// keySeed seeds the hash of condition keys. It is chosen once per process,
// so that a caller cannot pick keys that all land in one slot.
var keySeed = maphash.MakeSeed()

// A keyHash is the hash of a lower-case condition key, computed when a
// policy is compiled or a key is set.
func keyHash(lowerKey string) uint64 { return maphash.String(keySeed, lowerKey) }

// lowerKey returns strings.ToLower(key). The global keys that servers set
// on every request, in their documented spelling, are lowered without
// allocating.
func lowerKey(key string) string {
	if lk, ok := knownLower(key); ok {
		return lk
	}
	return strings.ToLower(key)
}

// knownLower returns the lower-case form of the global keys servers set on
// every request, spelled as documented.
func knownLower(key string) (string, bool) {
	switch key {
	case "aws:CurrentTime":
		return "aws:currenttime", true
	case "aws:EpochTime":
		return "aws:epochtime", true
	case "aws:PrincipalArn":
		return "aws:principalarn", true
	case "aws:PrincipalAccount":
		return "aws:principalaccount", true
	case "aws:PrincipalType":
		return "aws:principaltype", true
	case "aws:PrincipalOrgID":
		return "aws:principalorgid", true
	case "aws:SourceIp":
		return "aws:sourceip", true
	case "aws:SecureTransport":
		return "aws:securetransport", true
	case "aws:RequestedRegion":
		return "aws:requestedregion", true
	case "aws:MultiFactorAuthPresent":
		return "aws:multifactorauthpresent", true
	case "aws:MultiFactorAuthAge":
		return "aws:multifactorauthage", true
	case "aws:ViaAWSService":
		return "aws:viaawsservice", true
	case "aws:CalledVia":
		return "aws:calledvia", true
	case "aws:TagKeys":
		return "aws:tagkeys", true
	}
	return "", false
}

// NewContext returns an empty context with room for n keys, and some
// more: callers that derive keys count them roughly.
func NewContext(n int) *Context {
	n += n/4 + 2
	return &Context{
		slots:   make([]contextSlot, slotsFor(n)),
		entries: make([]contextEntry, 0, n),
	}
}

// slotsFor is the table size for n keys: a power of two at least 4n/3, so
// that the table is at most three quarters full.
func slotsFor(n int) int {
	size := 8
	for 3*size < 4*n {
		size *= 2
	}
	return size
}

// Set gives a single-valued key its value, replacing any earlier value.
func (c *Context) Set(key, value string) {
	c.setEntry(c.put(key), value)
}

func (c *Context) setEntry(e *contextEntry, value string) {
	e.value[0] = value
	e.values, e.multi = e.value[:], false
}

// SetMulti gives a multivalued key its values (possibly none), replacing any
// earlier value. An empty list is present, for IfExists, but holds a null
// data set: Null and the set operators treat it as IAM treats a missing
// value (ForAllValues true, ForAnyValue false, Null true).
func (c *Context) SetMulti(key string, values []string) {
	c.setMultiEntry(c.put(key), values)
}

func (c *Context) setMultiEntry(e *contextEntry, values []string) {
	e.value[0] = ""
	e.values, e.multi = values, true
}

// put returns the entry of key, adding one if the key is new; the caller
// fills in its values.
func (c *Context) put(key string) *contextEntry {
	lk, hash := c.resolveName(key)
	return c.putHashed(key, lk, hash)
}

// putHashed is put for a key whose lower-case form and hash are known.
func (c *Context) putHashed(key, lk string, hash uint64) *contextEntry {
	if e := c.lookup(lk, hash); e != nil {
		e.name = key
		return e
	}
	if 4*(c.live+1) > 3*len(c.slots) {
		c.rehash(slotsFor(2 * (c.live + 1)))
	}
	var idx int32
	if n := len(c.free); n > 0 {
		idx, c.free = c.free[n-1], c.free[:n-1]
	} else {
		c.entries = append(c.entries, contextEntry{})
		idx = int32(len(c.entries))
	}
	e := &c.entries[idx-1]
	e.key, e.name = lk, key
	c.insert(contextSlot{tag: uint32(hash >> 32), idx: idx})
	c.live++
	return e
}

// home is where a slot's probe sequence starts.
func (c *Context) home(tag uint32) int { return int(tag) & (len(c.slots) - 1) }

// insert puts a slot in the first free place of its probe sequence.
func (c *Context) insert(sl contextSlot) {
	mask := len(c.slots) - 1
	for i := c.home(sl.tag); ; i = (i + 1) & mask {
		if c.slots[i].idx == 0 {
			c.slots[i] = sl
			return
		}
	}
}

func (c *Context) rehash(size int) {
	old := c.slots
	c.slots = make([]contextSlot, size)
	for _, sl := range old {
		if sl.idx != 0 {
			c.insert(sl)
		}
	}
}

// Reset removes every key and keeps the room the context has grown, so
// that one context can serve one request after another.
func (c *Context) Reset() {
	c.reused = true
	clear(c.slots)
	clear(c.entries) // drop the strings for the collector
	c.entries, c.free, c.live = c.entries[:0], c.free[:0], 0
}

// Delete removes a key. Its slot is taken out by shifting back the slots
// after it that may move, so that the table never holds dead slots, and
// its entry is kept for the next new key.
func (c *Context) Delete(key string) {
	if c == nil || len(c.slots) == 0 {
		return
	}
	lk := lowerKey(key)
	c.deleteHashed(lk, keyHash(lk))
}

// deleteHashed is Delete for a key whose lower-case form and hash are
// known.
func (c *Context) deleteHashed(lk string, hash uint64) {
	mask := len(c.slots) - 1
	i := c.home(uint32(hash >> 32))
	for ; ; i = (i + 1) & mask {
		sl := c.slots[i]
		if sl.idx == 0 {
			return
		}
		if sl.tag == uint32(hash>>32) && c.entries[sl.idx-1].key == lk {
			break
		}
	}
	idx := c.slots[i].idx
	// Backward shift: a later slot moves into the hole when its home is
	// not in the cyclic range (hole, its position].
	for j := (i + 1) & mask; c.slots[j].idx != 0; j = (j + 1) & mask {
		if h := c.home(c.slots[j].tag); (j-h)&mask >= (j-i)&mask {
			c.slots[i], i = c.slots[j], j
		}
	}
	c.slots[i] = contextSlot{}
	c.entries[idx-1] = contextEntry{}
	c.free = append(c.free, idx)
	c.live--
}

// Get returns the values of a key, whether it was given as a list, and
// whether it is present at all. The list is the context's own: setting the
// key again or resetting the context may change it.
func (c *Context) Get(key string) (values []string, multi, ok bool) {
	lk := lowerKey(key)
	e := c.lookup(lk, keyHash(lk))
	if e == nil {
		return nil, false, false
	}
	return e.values, e.multi, true
}

// Len returns the number of keys.
func (c *Context) Len() int {
	if c == nil {
		return 0
	}
	return c.live
}

// Keys yields the key names as they were given, in sorted order.
func (c *Context) Keys() iter.Seq[string] {
	return func(yield func(string) bool) {
		if c == nil {
			return
		}
		live := make([]*contextEntry, 0, c.live)
		for i := range c.entries {
			if c.entries[i].key != "" {
				live = append(live, &c.entries[i])
			}
		}
		slices.SortFunc(live, func(a, b *contextEntry) int { return strings.Compare(a.key, b.key) })
		for _, e := range live {
			if !yield(e.name) {
				return
			}
		}
	}
}

// lookup finds a key by its lower-case form and that form's hash, or
// returns nil. Compiled conditions and variables hold both already, so
// this neither allocates nor hashes.
func (c *Context) lookup(lowerKey string, hash uint64) *contextEntry {
	if c == nil || len(c.slots) == 0 {
		return nil
	}
	tag := uint32(hash >> 32)
	mask := len(c.slots) - 1
	for i := c.home(tag); ; i = (i + 1) & mask {
		sl := c.slots[i]
		if sl.idx == 0 {
			return nil
		}
		if sl.tag == tag {
			if e := &c.entries[sl.idx-1]; e.key == lowerKey {
				return e
			}
		}
	}
}

// resolve gives the value of a policy variable: the key's single value, else
// the variable's default. A key that is absent, multivalued ("You can't use
// a multivalued condition key as a variable") or holds an empty string gives
// no value, and a pattern holding such a variable matches nothing: "When
// policy variables reference a condition context key that has no value or
// is not present ..., the value is effectively null. There is no equal or
// like value." An empty string is a null value (see nullData).
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value
func (c *Context) resolve(v *variable) (string, bool) {
	if e := c.lookup(v.key, v.hash); e != nil && !e.multi && len(e.values) == 1 && e.values[0] != "" {
		return e.values[0], true
	}
	if v.hasDef {
		return v.def, true
	}
	return "", false
}
