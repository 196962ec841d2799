package jsonpos

import "strconv"

// Kind is the JSON type of a [Value].
type Kind uint8

// The JSON types. Null is the zero value.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{
	Null:   "null",
	Bool:   "boolean",
	Number: "number",
	String: "string",
	Array:  "array",
	Object: "object",
}

// String returns the JSON name of the type ("null", "boolean", "number",
// "string", "array" or "object"), suitable for messages such as
// `Effect must be a string, not an array`.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Pos is a position in the parsed text. Offset is the 0-based byte offset;
// Line and Col are 1-based, and Col counts characters (Unicode code points)
// from the start of the line. See the package documentation for what ends a
// line.
type Pos struct {
	Offset, Line, Col int
}

// Value is one JSON value with the position of its first character: the
// opening quote of a string, the bracket or brace of a container, the sign or
// first digit of a number, the first letter of true, false or null.
type Value struct {
	Kind Kind
	Pos  Pos
	// End is the byte offset just past the value's last character, so that
	// src[Pos.Offset:End] is the value as written: a caller that hands a
	// part of a document on (an embedded policy) keeps its text and knows
	// where it starts.
	End int
	// Str is the decoded text of a String, and the literal text of a Number
	// exactly as written ("10.0", "-1e3"), so that callers decide how to
	// interpret it without losing precision.
	Str     string
	Bool    bool
	Elems   []*Value // elements of an Array
	Members []Member // members of an Object, in source order; keys are unique unless Limits.DuplicateKeys
}

// Member is one key/value pair of an object. KeyPos is the position of the
// key's opening quote.
type Member struct {
	Key    string
	KeyPos Pos
	Value  *Value
}

// Get returns the member of object v whose key is exactly key (case matters,
// as in IAM). It reports false if v is nil, not an object, or has no such key.
// Keys are unique unless [Limits.DuplicateKeys] let [Parse] keep them, in
// which case the first is found. The lookup is linear, which beats a map for the small objects of IAM
// policies.
func (v *Value) Get(key string) (*Member, bool) {
	if v == nil || v.Kind != Object {
		return nil, false
	}
	for i := range v.Members {
		if v.Members[i].Key == key {
			return &v.Members[i], true
		}
	}
	return nil, false
}
