package entity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/jsonpos"
)

// decoder decodes the JSON text of one bundle file strictly. The text is
// parsed once by jsonpos, which checks the syntax and gives every value
// its position and its text as written; duplicate keys are let through so
// that the decoder reports them naming the entity and field they are in.
type decoder struct {
	pf        *parsedFile
	src       []byte // the file's JSON text
	converted bool   // src was converted from YAML: its positions are not the file's
	lists     []string
}

// bundleLimits are those of a bundle file: any size, and nesting deep
// enough for the policies it embeds (whose own limit the engine checks).
var bundleLimits = jsonpos.Limits{DuplicateKeys: true}

// parse decodes src, the whole file, reporting a syntax error with its
// line and column.
func (d *decoder) parse() {
	top, err := jsonpos.Parse(d.src, bundleLimits)
	var se *jsonpos.SyntaxError
	switch {
	case errors.As(err, &se):
		d.errorf("", "", "%d:%d: invalid JSON: %s", se.Pos.Line, se.Pos.Col, se.Msg)
	case err != nil:
		d.errorf("", "", "invalid JSON: %v", err)
	default:
		d.bundle(top)
	}
}

// raw returns the text of v as written in the file.
func (d *decoder) raw(v *jsonpos.Value) []byte { return d.src[v.Pos.Offset:v.End] }

// kindName names the JSON type of v for messages: "an object", "an array",
// "a string", "a number", "a boolean" or "null".
func kindName(v *jsonpos.Value) string {
	switch v.Kind {
	case jsonpos.Null:
		return "null"
	case jsonpos.Object, jsonpos.Array:
		return "an " + v.Kind.String()
	}
	return "a " + v.Kind.String()
}

// stringOf returns the text of v if it is a string, else "".
func stringOf(v *jsonpos.Value) string {
	if v.Kind != jsonpos.String {
		return ""
	}
	return v.Str
}

func (d *decoder) errorf(entity, field, format string, args ...any) {
	d.pf.probs = append(d.pf.probs, &Problem{File: d.pf.name, Entity: entity, Field: field, Err: fmt.Errorf(format, args...)})
}

// bundle decodes the top-level object.
func (d *decoder) bundle(top *jsonpos.Value) {
	switch top.Kind {
	case jsonpos.Null:
		return // an empty YAML file
	case jsonpos.Object:
	default:
		d.errorf("", "", "a bundle must be an object with the lists %s, not %s", strings.Join(d.lists, ", "), kindName(top))
		return
	}
	ms := top.Members
	if _, ok := top.Get("Statement"); ok {
		d.errorf("", "", "this is an IAM policy document, not a bundle: reference it from a bundle "+
			"with document_file, policy_file or inline_policy_files")
		return
	}
	seen := make(map[string]jsonpos.Pos, len(ms))
	for _, m := range ms {
		first, dup := seen[m.Key]
		switch {
		case dup:
			d.errorf("", m.Key, "%s", d.duplicate("field", first, m.KeyPos))
			continue
		case !slices.Contains(d.lists, m.Key):
			d.errorf("", "", "unknown field %q%s", m.Key, fieldHint(m.Key, d.lists))
			continue
		}
		seen[m.Key] = m.KeyPos
		d.list(m)
	}
}

// list decodes one top-level list.
func (d *decoder) list(m jsonpos.Member) {
	switch m.Value.Kind {
	case jsonpos.Null:
		return
	case jsonpos.Array:
	default:
		d.errorf("", m.Key, "must be a list, not %s", kindName(m.Value))
		return
	}
	pf := d.pf
	for i, el := range m.Value.Elems {
		switch m.Key {
		case "accounts":
			pf.accounts = decodeInto(d, m.Key, i, el, pf.accounts, func(w *Account) **origin { return &w.src })
		case "managed_policies":
			pf.managed = decodeInto(d, m.Key, i, el, pf.managed, func(w *managedPolicyIn) **origin { return &w.src })
		case "scps":
			pf.scps = decodeInto(d, m.Key, i, el, pf.scps, func(w *scpIn) **origin { return &w.src })
		case "users":
			pf.users = decodeInto(d, m.Key, i, el, pf.users, func(w *userIn) **origin { return &w.src })
		case "groups":
			pf.groups = decodeInto(d, m.Key, i, el, pf.groups, func(w *groupIn) **origin { return &w.src })
		case "roles":
			pf.roles = decodeInto(d, m.Key, i, el, pf.roles, func(w *roleIn) **origin { return &w.src })
		case "resources":
			pf.resources = decodeInto(d, m.Key, i, el, pf.resources, func(w *resourceIn) **origin { return &w.src })
		}
	}
}

// decodeInto decodes element i of a list into a new T, sets its origin and
// appends it to list; on failure it reports why and leaves list alone.
func decodeInto[T any](d *decoder, listName string, i int, el *jsonpos.Value, list []T, src func(*T) **origin) []T {
	var w T
	o, ok := d.entity(fmt.Sprintf("%s[%d]", listName, i), el, &w)
	if !ok {
		return list
	}
	o.index = i
	*src(&w) = o
	return append(list, w)
}

// mapFields are the fields whose values are objects with keys chosen by the
// user, checked for duplicate keys.
var mapFields = [...]string{"inline_policies", "inline_policy_files", "tags"}

// entity decodes one list element strictly into w, a pointer to a wire
// struct, and returns where its documents are in the file.
func (d *decoder) entity(field string, el *jsonpos.Value, w any) (*origin, bool) {
	if el.Kind != jsonpos.Object {
		d.errorf("", field, "must be an object, not %s", kindName(el))
		return nil, false
	}
	ms := el.Members
	label := elemLabel(field, el)
	known := jsonFields(reflect.TypeOf(w).Elem())
	byKey := make(map[string]*jsonpos.Value, len(ms))
	keyPos := make(map[string]jsonpos.Pos, len(ms))
	good := true
	for _, m := range ms {
		if first, dup := keyPos[m.Key]; dup {
			d.errorf(label, m.Key, "%s", d.duplicate("field", first, m.KeyPos))
			good = false
			continue
		}
		byKey[m.Key], keyPos[m.Key] = m.Value, m.KeyPos
		if !slices.Contains(known, m.Key) {
			d.errorf(label, "", "unknown field %q%s", m.Key, fieldHint(m.Key, known))
			good = false
		}
	}
	d.refs(byKey)
	for _, f := range mapFields {
		if v, ok := byKey[f]; ok && !d.uniqueKeys(label, f, v) {
			good = false
		}
	}
	if !good {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(d.raw(el)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(w); err != nil {
		d.typeError(label, reflect.TypeOf(w).Elem(), err)
		return nil, false
	}
	return d.origin(byKey), true
}

// elemLabel names a list element by its key when it has one, e.g.
// `user "arn:aws:iam::111122223333:user/alice"`, else by its place, e.g.
// "users[2]".
func elemLabel(field string, el *jsonpos.Value) string {
	list, _, _ := strings.Cut(field, "[")
	keyOf := func(k string) string {
		for _, m := range el.Members {
			if s := stringOf(m.Value); m.Key == k && s != "" {
				return s
			}
		}
		return ""
	}
	var kind, key string
	switch list {
	case "accounts":
		kind, key = "account", keyOf("id")
	case "managed_policies":
		kind, key = "managed policy", keyOf("name")
	case "scps":
		kind, key = "scp", keyOf("name")
	case "users":
		kind, key = "user", keyOf("arn")
	case "groups":
		kind, key = "group", keyOf("name")
		if acct := keyOf("account"); key != "" && acct != "" {
			return fmt.Sprintf("group %q in account %q", key, acct)
		}
	case "roles":
		kind, key = "role", keyOf("arn")
	case "resources":
		kind, key = "resource", keyOf("arn")
	}
	if key == "" {
		return field
	}
	return fmt.Sprintf("%s %q", kind, key)
}

// refs records the files an element references, whether or not it decodes,
// so that LoadDir does not take them for bundles.
func (d *decoder) refs(byKey map[string]*jsonpos.Value) {
	add := func(v *jsonpos.Value) {
		ref := stringOf(v)
		if ref == "" || strings.HasPrefix(ref, "/") {
			return
		}
		d.pf.refs = append(d.pf.refs, path.Join(path.Dir(d.pf.name), ref))
	}
	for _, k := range []string{"document_file", "policy_file"} {
		if v, ok := byKey[k]; ok {
			add(v)
		}
	}
	if v, ok := byKey["inline_policy_files"]; ok {
		for _, f := range v.Members {
			add(f.Value)
		}
	}
}

// uniqueKeys reports duplicate keys in the object v of field f.
func (d *decoder) uniqueKeys(label, f string, v *jsonpos.Value) bool {
	seen := make(map[string]jsonpos.Pos, len(v.Members))
	ok := true
	for _, m := range v.Members {
		if first, dup := seen[m.Key]; dup {
			d.errorf(label, fmt.Sprintf("%s[%q]", f, m.Key), "%s", d.duplicate("key", first, m.KeyPos))
			ok = false
			continue
		}
		seen[m.Key] = m.KeyPos
	}
	return ok
}

// duplicate says that a key (what: "field" or "key") is at pos a second
// time, the first being at first, in the words of the engine's message for
// a duplicate key in a policy: "2:5: duplicate field (first at line 1,
// column 3)". Positions in text converted from YAML are not the file's, and
// are left out.
func (d *decoder) duplicate(what string, first, pos jsonpos.Pos) string {
	if d.converted {
		return "duplicate " + what
	}
	return fmt.Sprintf("%d:%d: duplicate %s (first at line %d, column %d)", pos.Line, pos.Col, what, first.Line, first.Col)
}

// origin records where the inline documents of an element start.
func (d *decoder) origin(byKey map[string]*jsonpos.Value) *origin {
	o := &origin{file: d.pf.name, docs: make(map[string]docOrigin)}
	at := func(field string, v *jsonpos.Value) {
		o.docs[field] = docOrigin{file: d.pf.name, field: field, line: v.Pos.Line, col: v.Pos.Col, converted: d.converted}
	}
	for _, k := range []string{"document", "policy"} {
		if v, ok := byKey[k]; ok {
			at(k, v)
		}
	}
	if v, ok := byKey["inline_policies"]; ok {
		for _, p := range v.Members {
			at(inlineField(p.Key), p.Value)
		}
	}
	return o
}

// typeError reports a value of the wrong JSON type in an element decoded
// into wire type t.
func (d *decoder) typeError(label string, t reflect.Type, err error) {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		d.errorf(label, "", "%v", err)
		return
	}
	hint := ""
	if d.converted && te.Type.Kind() == reflect.String {
		hint = `; quote it in YAML ("...")`
	}
	// The path names the embedded model type ("Role.tags"); users know
	// the JSON names only.
	field := te.Field
	for i := range t.NumField() {
		if f := t.Field(i); f.Anonymous {
			field = strings.TrimPrefix(field, f.Name+".")
		}
	}
	what := "want"
	if slices.Contains(mapFields[:], field) {
		what = "each value must be"
	}
	d.errorf(label, field, "%s %s, not a JSON %s%s", what, describeType(te.Type), te.Value, hint)
}

// describeType says in words what JSON a Go type takes.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice:
		if t == reflect.TypeFor[json.RawMessage]() {
			return "a policy document"
		}
		return "a list of " + plural(t.Elem())
	case reflect.Map:
		return "a map of names to " + plural(t.Elem())
	case reflect.Struct:
		return "an object"
	}
	return t.String()
}

func plural(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[json.RawMessage]():
		return "policy documents"
	case t.Kind() == reflect.String:
		return "strings"
	case t.Kind() == reflect.Slice:
		return "lists of " + plural(t.Elem())
	}
	return t.String() + " values"
}

// fieldHint suggests the field name meant, or lists the known ones.
func fieldHint(key string, known []string) string {
	if s := suggest(key, known); s != "" {
		return s
	}
	return fmt.Sprintf(" (known fields: %s)", strings.Join(known, ", "))
}
