package jsonpos

import (
	"fmt"
	"unicode/utf8"
	"unsafe"
)

// DefaultMaxDepth is the nesting limit used when [Limits.MaxDepth] is zero.
const DefaultMaxDepth = 64

// Limits bounds the work [Parse] and a [Decoder] do on untrusted input. A
// zero or negative field takes its default: MaxDepth [DefaultMaxDepth],
// MaxBytes unlimited.
type Limits struct {
	// MaxDepth is how many arrays and objects may nest: with MaxDepth 1,
	// `[1]` is accepted and `[[1]]` is not. Scalars add no depth.
	MaxDepth int
	// MaxBytes is the largest accepted input, in bytes.
	MaxBytes int
	// DuplicateKeys accepts a key that its object already has, for a caller
	// that reports duplicates in its own words (naming the entity or field
	// they are in): Parse then keeps every member, and [Value.Get] finds the
	// first. Off, a duplicate key is a [*SyntaxError].
	DuplicateKeys bool
}

// dupIndexAt is the member count from which duplicate keys are found with a
// map instead of a linear scan, to keep large objects linear.
const dupIndexAt = 16

// A Decoder reads one JSON value piece by piece, in text order, with every
// check of [Parse]: a caller that walks the whole value (reading or skipping
// each part) meets exactly the error Parse would return, at the same
// position, and a walk that meets none has read acceptable JSON. It lets a
// caller build its own types without a [Value] tree in between.
//
// A walk goes like this: [Decoder.Peek] says what the next value is; the
// caller then consumes it once, with [Decoder.ReadString], [Decoder.ReadScalar],
// [Decoder.Skip], or [Decoder.BeginObject] followed by [Decoder.NextKey] and
// one value per key, or [Decoder.BeginArray] followed by [Decoder.NextElem]
// and one value per element; after the top-level value, [Decoder.Finish].
//
// Errors are sticky: after the first, every method returns zero values
// (NextKey and NextElem false, so loops end) and [Decoder.Err] returns it.
// Strings the Decoder returns share one copy of the input, made when it
// starts; they are never affected by later changes to src (unless the
// Decoder was started with [Decoder.ResetBorrowed], which makes no copy).
type Decoder struct {
	src      []byte
	str      string // src copied once; strings without escapes and numbers are slices of it
	off      int    // next byte to read
	maxDepth int
	dupKeys  bool // Limits.DuplicateKeys
	err      error

	// Position tracking. line is the current line and lineStart the offset
	// where it begins; col is the column of offset colOff, a cache that makes
	// the positions of successive values cost O(n) in total.
	line, lineStart int
	colOff, col     int
	// nonASCII is set when a string from colOff on has a character of more
	// than one byte; until then, columns are byte counts.
	nonASCII bool

	// space counts the white space read, between tokens and in strings (a
	// raw space is the only white space a string can hold); cont the bytes
	// that continue multi-byte characters. See CharsWithoutSpace.
	space, cont int

	// The value Peek looked at, while peeked.
	peeked  bool
	kind    Kind
	valPos  Pos
	boolVal bool

	// stack holds the open containers, innermost last; keys the keys of the
	// open objects, each object's from its keyBase on.
	stack    []container
	keys     []keyEntry
	stackArr [6]container // first storage of stack and keys, enough for policies
	keysArr  [10]keyEntry
	keysHigh int // the most keys held at once, as of the last closed object

	buf []byte // scratch for decoding strings with escapes
}

// container is one open array or object.
type container struct {
	object  bool
	first   bool           // no element or member read yet
	keyBase int            // where the object's keys start in Decoder.keys
	index   map[string]int // key → index in Decoder.keys, once the object is large
	lens    uint64         // bit len(key)%64 of every key so far: a key of another length is new
}

type keyEntry struct {
	key string
	off int
}

// NewDecoder returns a Decoder positioned at the start of the top-level
// value of src. An input over lim.MaxBytes or with a byte order mark fails
// at once, with its error at line 1, column 1.
func NewDecoder(src []byte, lim Limits) *Decoder {
	d := &Decoder{}
	d.Reset(src, lim)
	return d
}

// Reset makes d a new Decoder of src, as NewDecoder does, so that a caller
// can keep one inside its own state.
func (d *Decoder) Reset(src []byte, lim Limits) {
	d.reset(src, lim)
	if d.err == nil {
		d.str = string(src)
	}
}

// ResetBorrowed is Reset without the copy of src: the strings the Decoder
// returns are views of src, valid only while src is unchanged. It is for a
// caller that reads many small documents, copies the few strings it keeps
// and changes no document while reading it, to whom one allocation per
// document is most of the cost; everyone else wants Reset.
func (d *Decoder) ResetBorrowed(src []byte, lim Limits) {
	d.reset(src, lim)
	if d.err == nil {
		d.str = unsafe.String(unsafe.SliceData(src), len(src))
	}
}

// reset is Reset but for d.str, which the first skipSpace does not need.
func (d *Decoder) reset(src []byte, lim Limits) {
	// Field by field: assigning a whole new Decoder would copy its arrays.
	d.src, d.str, d.off, d.maxDepth, d.dupKeys, d.err = src, "", 0, lim.MaxDepth, lim.DuplicateKeys, nil
	d.line, d.lineStart, d.colOff, d.col = 1, 0, 0, 1
	d.nonASCII, d.space, d.cont = false, 0, 0
	d.peeked = false
	// A reused decoder keeps no key of the last input; clearing only the
	// entries it used spares a decoder of many small documents most of
	// the work.
	clear(d.keysArr[:min(max(d.keysHigh, len(d.keys)), len(d.keysArr))])
	d.keysHigh = 0
	d.stack, d.keys, d.buf = d.stackArr[:0], d.keysArr[:0], d.buf[:0]
	if d.maxDepth <= 0 {
		d.maxDepth = DefaultMaxDepth
	}
	if lim.MaxBytes > 0 && len(src) > lim.MaxBytes {
		d.err = &SyntaxError{Pos: Pos{Line: 1, Col: 1},
			Msg: fmt.Sprintf("input is %d bytes, more than the limit of %d bytes", len(src), lim.MaxBytes)}
		return
	}
	if msg := checkEncoding(src); msg != "" {
		d.err = &SyntaxError{Pos: Pos{Line: 1, Col: 1}, Msg: msg}
		return
	}
	d.skipSpace()
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

// CharsWithoutSpace returns how many characters (Unicode code points) the
// text read so far has, leaving out white space (space, tab, line feed,
// carriage return) both between tokens and inside strings; after Finish,
// of the whole input. This is how AWS measures policy size quotas.
func (d *Decoder) CharsWithoutSpace() int { return d.off - d.space - d.cont }

// Offset returns the byte offset in src just past what has been read: once
// a value was read or skipped, where its text ends, so that
// src[pos.Offset:d.Offset()], with pos from [Decoder.Peek], is the value as
// written.
func (d *Decoder) Offset() int { return d.off }

// Err returns the first error met, a [*SyntaxError], or nil.
func (d *Decoder) Err() error { return d.err }

func (d *Decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.peeked = false
}

// Peek reports the kind of the next value, without consuming it, and its
// position: the opening quote of a string, the bracket or brace of a
// container, the sign or first digit of a number, the first letter of true,
// false or null. A character that cannot start a value, a word other than
// true, false and null, and the end of the input are errors; Peek then
// returns Null.
func (d *Decoder) Peek() (Kind, Pos) {
	if d.peeked { // the usual second look, inlined
		return d.kind, d.valPos
	}
	return d.peek()
}

func (d *Decoder) peek() (Kind, Pos) {
	if d.err != nil {
		return Null, Pos{}
	}
	if d.off >= len(d.src) {
		d.fail(d.errAt(d.off, "unexpected end of input, expected a value"))
		return Null, Pos{}
	}
	d.valPos = d.pos(d.off)
	switch c := d.src[d.off]; {
	case c == '"':
		d.kind = String
	case c == '{':
		d.kind = Object
	case c == '[':
		d.kind = Array
	case c == '-' || isDigit(c):
		d.kind = Number
	case isWordByte(c):
		k, b, err := d.literal()
		if err != nil {
			d.fail(err)
			return Null, Pos{}
		}
		d.kind, d.boolVal = k, b
	default:
		d.fail(d.errValueStart(d.off))
		return Null, Pos{}
	}
	d.peeked = true
	return d.kind, d.valPos
}

// consume ends the peek of a value of kind k, reporting whether there is
// one to read.
func (d *Decoder) consume(k Kind) bool {
	if kind, _ := d.Peek(); kind != k || d.err != nil {
		return false
	}
	d.peeked = false
	return true
}

// ReadString reads the next value, which Peek said is a String, and returns its
// decoded text. A string without escapes costs no allocation.
func (d *Decoder) ReadString() string {
	if !d.consume(String) {
		return ""
	}
	s, err := d.string()
	if err != nil {
		d.fail(err)
	}
	return s
}

// ReadScalar reads the next value, which Peek said is a Number, Bool or Null:
// the literal text of a number exactly as written ("10.0", "-1e3"), and the
// value of a boolean.
func (d *Decoder) ReadScalar() (text string, b bool) {
	if d.err != nil || !d.peeked {
		return "", false
	}
	switch d.kind {
	case Number:
		d.peeked = false
		s, err := d.number()
		if err != nil {
			d.fail(err)
		}
		return s, false
	case Bool, Null:
		d.peeked = false
		d.off += literalLen(d.kind, d.boolVal)
		return "", d.boolVal
	}
	return "", false
}

func literalLen(k Kind, b bool) int {
	switch {
	case k == Null:
		return len("null")
	case b:
		return len("true")
	}
	return len("false")
}

// Skip reads the next value, whatever it is, with every check.
func (d *Decoder) Skip() {
	switch kind, _ := d.Peek(); kind {
	case String:
		d.ReadString()
	case Object:
		d.BeginObject()
		for {
			if _, _, ok := d.NextKey(); !ok {
				break
			}
			d.Skip()
		}
	case Array:
		d.BeginArray()
		for d.NextElem() {
			d.Skip()
		}
	default:
		d.ReadScalar()
	}
}

// BeginObject starts reading the next value, which Peek said is an Object.
func (d *Decoder) BeginObject() { d.begin(Object) }

// BeginArray starts reading the next value, which Peek said is an Array.
func (d *Decoder) BeginArray() { d.begin(Array) }

func (d *Decoder) begin(k Kind) {
	if !d.consume(k) {
		return
	}
	if len(d.stack)+1 > d.maxDepth {
		d.fail(d.errAt(d.off, "exceeded maximum nesting depth of %d", d.maxDepth))
		return
	}
	d.stack = append(d.stack, container{object: k == Object, first: true, keyBase: len(d.keys)})
	d.off++ // '{' or '['
	d.skipSpace()
}

// NextKey reads the key of the next member of the object being read, and
// the ':' after it, and reports true; the member's value comes next. At the
// closing brace it ends the object and reports false.
func (d *Decoder) NextKey() (key string, keyPos Pos, ok bool) {
	if d.err != nil || d.peeked || len(d.stack) == 0 || !d.stack[len(d.stack)-1].object {
		return "", Pos{}, false
	}
	c := &d.stack[len(d.stack)-1]
	if c.first {
		c.first = false
		if d.off < len(d.src) && d.src[d.off] == '}' {
			d.end()
			return "", Pos{}, false
		}
		if d.off >= len(d.src) || d.src[d.off] != '"' {
			d.fail(d.errKey(d.off, "string key or '}' after '{'"))
			return "", Pos{}, false
		}
	} else if !d.afterMember() {
		return "", Pos{}, false
	}
	keyPos = d.pos(d.off)
	key, err := d.string()
	if err != nil {
		d.fail(err)
		return "", Pos{}, false
	}
	if !d.dupKeys {
		if err := d.checkDuplicate(c, key, keyPos); err != nil {
			d.fail(err)
			return "", Pos{}, false
		}
	}
	d.skipSpace()
	if d.off >= len(d.src) || d.src[d.off] != ':' {
		d.fail(d.errExpected(d.off, "':' after object key"))
		return "", Pos{}, false
	}
	d.off++
	d.skipSpace()
	return key, keyPos, true
}

// afterMember reads what follows an object member: a ',' and the next key's
// quote (true), or the closing brace (false, and the object is ended).
func (d *Decoder) afterMember() bool {
	d.skipSpace()
	if d.off >= len(d.src) {
		d.fail(d.errExpected(d.off, "',' or '}' after object member"))
		return false
	}
	switch d.src[d.off] {
	case ',':
		comma := d.mark()
		d.off++
		d.skipSpace()
		if d.off < len(d.src) && d.src[d.off] == '}' {
			d.fail(d.errTrailingComma(comma, '}'))
			return false
		}
		if d.off >= len(d.src) || d.src[d.off] != '"' {
			d.fail(d.errKey(d.off, "string key after ','"))
			return false
		}
		return true
	case '}':
		d.end()
		return false
	}
	d.fail(d.errExpected(d.off, "',' or '}' after object member"))
	return false
}

// NextElem reports whether another element follows in the array being
// read, reading the ',' before it; the element comes next. At the closing
// bracket it ends the array and reports false.
func (d *Decoder) NextElem() bool {
	if d.err != nil || d.peeked || len(d.stack) == 0 || d.stack[len(d.stack)-1].object {
		return false
	}
	c := &d.stack[len(d.stack)-1]
	if c.first {
		c.first = false
		if d.off < len(d.src) && d.src[d.off] == ']' {
			d.end()
			return false
		}
		return true
	}
	d.skipSpace()
	if d.off >= len(d.src) {
		d.fail(d.errExpected(d.off, "',' or ']' after array element"))
		return false
	}
	switch d.src[d.off] {
	case ',':
		comma := d.mark()
		d.off++
		d.skipSpace()
		if d.off < len(d.src) && d.src[d.off] == ']' {
			d.fail(d.errTrailingComma(comma, ']'))
			return false
		}
		return true
	case ']':
		d.end()
		return false
	}
	d.fail(d.errExpected(d.off, "',' or ']' after array element"))
	return false
}

// end consumes the closing bracket or brace of the innermost container.
func (d *Decoder) end() {
	d.off++
	c := d.stack[len(d.stack)-1]
	d.keysHigh = max(d.keysHigh, len(d.keys))
	d.keys = d.keys[:c.keyBase]
	d.stack = d.stack[:len(d.stack)-1]
}

// Finish checks that only white space follows the top-level value.
func (d *Decoder) Finish() {
	if d.err != nil {
		return
	}
	d.skipSpace()
	if d.off < len(d.src) {
		d.fail(d.errExpected(d.off, "end of input after top-level value"))
	}
}

// checkDuplicate reports key if the object c already has it, and else
// records it. A key of a length no other key has is new; otherwise small
// objects are scanned, and from dupIndexAt members on a map finds the keys.
func (d *Decoder) checkDuplicate(c *container, key string, keyPos Pos) error {
	first := -1
	lenBit := uint64(1) << (len(key) % 64)
	switch {
	case c.lens&lenBit == 0:
		if c.index != nil {
			c.index[key] = len(d.keys)
		}
		c.lens |= lenBit
		d.keys = append(d.keys, keyEntry{key: key, off: keyPos.Offset})
		return nil
	case c.index != nil:
		if i, ok := c.index[key]; ok {
			first = i
		}
	case len(d.keys)-c.keyBase < dupIndexAt:
		for i := c.keyBase; i < len(d.keys); i++ {
			if d.keys[i].key == key {
				first = i
				break
			}
		}
	default:
		c.index = make(map[string]int, 2*dupIndexAt)
		for i := c.keyBase; i < len(d.keys); i++ {
			c.index[d.keys[i].key] = i
		}
		return d.checkDuplicate(c, key, keyPos)
	}
	if first >= 0 {
		fp := d.posAt(d.keys[first].off)
		return &SyntaxError{Pos: keyPos, Msg: fmt.Sprintf("duplicate key %q (first at line %d, column %d)",
			truncate(key), fp.Line, fp.Col)}
	}
	if c.index != nil {
		c.index[key] = len(d.keys)
	}
	c.lens |= lenBit
	d.keys = append(d.keys, keyEntry{key: key, off: keyPos.Offset})
	return nil
}

// skipSpace skips JSON whitespace, counting lines. Compact JSON has none,
// which the inlined first test finds.
func (d *Decoder) skipSpace() {
	if d.off < len(d.src) && d.src[d.off] > ' ' {
		return
	}
	d.skipSpaceLoop()
}

func (d *Decoder) skipSpaceLoop() {
	src := d.src
	start := d.off
loop:
	for d.off < len(src) {
		switch src[d.off] {
		case ' ', '\t':
			d.off++
		case '\n':
			d.off++
			d.newline()
		case '\r':
			d.off++
			if d.off < len(src) && src[d.off] == '\n' {
				d.off++
			}
			d.newline()
		default:
			break loop
		}
	}
	d.space += d.off - start
}

func (d *Decoder) newline() {
	d.line++
	d.lineStart, d.colOff, d.col, d.nonASCII = d.off, d.off, 1, false
}

// pos returns the position of offset off, which must lie on the current
// line. Offsets asked for only grow, so counting runes from the cached colOff
// keeps the total work linear; should one ever go back, it counts from the
// start of the line instead.
func (d *Decoder) pos(off int) Pos {
	if off < d.colOff {
		d.colOff, d.col, d.nonASCII = d.lineStart, 1, true
	}
	if d.nonASCII {
		d.col += utf8.RuneCount(d.src[d.colOff:off])
		d.nonASCII = false
	} else {
		d.col += off - d.colOff
	}
	d.colOff = off
	return Pos{Offset: off, Line: d.line, Col: d.col}
}

// posAt returns the position of any offset before the current one,
// counting lines from the start of the input; errors use it, for a key seen
// before. Up to off the input is valid JSON, so line breaks are white space.
func (d *Decoder) posAt(off int) Pos {
	line, lineStart := 1, 0
	for i, c := range d.src[:off] {
		if c == '\n' || c == '\r' && (i+1 == len(d.src) || d.src[i+1] != '\n') {
			line, lineStart = line+1, i+1
		}
	}
	return Pos{Offset: off, Line: line, Col: 1 + utf8.RuneCount(d.src[lineStart:off])}
}

// mark remembers an offset on the current line so that an error can point
// back at it after whitespace (and line breaks) have been skipped.
type mark struct{ off, line, lineStart int }

func (d *Decoder) mark() mark { return mark{d.off, d.line, d.lineStart} }

func (d *Decoder) posOf(m mark) Pos {
	return Pos{Offset: m.off, Line: m.line, Col: 1 + utf8.RuneCount(d.src[m.lineStart:m.off])}
}
