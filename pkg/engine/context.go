package engine

import (
	"hash/maphash"
	"iter"
	"net/netip"
	"slices"
	"strings"
)

// A Context is the request context: condition keys and their values. Key
// names match without regard to case, the tag-key part after '/' included,
// so keys are stored in lower case.
//
// Set also parses a single value into the forms the condition operators
// compare (an IP address, a number, a date) when it has their shape, so that
// a value tested by many statements is parsed once per request rather than
// once per condition.
//
// A Context is built before a decision and only read during one; it is safe
// for concurrent reads once built.
type Context struct {
	// slots is an open-addressing table over entries, a quarter empty at
	// least; its hashes are those compiled into conditions and variables,
	// so that a lookup during a decision hashes nothing.
	slots   []contextSlot
	entries []contextEntry // in the order keys were first set
	live    int            // entries not deleted
	// singles backs the one-element value lists of Set, so that setting a
	// key does not allocate a list of its own. A full array is left to the
	// entries that point into it and a new one is started.
	singles []string
	// typed holds the parsed forms of the single values that have one;
	// most values (names, tags, ARNs) have none and take no room here.
	typed []typedValue
}

// contextSlot points at entries[idx-1]; idx 0 marks an empty slot.
type contextSlot struct {
	tag uint32 // high half of the key's hash, to skip most entries unread
	idx int32
}

type contextEntry struct {
	key     string // lower case
	name    string // as given, for explanations
	values  []string
	multi   bool // given as a list: the key is multivalued (ArrayOf... types)
	deleted bool // removed by Delete; kept so that the table needs no rehash
	// known says which forms of a single value were tried when it was set;
	// typed is then its position in Context.typed plus one, or 0 when no
	// form parsed.
	known typedForm
	typed int32
}

// keySeed seeds the hash of condition keys. It is chosen once per process,
// so that a caller cannot pick keys that all land in one slot.
var keySeed = maphash.MakeSeed()

// A keyHash is the hash of a lower-case condition key, computed when a
// policy is compiled or a key is set.
func keyHash(lowerKey string) uint64 { return maphash.String(keySeed, lowerKey) }

// typedValue holds the parsed forms of one request value. A form whose bit
// is clear in known is parsed when a condition needs it.
type typedValue struct {
	known, ok typedForm
	ip        netip.Addr
	num       float64
	date      int64 // Unix nanoseconds
}

// typedForm is a set of the forms a typedValue may hold.
type typedForm uint8

const (
	formIP typedForm = 1 << iota
	formNum
	formDate
)

// has reports whether the value is known to have form f (parsed is true)
// or known not to (parsed true, valid false); parsed is false when the
// value must be parsed on use.
func (t *typedValue) has(f typedForm) (valid, parsed bool) {
	if t == nil || t.known&f == 0 {
		return false, false
	}
	return t.ok&f != 0, true
}

// ipAddr returns the value as an IP address; see has.
func (t *typedValue) ipAddr() (a netip.Addr, valid, parsed bool) {
	if valid, parsed = t.has(formIP); valid {
		a = t.ip
	}
	return a, valid, parsed
}

// number returns the value as a Numeric value; see has.
func (t *typedValue) number() (n float64, valid, parsed bool) {
	if valid, parsed = t.has(formNum); valid {
		n = t.num
	}
	return n, valid, parsed
}

// dateNanos returns the value as a Date value; see has.
func (t *typedValue) dateNanos() (d int64, valid, parsed bool) {
	if valid, parsed = t.has(formDate); valid {
		d = t.date
	}
	return d, valid, parsed
}

// parseTyped parses s into every form it has the shape of. The shape tests
// are necessary conditions of the parsers, so a value they turn away is
// known not to parse, and most values (names, tags, ARNs) are turned away
// after a byte or two without calling a parser.
func parseTyped(s string) typedValue {
	t := typedValue{known: formIP | formNum}
	if ipShaped(s) {
		if a, err := netip.ParseAddr(s); err == nil {
			t.ip, t.ok = a, t.ok|formIP
		}
	}
	if decimalShaped(s) {
		if n, ok := parseNumber(s); ok {
			t.num, t.ok = n, t.ok|formNum
		}
	}
	if isEpoch(s) {
		// Epoch seconds are read as the number they are (an epoch-shaped
		// value is a number exactly when it has one point at most), and
		// scaled as parseDate scales them.
		t.known |= formDate
		if t.ok&formNum != 0 {
			t.date, t.ok = int64(t.num*1e9), t.ok|formDate
		}
		return t
	}
	switch d, ok, sure := parseDateFast(s); {
	case ok:
		t.date, t.known, t.ok = d, t.known|formDate, t.ok|formDate
	case sure:
		t.known |= formDate
	}
	return t
}

// ipShaped reports whether s could be an IP address: hex digits, dots and
// colons, with at least one dot or colon, before any "%zone".
func ipShaped(s string) bool {
	sep := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' || c == ':':
			sep = true
		case c == '%':
			return sep
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return sep
}

// decimalShaped reports whether s has the syntax of a decimal number as
// strconv.ParseFloat reads it: [+-] digits [. digits] [e [+-] digits],
// with at least one digit before the exponent.
func decimalShaped(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isDigit(s[i]); i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && isDigit(s[i]); i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// lowerKey returns strings.ToLower(key). The global keys that servers set
// on every request, in their documented spelling, are lowered without
// allocating.
func lowerKey(key string) string {
	switch key {
	case "aws:CurrentTime":
		return "aws:currenttime"
	case "aws:EpochTime":
		return "aws:epochtime"
	case "aws:PrincipalArn":
		return "aws:principalarn"
	case "aws:PrincipalAccount":
		return "aws:principalaccount"
	case "aws:PrincipalType":
		return "aws:principaltype"
	case "aws:PrincipalOrgID":
		return "aws:principalorgid"
	case "aws:SourceIp":
		return "aws:sourceip"
	case "aws:SecureTransport":
		return "aws:securetransport"
	case "aws:RequestedRegion":
		return "aws:requestedregion"
	case "aws:MultiFactorAuthPresent":
		return "aws:multifactorauthpresent"
	case "aws:MultiFactorAuthAge":
		return "aws:multifactorauthage"
	case "aws:ViaAWSService":
		return "aws:viaawsservice"
	case "aws:CalledVia":
		return "aws:calledvia"
	case "aws:TagKeys":
		return "aws:tagkeys"
	}
	return strings.ToLower(key)
}

// NewContext returns an empty context with room for n keys, and some
// more: callers that derive keys count them roughly.
func NewContext(n int) *Context {
	n += n/4 + 2
	return &Context{
		slots:   make([]contextSlot, slotsFor(n)),
		entries: make([]contextEntry, 0, n),
		singles: make([]string, 0, n),
		typed:   make([]typedValue, 0, n/4+1), // few values are IPs, numbers or dates
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
	c.singles = append(c.singles, value)
	n := len(c.singles)
	e := contextEntry{name: key, values: c.singles[n-1 : n : n]}
	t := parseTyped(value)
	e.known = t.known
	if t.ok != 0 {
		c.typed = append(c.typed, t)
		e.typed = int32(len(c.typed))
	}
	c.put(key, e)
}

// typedOf returns the parsed forms of a single-valued entry, using spare
// for an entry none of whose forms parsed.
func (c *Context) typedOf(e *contextEntry, spare *typedValue) *typedValue {
	if e.typed > 0 {
		return &c.typed[e.typed-1]
	}
	*spare = typedValue{known: e.known}
	return spare
}

// SetMulti gives a multivalued key its values (possibly none), replacing any
// earlier value. An empty list is present but empty, which set operators and
// Null tell apart from an absent key.
func (c *Context) SetMulti(key string, values []string) {
	c.put(key, contextEntry{name: key, values: values, multi: true})
}

func (c *Context) put(key string, e contextEntry) {
	e.key = lowerKey(key)
	hash := keyHash(e.key)
	if old := c.find(e.key, hash); old != nil {
		if old.deleted {
			c.live++
		}
		*old = e
		return
	}
	if 4*(len(c.entries)+1) > 3*len(c.slots) {
		c.rehash(slotsFor(2 * (len(c.entries) + 1)))
	}
	c.entries = append(c.entries, e)
	c.live++
	c.insert(hash, int32(len(c.entries)))
}

// insert puts a slot for entries[idx-1] in the first free place of its
// probe sequence.
func (c *Context) insert(hash uint64, idx int32) {
	mask := uint64(len(c.slots) - 1)
	for i := hash & mask; ; i = (i + 1) & mask {
		if c.slots[i].idx == 0 {
			c.slots[i] = contextSlot{tag: uint32(hash >> 32), idx: idx}
			return
		}
	}
}

func (c *Context) rehash(size int) {
	c.slots = make([]contextSlot, size)
	for i := range c.entries {
		c.insert(keyHash(c.entries[i].key), int32(i+1))
	}
}

// find returns the entry of a lower-case key, deleted or not, or nil.
func (c *Context) find(lowerKey string, hash uint64) *contextEntry {
	if len(c.slots) == 0 {
		return nil
	}
	mask := uint64(len(c.slots) - 1)
	for i := hash & mask; ; i = (i + 1) & mask {
		sl := c.slots[i]
		if sl.idx == 0 {
			return nil
		}
		if sl.tag != uint32(hash>>32) {
			continue
		}
		if e := &c.entries[sl.idx-1]; e.key == lowerKey {
			return e
		}
	}
}

// Reset removes every key and keeps the room the context has grown, so
// that one context can serve one request after another.
func (c *Context) Reset() { clear(c.entries) }

// Delete removes a key.
func (c *Context) Delete(key string) {
	lk := strings.ToLower(key)
	if e := c.find(lk, keyHash(lk)); e != nil && !e.deleted {
		*e = contextEntry{key: e.key, deleted: true}
		c.live--
	}
}

// Get returns the values of a key, whether it was given as a list, and
// whether it is present at all.
func (c *Context) Get(key string) (values []string, multi, ok bool) {
	lk := strings.ToLower(key)
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
			if !c.entries[i].deleted {
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

// lookup finds a present key by its lower-case form and that form's hash,
// or returns nil. Compiled conditions and variables hold both already, so
// this neither allocates nor hashes.
func (c *Context) lookup(lowerKey string, hash uint64) *contextEntry {
	if c == nil {
		return nil
	}
	e := c.find(lowerKey, hash)
	if e == nil || e.deleted {
		return nil
	}
	return e
}

// resolve gives the value of a policy variable: the key's single value, else
// the variable's default. A key that is absent or multivalued gives no value,
// and a pattern holding such a variable matches nothing.
func (c *Context) resolve(v *variable) (string, bool) {
	if e := c.lookup(v.key, v.hash); e != nil && !e.multi && len(e.values) == 1 {
		return e.values[0], true
	}
	if v.hasDef {
		return v.def, true
	}
	return "", false
}
