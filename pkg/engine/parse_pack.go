package engine

import "strings"

// pack moves what the statements of a parsed document hold into a few
// allocations of the exact size: their Text lists, principals, principal
// entries, conditions and condition values each in one array, and every
// string in one. A server keeps a Document per policy for as long as the
// policy exists, so its size is what counts; and the strings no longer hold
// on to the policy's text, of which they are slices until now.
//
// Version is already one of the two constants, principal types are the
// constants of principalTypes, and boolean condition values "true" or
// "false": those stay as they are. The operator of a condition is often
// that of the one before (one operator, several keys), and is then shared.
func (p *parser) pack(doc Document) *Document {
	var n struct{ texts, principals, entries, conds, vals, bytes int }
	n.bytes = len(doc.IDElement)
	for _, st := range p.stmts {
		n.bytes += len(st.Sid)
		for _, list := range [...][]Text{st.Action, st.NotAction, st.Resource, st.NotResource} {
			n.texts += len(list)
			for _, t := range list {
				n.bytes += len(t.Value)
			}
		}
		for _, pr := range [...]*Principal{st.Principal, st.NotPrincipal} {
			if pr != nil {
				n.principals++
				n.entries += len(pr.Entries)
				for _, e := range pr.Entries {
					n.bytes += len(e.Value)
				}
			}
		}
		n.conds += len(st.Conditions)
		for i, c := range st.Conditions {
			if i == 0 || c.Operator != st.Conditions[i-1].Operator {
				n.bytes += len(c.Operator)
			}
			n.bytes += len(c.Key)
			n.vals += len(c.Values)
			for _, v := range c.Values {
				if v.Kind != KindBool {
					n.bytes += len(v.Text)
				}
			}
		}
	}
	k := &packer{
		texts:      make([]Text, 0, n.texts),
		principals: make([]Principal, 0, n.principals),
		entries:    make([]PrincipalEntry, 0, n.entries),
		conds:      make([]Condition, 0, n.conds),
		condPtrs:   make([]*Condition, 0, n.conds),
		vals:       make([]CondValue, 0, n.vals),
	}
	k.b.Grow(n.bytes)
	doc.IDElement = k.str(doc.IDElement)
	d := p.newDocument()
	doc.Statements = d.Statements
	*d = doc
	for _, st := range d.Statements {
		k.statement(st)
	}
	return d
}

// oneStatement is the storage of a document of one statement, the usual
// kind, in one allocation.
type oneStatement struct {
	doc  Document
	ptrs [1]*Statement
	st   Statement
}

// newDocument allocates a Document whose Statements are those parsed, the
// first of which the parser kept inside itself: it moves out, together with
// the document when it is the only one.
func (p *parser) newDocument() *Document {
	switch len(p.stmts) {
	case 0:
		return &Document{}
	case 1:
		s := &oneStatement{st: p.firstStmt}
		s.ptrs[0] = &s.st
		s.doc.Statements = s.ptrs[:]
		return &s.doc
	}
	first := new(Statement)
	*first = p.firstStmt
	d := &Document{Statements: make([]*Statement, len(p.stmts))}
	copy(d.Statements, p.stmts)
	d.Statements[0] = first
	return d
}

// packer holds the arrays pack fills, each with room for all it gets, and
// the string all the text goes in.
type packer struct {
	texts      []Text
	principals []Principal
	entries    []PrincipalEntry
	conds      []Condition
	condPtrs   []*Condition
	vals       []CondValue
	b          strings.Builder
}

// str copies s into the packed string and returns the copy. The builder has
// room for every string from the start and never grows, so what String
// returned before stays as it was: the copy is the part just written.
func (k *packer) str(s string) string {
	start := k.b.Len()
	k.b.WriteString(s)
	return k.b.String()[start:]
}

// statement moves what st holds into the packer's arrays.
func (k *packer) statement(st *Statement) {
	st.Sid = k.str(st.Sid)
	st.Action = k.textList(st.Action)
	st.NotAction = k.textList(st.NotAction)
	st.Resource = k.textList(st.Resource)
	st.NotResource = k.textList(st.NotResource)
	st.Principal = k.principal(st.Principal)
	st.NotPrincipal = k.principal(st.NotPrincipal)
	if st.Conditions == nil {
		return
	}
	start := len(k.condPtrs)
	for i, c := range st.Conditions {
		k.conds = append(k.conds, *c)
		moved := &k.conds[len(k.conds)-1]
		if i > 0 && c.Operator == st.Conditions[i-1].Operator {
			moved.Operator = k.condPtrs[len(k.condPtrs)-1].Operator
		} else {
			moved.Operator = k.str(c.Operator)
		}
		moved.Key = k.str(c.Key)
		if c.Values != nil {
			first := len(k.vals)
			for _, v := range c.Values {
				if v.Kind != KindBool {
					v.Text = k.str(v.Text)
				}
				k.vals = append(k.vals, v)
			}
			moved.Values = k.vals[first:len(k.vals):len(k.vals)]
		}
		k.condPtrs = append(k.condPtrs, moved)
	}
	st.Conditions = k.condPtrs[start:len(k.condPtrs):len(k.condPtrs)]
}

// textList moves a list: nil stays nil, and the copy is a slice that a
// later append reallocates.
func (k *packer) textList(list []Text) []Text {
	if list == nil {
		return nil
	}
	first := len(k.texts)
	for _, t := range list {
		k.texts = append(k.texts, Text{Value: k.str(t.Value), Pos: t.Pos})
	}
	return k.texts[first:len(k.texts):len(k.texts)]
}

func (k *packer) principal(pr *Principal) *Principal {
	if pr == nil {
		return nil
	}
	k.principals = append(k.principals, Principal{Any: pr.Any})
	moved := &k.principals[len(k.principals)-1]
	if pr.Entries != nil {
		first := len(k.entries)
		for _, e := range pr.Entries {
			e.Value = k.str(e.Value)
			k.entries = append(k.entries, e)
		}
		moved.Entries = k.entries[first:len(k.entries):len(k.entries)]
	}
	return moved
}
