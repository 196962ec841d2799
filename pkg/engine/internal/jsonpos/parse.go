package jsonpos

import (
	"fmt"
	"unicode/utf8"
)

// DefaultMaxDepth is the nesting limit used when [Limits.MaxDepth] is zero.
const DefaultMaxDepth = 64

// Limits bounds the work [Parse] does on untrusted input. A zero or negative
// field takes its default: MaxDepth [DefaultMaxDepth], MaxBytes unlimited.
type Limits struct {
	// MaxDepth is how many arrays and objects may nest: with MaxDepth 1,
	// `[1]` is accepted and `[[1]]` is not. Scalars add no depth.
	MaxDepth int
	// MaxBytes is the largest accepted input, in bytes.
	MaxBytes int
}

// dupIndexAt is the member count from which duplicate keys are found with a
// map instead of a linear scan, to keep large objects linear.
const dupIndexAt = 16

// Parse parses src as exactly one JSON value and returns its tree. On failure
// it returns nil and a [*SyntaxError]; the first problem in the text stops
// parsing.
func Parse(src []byte, lim Limits) (*Value, error) {
	if lim.MaxBytes > 0 && len(src) > lim.MaxBytes {
		return nil, &SyntaxError{Pos: Pos{Line: 1, Col: 1},
			Msg: fmt.Sprintf("input is %d bytes, more than the limit of %d bytes", len(src), lim.MaxBytes)}
	}
	if msg := checkEncoding(src); msg != "" {
		return nil, &SyntaxError{Pos: Pos{Line: 1, Col: 1}, Msg: msg}
	}
	p := newParser(src, lim)
	p.skipSpace()
	v := p.newValue()
	if err := p.value(v, 0); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.off < len(src) {
		return nil, p.errExpected(p.off, "end of input after top-level value")
	}
	return v, nil
}

// checkEncoding rejects a leading byte order mark, which AWS IAM rejects
// too, with a message that says how to fix it. A UTF-16 one means the whole
// document is in the wrong encoding.
func checkEncoding(src []byte) string {
	switch {
	case len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF:
		return "input starts with a UTF-8 byte order mark (U+FEFF), which is not allowed; save the document without it"
	case len(src) >= 2 && (src[0] == 0xFE && src[1] == 0xFF || src[0] == 0xFF && src[1] == 0xFE):
		return "input starts with a UTF-16 byte order mark; save the document as UTF-8 without a byte order mark"
	}
	return ""
}

// parser holds the state of one Parse call.
type parser struct {
	src      []byte
	str      string // src copied once; strings without escapes and numbers are slices of it
	off      int    // next byte to read
	maxDepth int

	// Position tracking. line is the current line and lineStart the offset
	// where it begins; col is the column of offset colOff, a cache that makes
	// the positions of successive values cost O(n) in total.
	line, lineStart int
	colOff, col     int

	// Slabs: Values, Elems and Members are carved from shared chunks to keep
	// allocations few. The first chunks are sized from the input length, the
	// next ones double.
	vals      []Value
	valsChunk int
	ptrs      []*Value
	mems      []Member

	// Scratch stacks holding the elements and members of the containers
	// being parsed; a container copies its part out when it closes. They
	// start in the arrays below, which cover typical policies.
	elemStack []*Value
	memStack  []Member
	elemArr   [32]*Value
	memArr    [32]Member

	buf []byte // scratch for decoding strings with escapes
}

func newParser(src []byte, lim Limits) *parser {
	p := &parser{
		src:      src,
		str:      string(src),
		maxDepth: lim.MaxDepth,
		line:     1,
		col:      1,
	}
	if p.maxDepth <= 0 {
		p.maxDepth = DefaultMaxDepth
	}
	// A pretty-printed policy has about one value per 35 bytes, one member
	// per 50 and one array element per 100; compact JSON has more, and
	// gets more chunks.
	p.valsChunk = min(max(len(src)/32, 8), 1024)
	p.ptrs = make([]*Value, 0, min(max(len(src)/96, 8), 1024))
	p.mems = make([]Member, 0, min(max(len(src)/48, 8), 1024))
	p.elemStack, p.memStack = p.elemArr[:0], p.memArr[:0]
	return p
}

// skipSpace skips JSON whitespace, counting lines.
func (p *parser) skipSpace() {
	src := p.src
	for p.off < len(src) {
		switch src[p.off] {
		case ' ', '\t':
			p.off++
		case '\n':
			p.off++
			p.newline()
		case '\r':
			p.off++
			if p.off < len(src) && src[p.off] == '\n' {
				p.off++
			}
			p.newline()
		default:
			return
		}
	}
}

func (p *parser) newline() {
	p.line++
	p.lineStart, p.colOff, p.col = p.off, p.off, 1
}

// pos returns the position of offset off, which must lie on the current
// line. Offsets asked for only grow, so counting runes from the cached colOff
// keeps the total work linear; should one ever go back, it counts from the
// start of the line instead.
func (p *parser) pos(off int) Pos {
	if off < p.colOff {
		p.colOff, p.col = p.lineStart, 1
	}
	p.col += utf8.RuneCount(p.src[p.colOff:off])
	p.colOff = off
	return Pos{Offset: off, Line: p.line, Col: p.col}
}

// mark remembers an offset on the current line so that an error can point
// back at it after whitespace (and line breaks) have been skipped.
type mark struct{ off, line, lineStart int }

func (p *parser) mark() mark { return mark{p.off, p.line, p.lineStart} }

func (p *parser) posOf(m mark) Pos {
	return Pos{Offset: m.off, Line: m.line, Col: 1 + utf8.RuneCount(p.src[m.lineStart:m.off])}
}

func (p *parser) newValue() *Value {
	if len(p.vals) == 0 {
		p.vals = make([]Value, p.valsChunk)
		p.valsChunk = min(2*p.valsChunk, 4096)
	}
	v := &p.vals[0]
	p.vals = p.vals[1:]
	return v
}

// value parses the value at p.off into v. depth is the number of containers
// enclosing it.
func (p *parser) value(v *Value, depth int) error {
	if p.off >= len(p.src) {
		return p.errAt(p.off, "unexpected end of input, expected a value")
	}
	v.Pos = p.pos(p.off)
	switch c := p.src[p.off]; {
	case c == '"':
		v.Kind = String
		s, err := p.string()
		v.Str = s
		return err
	case c == '{':
		return p.object(v, depth+1)
	case c == '[':
		return p.array(v, depth+1)
	case c == '-' || isDigit(c):
		v.Kind = Number
		return p.number(v)
	case isWordByte(c):
		return p.literal(v)
	default:
		return p.errValueStart(p.off)
	}
}

func (p *parser) array(v *Value, depth int) error {
	if depth > p.maxDepth {
		return p.errAt(p.off, "exceeded maximum nesting depth of %d", p.maxDepth)
	}
	v.Kind = Array
	p.off++ // '['
	p.skipSpace()
	if p.off < len(p.src) && p.src[p.off] == ']' {
		p.off++
		return nil
	}
	base := len(p.elemStack)
	for {
		e := p.newValue()
		if err := p.value(e, depth); err != nil {
			return err
		}
		p.elemStack = append(p.elemStack, e)
		p.skipSpace()
		if p.off >= len(p.src) {
			return p.errExpected(p.off, "',' or ']' after array element")
		}
		switch p.src[p.off] {
		case ',':
			comma := p.mark()
			p.off++
			p.skipSpace()
			if p.off < len(p.src) && p.src[p.off] == ']' {
				return p.errTrailingComma(comma, ']')
			}
		case ']':
			p.off++
			v.Elems = p.takeElems(base)
			return nil
		default:
			return p.errExpected(p.off, "',' or ']' after array element")
		}
	}
}

func (p *parser) object(v *Value, depth int) error {
	if depth > p.maxDepth {
		return p.errAt(p.off, "exceeded maximum nesting depth of %d", p.maxDepth)
	}
	v.Kind = Object
	p.off++ // '{'
	p.skipSpace()
	if p.off < len(p.src) && p.src[p.off] == '}' {
		p.off++
		return nil
	}
	if p.off >= len(p.src) || p.src[p.off] != '"' {
		return p.errKey(p.off, "string key or '}' after '{'")
	}
	base := len(p.memStack)
	var index map[string]int // key → index in memStack, once the object is large
	for {
		if err := p.member(base, depth, &index); err != nil {
			return err
		}
		p.skipSpace()
		if p.off >= len(p.src) {
			return p.errExpected(p.off, "',' or '}' after object member")
		}
		switch p.src[p.off] {
		case ',':
			comma := p.mark()
			p.off++
			p.skipSpace()
			if p.off < len(p.src) && p.src[p.off] == '}' {
				return p.errTrailingComma(comma, '}')
			}
			if p.off >= len(p.src) || p.src[p.off] != '"' {
				return p.errKey(p.off, "string key after ','")
			}
		case '}':
			p.off++
			v.Members = p.takeMembers(base)
			return nil
		default:
			return p.errExpected(p.off, "',' or '}' after object member")
		}
	}
}

// member parses one key/value pair at p.off, which is a '"', and pushes it on
// memStack. base and index are those of the enclosing object.
func (p *parser) member(base, depth int, index *map[string]int) error {
	keyPos := p.pos(p.off)
	key, err := p.string()
	if err != nil {
		return err
	}
	if err := p.checkDuplicate(base, key, keyPos, index); err != nil {
		return err
	}
	p.skipSpace()
	if p.off >= len(p.src) || p.src[p.off] != ':' {
		return p.errExpected(p.off, "':' after object key")
	}
	p.off++
	p.skipSpace()
	val := p.newValue()
	if err := p.value(val, depth); err != nil {
		return err
	}
	if *index != nil {
		(*index)[key] = len(p.memStack)
	}
	p.memStack = append(p.memStack, Member{Key: key, KeyPos: keyPos, Value: val})
	return nil
}

// checkDuplicate reports key if the object whose members start at
// memStack[base] already has it. Small objects are scanned; from dupIndexAt
// members on, *index maps keys to their members.
func (p *parser) checkDuplicate(base int, key string, keyPos Pos, index *map[string]int) error {
	first := -1
	switch {
	case *index != nil:
		if i, ok := (*index)[key]; ok {
			first = i
		}
	case len(p.memStack)-base < dupIndexAt:
		for i := base; i < len(p.memStack); i++ {
			if p.memStack[i].Key == key {
				first = i
				break
			}
		}
	default:
		m := make(map[string]int, 2*dupIndexAt)
		for i := base; i < len(p.memStack); i++ {
			m[p.memStack[i].Key] = i
		}
		*index = m
		return p.checkDuplicate(base, key, keyPos, index)
	}
	if first < 0 {
		return nil
	}
	fp := p.memStack[first].KeyPos
	return &SyntaxError{Pos: keyPos, Msg: fmt.Sprintf("duplicate key %q (first at line %d, column %d)",
		truncate(key), fp.Line, fp.Col)}
}

// takeElems moves elemStack[base:] into a slice carved from the pointer slab.
func (p *parser) takeElems(base int) []*Value {
	n := len(p.elemStack) - base
	if cap(p.ptrs)-len(p.ptrs) < n {
		p.ptrs = make([]*Value, 0, max(n, 2*cap(p.ptrs), 16))
	}
	l := len(p.ptrs)
	p.ptrs = append(p.ptrs, p.elemStack[base:]...)
	p.elemStack = p.elemStack[:base]
	return p.ptrs[l : l+n : l+n]
}

// takeMembers moves memStack[base:] into a slice carved from the member slab.
func (p *parser) takeMembers(base int) []Member {
	n := len(p.memStack) - base
	if cap(p.mems)-len(p.mems) < n {
		p.mems = make([]Member, 0, max(n, 2*cap(p.mems), 16))
	}
	l := len(p.mems)
	p.mems = append(p.mems, p.memStack[base:]...)
	p.memStack = p.memStack[:base]
	return p.mems[l : l+n : l+n]
}
