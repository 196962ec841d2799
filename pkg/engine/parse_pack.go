package engine

import "strings"

// pack moves what the statements of a parsed document hold into a few
// allocations of the exact size: their Text lists, principals, principal
// entries, conditions and condition values each in one array, and every
// string in one. A server keeps a Document per policy for as long as the
// policy exists, so its size is what counts; and the strings no longer hold
// on to the policy's text, of which they are slices until now.
func (p *parser) pack(doc *Document) {
	var n struct{ texts, principals, entries, conds, vals int }
	for _, st := range p.stmts {
		n.texts += len(st.Action) + len(st.NotAction) + len(st.Resource) + len(st.NotResource)
		for _, pr := range [...]*Principal{st.Principal, st.NotPrincipal} {
			if pr != nil {
				n.principals++
				n.entries += len(pr.Entries)
			}
		}
		n.conds += len(st.Conditions)
		for _, c := range st.Conditions {
			n.vals += len(c.Values)
		}
	}
	ptrs := make([]*Statement, len(p.stmts))
	texts := make([]Text, 0, n.texts)
	principals := make([]Principal, 0, n.principals)
	entries := make([]PrincipalEntry, 0, n.entries)
	conds := make([]Condition, 0, n.conds)
	condPtrs := make([]*Condition, 0, n.conds)
	vals := make([]CondValue, 0, n.vals)
	for i, st := range p.stmts {
		st.Action = moveSlice(&texts, st.Action)
		st.NotAction = moveSlice(&texts, st.NotAction)
		st.Resource = moveSlice(&texts, st.Resource)
		st.NotResource = moveSlice(&texts, st.NotResource)
		for _, pr := range [...]**Principal{&st.Principal, &st.NotPrincipal} {
			if *pr != nil {
				principals = append(principals, **pr)
				moved := &principals[len(principals)-1]
				moved.Entries = moveSlice(&entries, moved.Entries)
				*pr = moved
			}
		}
		if st.Conditions != nil {
			start := len(condPtrs)
			for _, c := range st.Conditions {
				conds = append(conds, *c)
				moved := &conds[len(conds)-1]
				moved.Values = moveSlice(&vals, c.Values)
				condPtrs = append(condPtrs, moved)
			}
			st.Conditions = condPtrs[start:len(condPtrs):len(condPtrs)]
		}
		ptrs[i] = st
	}
	doc.Statements = ptrs
	packStrings(doc)
}

// moveSlice appends s to *dst, which has room for it, and returns the copy:
// nil for nil, and a slice that a later append reallocates.
func moveSlice[T any](dst *[]T, s []T) []T {
	if s == nil {
		return nil
	}
	k := len(*dst)
	*dst = append(*dst, s...)
	return (*dst)[k:len(*dst):len(*dst)]
}

// packStrings copies every string of the document into one, and points the
// fields into it. Version is already one of the two constants, principal
// types are the constants of principalTypes, and boolean condition values
// "true" or "false": those stay as they are.
func packStrings(doc *Document) {
	total := 0
	visitStrings(doc, func(s *string) { total += len(*s) })
	var b strings.Builder
	b.Grow(total)
	visitStrings(doc, func(s *string) {
		// b never grows again, so what String returned before stays as it
		// is: the new string is the part just written.
		start := b.Len()
		b.WriteString(*s)
		*s = b.String()[start:]
	})
}

// visitStrings calls visit for each string of doc that packStrings copies,
// always in the same order. The operator of a condition is often that of
// the one before (one operator, several keys): it is then shared, not
// visited.
func visitStrings(doc *Document, visit func(*string)) {
	visit(&doc.IDElement)
	for _, st := range doc.Statements {
		visit(&st.Sid)
		for _, list := range [...][]Text{st.Action, st.NotAction, st.Resource, st.NotResource} {
			for i := range list {
				visit(&list[i].Value)
			}
		}
		for _, pr := range [...]*Principal{st.Principal, st.NotPrincipal} {
			if pr == nil {
				continue
			}
			for i := range pr.Entries {
				visit(&pr.Entries[i].Value)
			}
		}
		for i, c := range st.Conditions {
			if i > 0 && c.Operator == st.Conditions[i-1].Operator {
				c.Operator = st.Conditions[i-1].Operator
			} else {
				visit(&c.Operator)
			}
			visit(&c.Key)
			for j := range c.Values {
				if c.Values[j].Kind != KindBool {
					visit(&c.Values[j].Text)
				}
			}
		}
	}
}
