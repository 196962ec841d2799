package policycheck

import (
	"slices"
	"strings"
)

// Symbols are the letters of the automata: a byte, symOther for any byte
// that no automaton names, or symVar+k for the k-th policy variable.
const (
	symOther = 256
	symVar   = 257
)

// class is what a non-literal token accepts.
type class uint8

const (
	classAny        class = iota // '*' of a pattern: anything, variables too
	classReal                    // '?' of a pattern: one real character, not a variable
	classNoSlashCol              // ${Placeholder} of an ARN format
	classNoColon                 // literal '*' of an ARN format ("apps/*")
)

func (c class) accepts(sym int) bool {
	switch c {
	case classAny:
		return true
	case classReal:
		return sym < symVar
	case classNoSlashCol:
		return sym != '/' && sym != ':'
	case classNoColon:
		return sym != ':'
	}
	return false
}

// A token is one step of an automaton: a literal symbol, one symbol of a
// class, or any number of symbols of a class (star).
type token struct {
	lit   int // symbol, when class is unused (lit >= 0)
	class class
	star  bool
}

// A lang is a regular set of strings given as a token sequence; never
// marks the empty set (a pattern that can match nothing in its role).
type lang struct {
	toks  []token
	never bool
}

// vars numbers the policy variables met while building languages, so that
// the same variable is the same symbol in every automaton of one check.
type vars struct{ names []string }

func (v *vars) symbol(name string) int {
	i := slices.Index(v.names, name)
	if i < 0 {
		v.names = append(v.names, name)
		i = len(v.names) - 1
	}
	return symVar + i
}

// varMode says what a policy variable "${...}" in a Resource pattern
// stands for in the role the pattern plays in a check.
type varMode uint8

const (
	varLiteral varMode = iota // no variables (legacy policy version): "${" is text
	varSymbol                 // one unknown value, the same wherever it appears
	varAny                    // anything: for access that may be granted
	varNone                   // the pattern matches nothing: for access that must be proven
)

// patternLang builds the language of a Resource pattern: '*' matches any
// string, '?' one character, the rest literally (ARNs are case-sensitive).
func patternLang(p string, mode varMode, vs *vars) lang {
	var l lang
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '$' && mode != varLiteral && i+1 < len(p) && p[i+1] == '{' {
			if end := strings.IndexByte(p[i:], '}'); end > 0 {
				name := p[i+2 : i+end]
				i += end
				if v, ok := specialVariable(name); ok {
					l.toks = append(l.toks, token{lit: int(v)})
					continue
				}
				switch mode {
				case varAny:
					l.toks = append(l.toks, token{lit: -1, class: classAny, star: true})
				case varNone:
					return lang{never: true}
				default:
					l.toks = append(l.toks, token{lit: vs.symbol(strings.ToLower(name))})
				}
				continue
			}
		}
		switch c {
		case '*':
			l.toks = append(l.toks, token{lit: -1, class: classAny, star: true})
		case '?':
			l.toks = append(l.toks, token{lit: -1, class: classReal})
		default:
			l.toks = append(l.toks, token{lit: int(c)})
		}
	}
	return l
}

// specialVariable gives the character that ${*}, ${?} and ${$} stand for.
func specialVariable(name string) (byte, bool) {
	if len(name) == 1 && strings.ContainsRune("*?$", rune(name[0])) {
		return name[0], true
	}
	return 0, false
}

// formatLang builds the language of a catalog ARN format: ${Placeholder}
// is one or more characters other than '/' and ':', a literal '*' one or
// more characters other than ':' (see pkg/catalog's matching rules).
func formatLang(f string) lang {
	var l lang
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c == '$' && i+1 < len(f) && f[i+1] == '{' {
			if end := strings.IndexByte(f[i:], '}'); end > 0 {
				i += end
				l.toks = append(l.toks, token{lit: -1, class: classNoSlashCol}, token{lit: -1, class: classNoSlashCol, star: true})
				continue
			}
		}
		if c == '*' {
			l.toks = append(l.toks, token{lit: -1, class: classNoColon}, token{lit: -1, class: classNoColon, star: true})
			continue
		}
		l.toks = append(l.toks, token{lit: int(c)})
	}
	return l
}

// literalLang is the language of one string.
func literalLang(s string) lang {
	l := lang{toks: make([]token, len(s))}
	for i := range len(s) {
		l.toks[i] = token{lit: int(s[i])}
	}
	return l
}

// states is a set of positions in a token sequence (0..len).
type states []bool

func (l *lang) start() states {
	if l.never {
		return nil
	}
	return l.closure(states(make([]bool, len(l.toks)+1)), 0)
}

// closure adds position i and every position reachable from it by
// skipping star tokens.
func (l *lang) closure(s states, i int) states {
	for {
		s[i] = true
		if i == len(l.toks) || !l.toks[i].star {
			return s
		}
		i++
	}
}

func (l *lang) step(s states, sym int) states {
	if s == nil {
		return nil
	}
	next := states(make([]bool, len(s)))
	any := false
	for i, in := range s {
		if !in || i == len(l.toks) {
			continue
		}
		t := l.toks[i]
		ok := t.lit == sym || (t.lit < 0 && t.class.accepts(sym))
		if !ok {
			continue
		}
		any = true
		if t.star {
			l.closure(next, i)
		} else {
			l.closure(next, i+1)
		}
	}
	if !any {
		return nil
	}
	return next
}

func (l *lang) accepts(s states) bool { return s != nil && s[len(l.toks)] }

func (l *lang) symbols(into map[int]bool) {
	for _, t := range l.toks {
		if t.lit >= 0 {
			into[t.lit] = true
		}
	}
}

// An expr is a boolean combination of languages: a leaf (index into the
// languages of a query), or not/and/or of sub-expressions.
type expr struct {
	op   exprOp
	leaf int
	args []*expr
}

type exprOp uint8

const (
	opLeaf exprOp = iota
	opNot
	opAnd
	opOr
)

func leafExpr(i int) *expr      { return &expr{op: opLeaf, leaf: i} }
func notExpr(e *expr) *expr     { return &expr{op: opNot, args: []*expr{e}} }
func andExpr(es ...*expr) *expr { return &expr{op: opAnd, args: es} }
func orExpr(es ...*expr) *expr  { return &expr{op: opOr, args: es} }

func (e *expr) eval(in []bool) bool {
	switch e.op {
	case opLeaf:
		return in[e.leaf]
	case opNot:
		return !e.args[0].eval(in)
	case opAnd:
		for _, a := range e.args {
			if !a.eval(in) {
				return false
			}
		}
		return true
	default:
		for _, a := range e.args {
			if a.eval(in) {
				return true
			}
		}
		return false
	}
}

// maxProductStates bounds the exploration of one query; a query that
// needs more is undecided, and the checks then fail closed.
const maxProductStates = 20000

// A query asks whether a boolean combination of languages holds a string.
type query struct {
	langs []lang
	e     *expr
}

func (q *query) add(l lang) int {
	q.langs = append(q.langs, l)
	return len(q.langs) - 1
}

// witness finds a string of the combined language. found is false when
// the language is empty; decided is false when the search hit its bound.
// The witness spells symOther as a character no language names, and a
// variable as ${name}.
func (q *query) witness(vs *vars) (w string, found, decided bool) {
	syms := map[int]bool{':': true, '/': true, symOther: true}
	for i := range q.langs {
		q.langs[i].symbols(syms)
	}
	for i := range vs.names {
		syms[symVar+i] = true
	}
	alphabet := make([]int, 0, len(syms))
	for s := range syms {
		alphabet = append(alphabet, s)
	}
	// symOther first, so that witnesses read "apps/x" rather than "apps/1".
	slices.SortFunc(alphabet, func(a, b int) int {
		if a == symOther || b == symOther {
			return boolInt(b == symOther) - boolInt(a == symOther)
		}
		return a - b
	})
	other := otherByte(syms)

	type node struct {
		st   []states
		prev int
		sym  int
	}
	first := make([]states, len(q.langs))
	for i := range q.langs {
		first[i] = q.langs[i].start()
	}
	nodes := []node{{st: first, prev: -1}}
	seen := map[string]bool{stateKey(first): true}
	acc := make([]bool, len(q.langs))
	for n := 0; n < len(nodes); n++ {
		cur := nodes[n]
		for i := range q.langs {
			acc[i] = q.langs[i].accepts(cur.st[i])
		}
		if q.e.eval(acc) {
			var rev []int
			for k := n; nodes[k].prev >= 0; k = nodes[k].prev {
				rev = append(rev, nodes[k].sym)
			}
			slices.Reverse(rev)
			return spell(rev, vs, other), true, true
		}
		for _, sym := range alphabet {
			next := make([]states, len(q.langs))
			for i := range q.langs {
				next[i] = q.langs[i].step(cur.st[i], sym)
			}
			k := stateKey(next)
			if seen[k] {
				continue
			}
			if len(nodes) >= maxProductStates {
				return "", false, false
			}
			seen[k] = true
			nodes = append(nodes, node{st: next, prev: n, sym: sym})
		}
	}
	return "", false, true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// otherByte picks a character to stand for symOther in witnesses: one that
// no automaton names, so the witness means what the search found.
func otherByte(syms map[int]bool) byte {
	for _, c := range []byte("xyzqjkwv0123456789") {
		if !syms[int(c)] {
			return c
		}
	}
	return '_'
}

// spell writes a string of symbols as text, other standing for symOther.
func spell(syms []int, vs *vars, other byte) string {
	var b strings.Builder
	for _, s := range syms {
		switch {
		case s == symOther:
			b.WriteByte(other)
		case s >= symVar:
			b.WriteString("${" + vs.names[s-symVar] + "}")
		default:
			b.WriteByte(byte(s))
		}
	}
	return b.String()
}

func stateKey(st []states) string {
	var b strings.Builder
	for _, s := range st {
		if s == nil {
			b.WriteByte('-')
		}
		for _, in := range s {
			if in {
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		}
		b.WriteByte('|')
	}
	return b.String()
}
