package engine

import (
	"bytes"
	"encoding/json"
)

// Format writes the document back as compact IAM JSON: elements in the
// canonical order, lists as arrays, condition values with their JSON types.
// Parsing the output gives back the same document (positions aside).
func (d *Document) Format() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	field := func(name string, v any) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeJSON(&b, name)
		b.WriteByte(':')
		writeJSON(&b, v)
	}
	if d.Version != "" {
		field("Version", d.Version)
	}
	if d.IDElement != "" {
		field("Id", d.IDElement)
	}
	if !first {
		b.WriteByte(',')
	}
	b.WriteString(`"Statement":[`)
	for i, st := range d.Statements {
		if i > 0 {
			b.WriteByte(',')
		}
		st.format(&b)
	}
	b.WriteString("]}")
	return b.Bytes()
}

func (st *Statement) format(b *bytes.Buffer) {
	b.WriteByte('{')
	first := true
	field := func(name string, write func()) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeJSON(b, name)
		b.WriteByte(':')
		write()
	}
	if st.Sid != "" {
		field("Sid", func() { writeJSON(b, st.Sid) })
	}
	field("Effect", func() { writeJSON(b, st.Effect.String()) })
	for _, p := range []struct {
		name string
		pr   *Principal
	}{{"Principal", st.Principal}, {"NotPrincipal", st.NotPrincipal}} {
		if p.pr != nil {
			field(p.name, func() { p.pr.format(b) })
		}
	}
	for _, l := range []struct {
		name string
		list []Text
	}{{"Action", st.Action}, {"NotAction", st.NotAction}, {"Resource", st.Resource}, {"NotResource", st.NotResource}} {
		if l.list != nil {
			field(l.name, func() { writeTexts(b, l.list) })
		}
	}
	if len(st.Conditions) > 0 {
		field("Condition", func() { formatConditions(b, st.Conditions) })
	}
	b.WriteByte('}')
}

func (p *Principal) format(b *bytes.Buffer) {
	if len(p.Entries) == 0 {
		writeJSON(b, "*")
		return
	}
	// Group values by principal type, keeping first-seen order.
	var types []string
	byType := map[string][]Text{}
	for _, e := range p.Entries {
		if _, ok := byType[e.Type]; !ok {
			types = append(types, e.Type)
		}
		byType[e.Type] = append(byType[e.Type], Text{Value: e.Value})
	}
	b.WriteByte('{')
	for i, t := range types {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSON(b, t)
		b.WriteByte(':')
		writeTexts(b, byType[t])
	}
	b.WriteByte('}')
}

func formatConditions(b *bytes.Buffer, conds []*Condition) {
	// Conditions are stored flat; regroup them under their operators.
	var ops []string
	byOp := map[string][]*Condition{}
	for _, c := range conds {
		if _, ok := byOp[c.Operator]; !ok {
			ops = append(ops, c.Operator)
		}
		byOp[c.Operator] = append(byOp[c.Operator], c)
	}
	b.WriteByte('{')
	for i, op := range ops {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSON(b, op)
		b.WriteString(":{")
		for j, c := range byOp[op] {
			if j > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, c.Key)
			b.WriteString(":[")
			for k, v := range c.Values {
				if k > 0 {
					b.WriteByte(',')
				}
				if v.Kind == KindString {
					writeJSON(b, v.Text)
				} else {
					b.WriteString(v.Text) // numbers and booleans keep their literal text
				}
			}
			b.WriteByte(']')
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
}

func writeTexts(b *bytes.Buffer, list []Text) {
	b.WriteByte('[')
	for i, t := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSON(b, t.Value)
	}
	b.WriteByte(']')
}

// writeJSON encodes a string without HTML escaping, so that ARNs and
// patterns read back unchanged.
func writeJSON(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)       // strings always encode
	b.Truncate(b.Len() - 1) // drop the newline Encode adds
}
