package catalog

import "strings"

// A KeyType is the type of a condition key as the Service Authorization
// Reference gives it. It decides which condition operators fit the key; see
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html.
type KeyType string

// Key types. The data uses String, ArrayOfString, ARN, Bool, Date, Numeric
// and IPAddress; the other array types complete the set AWS documents so
// that a data update does not need a new constant for each.
const (
	String           KeyType = "String"
	ArrayOfString    KeyType = "ArrayOfString"
	ARN              KeyType = "ARN"
	ArrayOfARN       KeyType = "ArrayOfARN"
	Bool             KeyType = "Bool"
	ArrayOfBool      KeyType = "ArrayOfBool"
	Date             KeyType = "Date"
	ArrayOfDate      KeyType = "ArrayOfDate"
	Numeric          KeyType = "Numeric"
	ArrayOfNumeric   KeyType = "ArrayOfNumeric"
	IPAddress        KeyType = "IPAddress"
	ArrayOfIPAddress KeyType = "ArrayOfIPAddress"
	Binary           KeyType = "Binary"
	ArrayOfBinary    KeyType = "ArrayOfBinary"
)

const arrayOf = "ArrayOf"

// Base returns the element type of an array type (ArrayOfString → String)
// and t itself otherwise.
func (t KeyType) Base() KeyType {
	return KeyType(strings.TrimPrefix(string(t), arrayOf))
}

// IsArray reports whether the key is multivalued, so that a policy should test
// it with ForAllValues or ForAnyValue; see
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html.
func (t KeyType) IsArray() bool { return strings.HasPrefix(string(t), arrayOf) }

// Valid reports whether t is one of the declared key types.
func (t KeyType) Valid() bool {
	switch t {
	case String, ArrayOfString, ARN, ArrayOfARN, Bool, ArrayOfBool, Date, ArrayOfDate,
		Numeric, ArrayOfNumeric, IPAddress, ArrayOfIPAddress, Binary, ArrayOfBinary:
		return true
	}
	return false
}

// A ConditionKey is a global condition key (aws:SourceIp) or a key that a
// service defines. A key whose name ends in a placeholder
// (aws:RequestTag/${TagKey}, aws:PrincipalTag/tag-key) names a family: every
// key that starts with Prefix and has a non-empty rest belongs to it.
type ConditionKey struct {
	Name        string // as in the data: "aws:SourceIp", "aws:ResourceTag/${TagKey}"
	Type        KeyType
	Multivalued bool   // Type is an ArrayOf… type
	Prefix      string // "aws:ResourceTag/" for a family, "" otherwise
	Global      bool   // a global condition key, usable with every action
	Category    string // global keys only: principal, session, network, resource or request
	Service     string // prefix of the defining service; "" for global keys
}

// IsFamily reports whether the key names a family of keys (Prefix != "").
func (k *ConditionKey) IsFamily() bool { return k.Prefix != "" }

// keyIndex finds condition keys by name. Global keys come first everywhere,
// so a name that is both a global key and a service key (aws:TagKeys,
// aws:ResourceTag/…) resolves to the global key, which applies to every
// action; [Service.ConditionKey] finds the service's own entry.
type keyIndex struct {
	exact    map[string]*ConditionKey // lower-case name → first key with that name
	families []*ConditionKey          // global families, then services' families
}

func newKeyIndex(global []*ConditionKey, services []*Service) keyIndex {
	idx := keyIndex{exact: make(map[string]*ConditionKey)}
	add := func(k *ConditionKey) {
		lower := toLowerASCII(k.Name)
		if _, dup := idx.exact[lower]; !dup {
			idx.exact[lower] = k
		}
		if k.IsFamily() {
			idx.families = append(idx.families, k)
		}
	}
	for _, k := range global {
		add(k)
	}
	for _, s := range services {
		for _, k := range s.ConditionKeys {
			add(k)
		}
	}
	return idx
}

// GlobalConditionKeys returns the global condition keys, sorted by name.
func (c *Catalog) GlobalConditionKeys() []*ConditionKey { return c.globalKeys }

// ConditionKey returns the condition key called name, matched
// case-insensitively (IAM matches key names, including a tag key after the
// '/', without regard to case). It looks at the global keys and at every
// service's keys: first for the exact name, then for the family with the
// longest prefix that name starts with, provided the rest is not empty, so
// "aws:ResourceTag/team" finds the aws:ResourceTag family and
// "aws:ResourceTag/" finds nothing. Where a global key and a service key
// share a name or a prefix the global key wins. It does not allocate.
func (c *Catalog) ConditionKey(name string) (*ConditionKey, bool) {
	if k, ok := lookupFold(nil, c.keys.exact, name); ok {
		return k, true
	}
	return longestFamily(c.keys.families, name)
}

// ConditionKey returns the condition key called name among the keys the
// service itself defines, by the rules of [Catalog.ConditionKey]. It finds,
// say, sms-voice's aws:ResourceTag/${TagKey} entry, which Catalog.ConditionKey
// hides behind the global aws:ResourceTag/tag-key.
func (s *Service) ConditionKey(name string) (*ConditionKey, bool) {
	for _, k := range s.ConditionKeys {
		if equalFoldASCII(k.Name, name) {
			return k, true
		}
	}
	return longestFamily(s.ConditionKeys, name)
}

// longestFamily returns the first family key with the longest prefix that
// name starts with (case-insensitively) and extends.
func longestFamily(keys []*ConditionKey, name string) (*ConditionKey, bool) {
	var best *ConditionKey
	for _, k := range keys {
		p := k.Prefix
		// The last characters first: they tell most families apart at once.
		if p == "" || len(name) <= len(p) || lowerASCII(name[len(p)-1]) != lowerASCII(p[len(p)-1]) ||
			!equalFoldASCII(name[:len(p)], p) {
			continue
		}
		if best == nil || len(p) > len(best.Prefix) {
			best = k
		}
	}
	return best, best != nil
}
