package policycheck

import (
	"context"
	"encoding/binary"
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

// hopeless reports whether no continuation can make e true, given which
// languages are still alive (a live state set can always reach
// acceptance, since every token takes some symbol): a dead language is
// false from here on, a live one may end either way.
func (e *expr) hopeless(alive []bool) bool { return e.future(alive) == triFalse }

type tri uint8

const (
	triFalse tri = iota
	triTrue
	triMaybe
)

func (e *expr) future(alive []bool) tri {
	switch e.op {
	case opLeaf:
		if alive[e.leaf] {
			return triMaybe
		}
		return triFalse
	case opNot:
		switch e.args[0].future(alive) {
		case triFalse:
			return triTrue
		case triTrue:
			return triFalse
		}
		return triMaybe
	case opAnd:
		out := triTrue
		for _, a := range e.args {
			switch a.future(alive) {
			case triFalse:
				return triFalse
			case triMaybe:
				out = triMaybe
			}
		}
		return out
	default:
		out := triFalse
		for _, a := range e.args {
			switch a.future(alive) {
			case triTrue:
				return triTrue
			case triMaybe:
				out = triMaybe
			}
		}
		return out
	}
}

// maxProductStates bounds the exploration of one query, as do the words
// of its state sets and the check's budget (budget.go); a query that needs
// more is undecided, and the checks then fail closed.
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

// A machine is a lang compiled for one alphabet into bit-parallel form
// (the shift-and technique): bit j of a state set is position j, before
// token j; bit n is the end. Stepping over a symbol shifts the positions
// whose token takes it, keeps those of star tokens that take it, then
// closes over star tokens, which may be skipped.
type machine struct {
	n, words, off int        // positions 0..n; words per state set; offset in a node
	accept        [][]uint64 // by symbol index: positions whose token takes it
	star          []uint64   // positions of star tokens
	never         bool
}

func compile(l *lang, alphabet []int, off int) machine {
	m := machine{n: len(l.toks), words: (len(l.toks) + 64) / 64, off: off, never: l.never}
	m.star = make([]uint64, m.words)
	m.accept = make([][]uint64, len(alphabet))
	for k := range alphabet {
		m.accept[k] = make([]uint64, m.words)
	}
	for j, t := range l.toks {
		if t.star {
			m.star[j/64] |= 1 << (j % 64)
		}
		for k, sym := range alphabet {
			if t.lit == sym || (t.lit < 0 && t.class.accepts(sym)) {
				m.accept[k][j/64] |= 1 << (j % 64)
			}
		}
	}
	return m
}

// start writes the initial state set into s.
func (m *machine) start(s []uint64) {
	if m.never {
		return
	}
	s[0] = 1
	m.close(s)
}

// close adds every position reachable by skipping star tokens.
func (m *machine) close(s []uint64) {
	for {
		changed := false
		var carry uint64
		for w := range s {
			add := (s[w]&m.star[w])<<1 | carry
			carry = (s[w] & m.star[w]) >> 63
			if add&^s[w] != 0 {
				s[w] |= add
				changed = true
			}
		}
		if !changed {
			return
		}
	}
}

// step writes into dst the state set after symbol index k from src.
func (m *machine) step(dst, src []uint64, k int) {
	var carry uint64
	acc := m.accept[k]
	for w := range src {
		took := src[w] & acc[w]
		moved := took &^ m.star[w]
		dst[w] = moved<<1 | carry | took&m.star[w]
		carry = moved >> 63
	}
	if last := m.n % 64; last != 63 { // nothing lies past the end
		dst[len(dst)-1] &= 1<<(last+1) - 1
	}
	m.close(dst)
}

func (m *machine) accepts(s []uint64) bool { return s[m.n/64]&(1<<(m.n%64)) != 0 }

func (m *machine) alive(s []uint64) bool {
	for _, w := range s {
		if w != 0 {
			return true
		}
	}
	return false
}

// witness finds a string of the combined language by a breadth-first
// search of the product of the automata. found is false when the language
// is empty; decided is false when the search hit its bound, ran out of
// the check's budget, or ctx ended (then b.err is set). The witness
// spells symOther as a character no language names, and a variable as
// ${name}.
func (q *query) witness(ctx context.Context, b *budget, vs *vars) (w string, found, decided bool) {
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

	width := 0
	for i := range q.langs {
		width += (len(q.langs[i].toks) + 64) / 64
	}
	// Compiling costs a word per symbol of every machine, a step of a
	// state as much; the states kept fit in the query's words.
	step := int64(len(alphabet)) * int64(width)
	if b.stopped(ctx) || !b.spend(step) {
		return "", false, false
	}
	maxStates := min(maxProductStates, max(1, b.queryWords/width))
	ms := make([]machine, len(q.langs))
	for i, off := 0, 0; i < len(q.langs); i++ {
		ms[i] = compile(&q.langs[i], alphabet, off)
		off += ms[i].words
	}
	// Nodes are state sets of every machine side by side in one arena.
	arena := make([]uint64, width, width*64)
	for i := range ms {
		ms[i].start(arena[ms[i].off : ms[i].off+ms[i].words])
	}
	type link struct{ prev, sym int }
	links := []link{{prev: -1}}
	seen := map[string]bool{}
	var key []byte
	key = appendKey(key[:0], arena[:width])
	seen[string(key)] = true

	acc := make([]bool, len(ms))
	alive := make([]bool, len(ms))
	next := make([]uint64, width)
	for n := 0; n < len(links); n++ {
		if !b.spend(step) || n%256 == 255 && b.stopped(ctx) {
			return "", false, false
		}
		cur := arena[n*width : (n+1)*width]
		for i := range ms {
			acc[i] = ms[i].accepts(cur[ms[i].off : ms[i].off+ms[i].words])
		}
		if q.e.eval(acc) {
			var rev []int
			for k := n; links[k].prev >= 0; k = links[k].prev {
				rev = append(rev, alphabet[links[k].sym])
			}
			slices.Reverse(rev)
			return spell(rev, vs, other), true, true
		}
		for k := range alphabet {
			for i := range ms {
				m := &ms[i]
				m.step(next[m.off:m.off+m.words], cur[m.off:m.off+m.words], k)
				alive[i] = m.alive(next[m.off : m.off+m.words])
			}
			if q.e.hopeless(alive) {
				continue
			}
			key = appendKey(key[:0], next)
			if seen[string(key)] {
				continue
			}
			if len(links) >= maxStates {
				return "", false, false
			}
			seen[string(key)] = true
			arena = append(arena, next...)
			cur = arena[n*width : (n+1)*width] // the arena may have moved
			links = append(links, link{prev: n, sym: k})
		}
	}
	return "", false, true
}

func appendKey(b []byte, ws []uint64) []byte {
	for _, w := range ws {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return b
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
