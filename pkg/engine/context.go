package engine

import (
	"iter"
	"maps"
	"slices"
	"strings"
)

// A Context is the request context: condition keys and their values. Key
// names match without regard to case, the tag-key part after '/' included,
// so keys are stored in lower case.
//
// A Context is built before a decision and only read during one; it is safe
// for concurrent reads once built.
type Context struct {
	entries map[string]contextEntry
}

type contextEntry struct {
	name   string // as given, for explanations
	values []string
	multi  bool // given as a list: the key is multivalued (ArrayOf... types)
}

// NewContext returns an empty context with room for n keys.
func NewContext(n int) *Context {
	return &Context{entries: make(map[string]contextEntry, n)}
}

// Set gives a single-valued key its value, replacing any earlier value.
func (c *Context) Set(key, value string) {
	c.entries[strings.ToLower(key)] = contextEntry{name: key, values: []string{value}}
}

// SetMulti gives a multivalued key its values (possibly none), replacing any
// earlier value. An empty list is present but empty, which set operators and
// Null tell apart from an absent key.
func (c *Context) SetMulti(key string, values []string) {
	c.entries[strings.ToLower(key)] = contextEntry{name: key, values: values, multi: true}
}

// Reset removes every key and keeps the room the context has grown, so
// that one context can serve one request after another.
func (c *Context) Reset() { clear(c.entries) }

// Delete removes a key.
func (c *Context) Delete(key string) { delete(c.entries, strings.ToLower(key)) }

// Get returns the values of a key, whether it was given as a list, and
// whether it is present at all.
func (c *Context) Get(key string) (values []string, multi, ok bool) {
	e, ok := c.lookup(strings.ToLower(key))
	return e.values, e.multi, ok
}

// Len returns the number of keys.
func (c *Context) Len() int {
	if c == nil {
		return 0
	}
	return len(c.entries)
}

// Keys yields the key names as they were given, in sorted order.
func (c *Context) Keys() iter.Seq[string] {
	return func(yield func(string) bool) {
		if c == nil {
			return
		}
		for _, k := range slices.Sorted(maps.Keys(c.entries)) {
			if !yield(c.entries[k].name) {
				return
			}
		}
	}
}

// lookup finds an entry by its lower-case key; compiled conditions hold their
// keys in lower case already, so this does not allocate.
func (c *Context) lookup(lowerKey string) (contextEntry, bool) {
	if c == nil {
		return contextEntry{}, false
	}
	e, ok := c.entries[lowerKey]
	return e, ok
}

// resolve gives the value of a policy variable: the key's single value, else
// the variable's default. A key that is absent or multivalued gives no value,
// and a pattern holding such a variable matches nothing.
func (c *Context) resolve(v *variable) (string, bool) {
	if e, ok := c.lookup(v.key); ok && !e.multi && len(e.values) == 1 {
		return e.values[0], true
	}
	if v.hasDef {
		return v.def, true
	}
	return "", false
}
