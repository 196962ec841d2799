package engine

// typedMemoSize is how many request values one decision remembers parsed.
// A decision compares few keys as IP addresses, numbers or dates
// (aws:SourceIp, aws:CurrentTime, aws:EpochTime, aws:MultiFactorAuthAge);
// beyond these, a value is parsed where it is compared.
const typedMemoSize = 4

// A typedMemo holds the parsed forms of the single values one decision has
// compared as IP addresses, numbers or dates, so that a value tested by many
// conditions is parsed once per decision. It belongs to the decision, not to
// the Context: a context may be read by concurrent decisions, so parsing on
// first use cannot write into it, and a context then costs nothing to fill
// beyond storing its strings. Within one decision the context does not
// change, so an entry's address identifies its value.
type typedMemo struct {
	n       int
	entries [typedMemoSize]*contextEntry
	values  [typedMemoSize]typedValue
}

// of returns the parsed forms of a single-valued entry with the form
// family fam compares parsed, parsing it on first use in this decision: an
// IP address is not also read as a number and a date. It returns nil when
// the family compares no parsed form, or when the memo is full and the
// operator is to parse the text itself.
func (m *typedMemo) of(e *contextEntry, fam opFamily) *typedValue {
	var f typedForm
	switch fam {
	case famIP:
		f = formIP
	case famNumeric:
		f = formNum
	case famDate:
		f = formDate
	default:
		return nil
	}
	i := 0
	for i < m.n && m.entries[i] != e {
		i++
	}
	if i == typedMemoSize {
		return nil
	}
	if i == m.n {
		m.entries[i], m.values[i] = e, typedValue{}
		m.n++
	}
	m.values[i].parseForm(e.values[0], f)
	return &m.values[i]
}
