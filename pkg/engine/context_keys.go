package engine

import "strings"

// A Key is a condition key resolved once: its name as given, its lower-case
// form and that form's hash. Setting a value through a Key lowers and
// hashes nothing, so a server that builds a context per request resolves
// its keys when it starts and sets them with [Context.SetKey].
type Key struct {
	name  string
	lower string
	hash  uint64
}

// NewKey resolves a condition key name.
func NewKey(name string) Key {
	lk := strings.ToLower(name)
	return Key{name: name, lower: lk, hash: keyHash(lk)}
}

// Name returns the key's name as given.
func (k Key) Name() string { return k.name }

// The global condition keys a server sets on most requests, resolved once.
var (
	KeyCurrentTime           = NewKey("aws:CurrentTime")
	KeyEpochTime             = NewKey("aws:EpochTime")
	KeyPrincipalArn          = NewKey("aws:PrincipalArn")
	KeyPrincipalAccount      = NewKey("aws:PrincipalAccount")
	KeyPrincipalType         = NewKey("aws:PrincipalType")
	KeyPrincipalOrgID        = NewKey("aws:PrincipalOrgID")
	KeyUsername              = NewKey("aws:username")
	KeyUserID                = NewKey("aws:userid")
	KeySourceIP              = NewKey("aws:SourceIp")
	KeySecureTransport       = NewKey("aws:SecureTransport")
	KeyRequestedRegion       = NewKey("aws:RequestedRegion")
	KeyMultiFactorAuth       = NewKey("aws:MultiFactorAuthPresent")
	KeyMultiFactorAuthAge    = NewKey("aws:MultiFactorAuthAge")
	KeyViaAWSService         = NewKey("aws:ViaAWSService")
	KeyCalledVia             = NewKey("aws:CalledVia")
	KeyTagKeys               = NewKey("aws:TagKeys")
	KeyResourceAccount       = NewKey("aws:ResourceAccount")
	KeyPrincipalIsAWSService = NewKey("aws:PrincipalIsAWSService")
)

// SetKey gives a single-valued key its value, as Set does.
func (c *Context) SetKey(k Key, value string) {
	c.setEntry(c.putHashed(k.name, k.lower, k.hash), value)
}

// SetMultiKey gives a multivalued key its values, as SetMulti does.
func (c *Context) SetMultiKey(k Key, values []string) {
	c.setMultiEntry(c.putHashed(k.name, k.lower, k.hash), values)
}

// DeleteKey removes a key, as Delete does.
func (c *Context) DeleteKey(k Key) {
	if c == nil || len(c.slots) == 0 {
		return
	}
	c.deleteHashed(k.lower, k.hash)
}

// A TagKind is the family of a tag condition key: the part of
// "aws:PrincipalTag/team" before the tag key.
type TagKind uint8

// The tag key families of the global condition keys.
const (
	PrincipalTag TagKind = iota // aws:PrincipalTag/KEY
	ResourceTag                 // aws:ResourceTag/KEY
	RequestTag                  // aws:RequestTag/KEY
	numTagKinds
)

var tagPrefixes = [numTagKinds]string{"aws:PrincipalTag/", "aws:ResourceTag/", "aws:RequestTag/"}

// SetTag gives the tag key tagKey of a family its value:
// SetTag(PrincipalTag, "team", v) is Set("aws:PrincipalTag/team", v)
// without building the key's name. A context remembers the tag keys it
// has seen, so in steady state it allocates nothing.
func (c *Context) SetTag(kind TagKind, tagKey, value string) {
	if kind >= numTagKinds {
		return // not a family: there is no key to set
	}
	k := c.tagKey(kind, tagKey)
	c.setEntry(c.putHashed(k.name, k.lower, k.hash), value)
}

// A Tag is one tag of a principal, a resource or a request.
type Tag struct {
	Key, Value string
}

// SetTags sets every tag of a family, as SetTag does for each.
func (c *Context) SetTags(kind TagKind, tags []Tag) {
	for i := range tags {
		c.SetTag(kind, tags[i].Key, tags[i].Value)
	}
}

// maxRemembered bounds the names a context remembers, so that callers whose
// keys drift from one request to the next do not grow it without end.
const maxRemembered = 1024

// tagKey resolves a tag key of a family, remembering it.
func (c *Context) tagKey(kind TagKind, tagKey string) Key {
	// The tags of the last requests are looked for first, without hashing:
	// a server usually sets the same few tag keys on every request.
	for i := range c.recent {
		if r := &c.recent[i]; r.kind == kind && r.tagKey == tagKey {
			return r.key
		}
	}
	k, ok := c.tags[kind][tagKey]
	if ok {
		c.remember(kind, tagKey, k)
		return k
	}
	if !c.reused {
		return NewKey(tagPrefixes[kind] + tagKey) // see resolveName
	}
	if c.tags[kind] == nil || len(c.tags[kind]) >= maxRemembered {
		c.tags[kind] = make(map[string]Key, 8)
	}
	k = NewKey(tagPrefixes[kind] + tagKey)
	c.tags[kind][tagKey] = k
	c.remember(kind, tagKey, k)
	return k
}

// recentTags is how many resolved tag keys a context looks at before its
// tables.
const recentTags = 8

type recentTag struct {
	kind   TagKind
	tagKey string
	key    Key
}

// remember puts a resolved tag key among the recent ones, in place of the
// oldest.
func (c *Context) remember(kind TagKind, tagKey string, k Key) {
	if len(c.recent) < recentTags {
		c.recent = append(c.recent, recentTag{kind, tagKey, k})
		return
	}
	c.recent[c.nextRecent] = recentTag{kind, tagKey, k}
	c.nextRecent = (c.nextRecent + 1) % recentTags
}

// resolveName returns the lower-case form of a key name and its hash. A
// context remembers the names it has seen, so that a name set on every
// request is lowered and hashed once.
func (c *Context) resolveName(key string) (string, uint64) {
	if lk, ok := knownLower(key); ok {
		return lk, keyHash(lk)
	}
	if isLowerASCII(key) {
		return key, keyHash(key)
	}
	if k, ok := c.names[key]; ok {
		return k.lower, k.hash
	}
	lk := strings.ToLower(key)
	// Remember only in a context that is being reused: one built for a
	// single request would pay for the table and never use it.
	if !c.reused {
		return lk, keyHash(lk)
	}
	if c.names == nil || len(c.names) >= maxRemembered {
		c.names = make(map[string]Key, 16)
	}
	k := Key{name: key, lower: lk, hash: keyHash(lk)}
	c.names[key] = k
	return k.lower, k.hash
}

// isLowerASCII reports whether s is ASCII without upper-case letters, so
// that it is its own lower-case form.
func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || ('A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
