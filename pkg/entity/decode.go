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
)

// decoder decodes the JSON text of one bundle file strictly.
type decoder struct {
	pf        *parsedFile
	src       []byte // the file's JSON text
	converted bool   // src was converted from YAML: its positions are not the file's
	lists     []string
	starts    []int // the line starts of src, once a position was needed
}

func (d *decoder) errorf(entity, field, format string, args ...any) {
	d.pf.probs = append(d.pf.probs, &Problem{File: d.pf.name, Entity: entity, Field: field, Err: fmt.Errorf(format, args...)})
}

// bundle decodes the top-level object.
func (d *decoder) bundle(top jsonText) {
	if top.isNull() {
		return // an empty YAML file
	}
	ms, ok := top.members()
	if !ok {
		d.errorf("", "", "a bundle must be an object with the lists %s, not %s", strings.Join(d.lists, ", "), top.kind())
		return
	}
	if slices.ContainsFunc(ms, func(m member) bool { return m.key == "Statement" }) {
		d.errorf("", "", "this is an IAM policy document, not a bundle: reference it from a bundle "+
			"with document_file, policy_file or inline_policy_files")
		return
	}
	seen := make(map[string]bool, len(ms))
	for _, m := range ms {
		switch {
		case seen[m.key]:
			d.errorf("", m.key, "duplicate field")
			continue
		case !slices.Contains(d.lists, m.key):
			d.errorf("", "", "unknown field %q%s", m.key, fieldHint(m.key, d.lists))
			continue
		}
		seen[m.key] = true
		d.list(m)
	}
}

// list decodes one top-level list.
func (d *decoder) list(m member) {
	if m.val.isNull() {
		return
	}
	els, ok := m.val.elems()
	if !ok {
		d.errorf("", m.key, "must be a list, not %s", m.val.kind())
		return
	}
	pf := d.pf
	for i, el := range els {
		switch m.key {
		case "accounts":
			pf.accounts = decodeInto(d, m.key, i, el, pf.accounts, func(w *Account) **origin { return &w.src })
		case "managed_policies":
			pf.managed = decodeInto(d, m.key, i, el, pf.managed, func(w *managedPolicyIn) **origin { return &w.src })
		case "scps":
			pf.scps = decodeInto(d, m.key, i, el, pf.scps, func(w *scpIn) **origin { return &w.src })
		case "users":
			pf.users = decodeInto(d, m.key, i, el, pf.users, func(w *userIn) **origin { return &w.src })
		case "groups":
			pf.groups = decodeInto(d, m.key, i, el, pf.groups, func(w *groupIn) **origin { return &w.src })
		case "roles":
			pf.roles = decodeInto(d, m.key, i, el, pf.roles, func(w *roleIn) **origin { return &w.src })
		case "resources":
			pf.resources = decodeInto(d, m.key, i, el, pf.resources, func(w *resourceIn) **origin { return &w.src })
		}
	}
}

// decodeInto decodes element i of a list into a new T, sets its origin and
// appends it to list; on failure it reports why and leaves list alone.
func decodeInto[T any](d *decoder, listName string, i int, el jsonText, list []T, src func(*T) **origin) []T {
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
func (d *decoder) entity(field string, el jsonText, w any) (*origin, bool) {
	ms, ok := el.members()
	if !ok {
		d.errorf("", field, "must be an object, not %s", el.kind())
		return nil, false
	}
	label := elemLabel(field, ms)
	known := jsonFields(reflect.TypeOf(w).Elem())
	byKey := make(map[string]member, len(ms))
	good := true
	for _, m := range ms {
		if _, dup := byKey[m.key]; dup {
			d.errorf(label, m.key, "duplicate field")
			good = false
			continue
		}
		byKey[m.key] = m
		if !slices.Contains(known, m.key) {
			d.errorf(label, "", "unknown field %q%s", m.key, fieldHint(m.key, known))
			good = false
		}
	}
	d.refs(byKey)
	for _, f := range mapFields {
		if m, ok := byKey[f]; ok && !d.uniqueKeys(label, f, m.val) {
			good = false
		}
	}
	if !good {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(el.b))
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
func elemLabel(field string, ms []member) string {
	list, _, _ := strings.Cut(field, "[")
	keyOf := func(k string) string {
		for _, m := range ms {
			var s string
			if m.key == k && json.Unmarshal(m.val.b, &s) == nil && s != "" {
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
func (d *decoder) refs(byKey map[string]member) {
	add := func(v jsonText) {
		var ref string
		if json.Unmarshal(v.b, &ref) != nil || ref == "" || strings.HasPrefix(ref, "/") {
			return
		}
		d.pf.refs = append(d.pf.refs, path.Join(path.Dir(d.pf.name), ref))
	}
	for _, k := range []string{"document_file", "policy_file"} {
		if m, ok := byKey[k]; ok {
			add(m.val)
		}
	}
	if m, ok := byKey["inline_policy_files"]; ok {
		ms, _ := m.val.members()
		for _, f := range ms {
			add(f.val)
		}
	}
}

// uniqueKeys reports duplicate keys in the object v of field f.
func (d *decoder) uniqueKeys(label, f string, v jsonText) bool {
	ms, _ := v.members()
	seen := make(map[string]bool, len(ms))
	ok := true
	for _, m := range ms {
		if seen[m.key] {
			d.errorf(label, fmt.Sprintf("%s[%q]", f, m.key), "duplicate key")
			ok = false
		}
		seen[m.key] = true
	}
	return ok
}

// origin records where the inline documents of an element start.
func (d *decoder) origin(byKey map[string]member) *origin {
	o := &origin{file: d.pf.name, docs: make(map[string]docOrigin)}
	at := func(field string, v jsonText) {
		if d.starts == nil {
			d.starts = lineStarts(d.src)
		}
		line, col := lineColIn(d.src, d.starts, v.off)
		o.docs[field] = docOrigin{file: d.pf.name, field: field, line: line, col: col, converted: d.converted}
	}
	for _, k := range []string{"document", "policy"} {
		if m, ok := byKey[k]; ok {
			at(k, m.val)
		}
	}
	if m, ok := byKey["inline_policies"]; ok {
		ms, _ := m.val.members()
		for _, p := range ms {
			at(inlineField(p.key), p.val)
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
