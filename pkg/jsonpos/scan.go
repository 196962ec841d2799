package jsonpos

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf8"
)

// string parses the string starting at the '"' at d.off and returns its
// decoded text. A string without escapes is a slice of d.str and costs no
// allocation. Plain bytes go eight at a time.
func (d *Decoder) string() (string, error) {
	src := d.src
	start := d.off
	for i := start + 1; i < len(src); {
		if i+8 <= len(src) {
			x := binary.LittleEndian.Uint64(src[i:])
			bad := notPlain(x)
			if bad == 0 {
				d.space += bits.OnesCount64(spaces(x))
				i += 8
				continue
			}
			// Skip the plain bytes before the first that is not.
			k := bits.TrailingZeros64(bad) / 8
			d.space += bits.OnesCount64(spaces(x) & (1<<(8*k) - 1))
			i += k
		} else if c := src[i]; plainByte[c] {
			if c == ' ' {
				d.space++
			}
			i++
			continue
		}
		switch c := src[i]; {
		case c == '"':
			d.off = i + 1
			return d.str[start+1 : i], nil
		case c == '\\':
			return d.escapedString(start, i)
		case c < 0x20:
			return "", d.errControl(i)
		default: // not ASCII
			d.nonASCII = true
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				return "", d.errAt(i, "invalid UTF-8 byte 0x%02x in string", c)
			}
			d.cont += size - 1
			i += size
		}
	}
	return "", d.errUnterminated(start)
}

// plainByte is true for the bytes that stand for themselves in a string:
// ASCII other than '"', backslash and control characters. It never changes.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// The eight-byte tests below use the tricks of "Bit Twiddling Hacks": in
// y - 0x0101..., a byte that is zero borrows into its top bit, and so does
// one below n in y - n*0x0101.... A borrow may also mark the bytes above a
// marked one, but never one below it, so the lowest mark is exact.
const ones, highs = 0x0101010101010101, 0x8080808080808080

// notPlain returns the top bits of the bytes of x that are not plain (see
// plainByte); the lowest one set is the first such byte.
func notPlain(x uint64) uint64 {
	zero := func(y uint64) uint64 { return (y - ones) & ^y & highs }
	below := (x - 0x20*ones) & ^x & highs // a control character
	return x&highs | below | zero(x^'"'*ones) | zero(x^'\\'*ones)
}

// spaces returns the top bits of the bytes of x that are ' ', exactly: a
// byte of x^' ' is zero where adding 0x7f to its low bits leaves the top bit
// clear, without borrows or carries between bytes.
func spaces(x uint64) uint64 {
	const lows = ^uint64(highs)
	y := x ^ ' '*ones
	return ^((y&lows + lows) | y | lows)
}

// escapedString finishes the string that starts at start and whose first
// backslash is at i, decoding escapes into d.buf.
func (d *Decoder) escapedString(start, i int) (string, error) {
	src := d.src
	buf := append(d.buf[:0], src[start+1:i]...)
	for i < len(src) {
		c := src[i]
		switch {
		case c == '"':
			d.off = i + 1
			d.buf = buf
			return string(buf), nil
		case c == '\\':
			if i+1 >= len(src) {
				return "", d.errUnterminated(start)
			}
			if e := unescape(src[i+1]); e != 0 {
				buf = append(buf, e)
				i += 2
				continue
			}
			if src[i+1] != 'u' {
				return "", d.errAt(i, "invalid escape sequence in string: '\\\\' followed by %s, "+
					`expected one of \" \\ \/ \b \f \n \r \t \uXXXX`, d.found(i+1))
			}
			r, n, err := d.unicodeEscape(i)
			if err != nil {
				return "", err
			}
			buf = utf8.AppendRune(buf, r)
			i += n
		case c < 0x20:
			return "", d.errControl(i)
		case c < utf8.RuneSelf:
			if c == ' ' {
				d.space++
			}
			buf = append(buf, c)
			i++
		default:
			d.nonASCII = true
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				return "", d.errAt(i, "invalid UTF-8 byte 0x%02x in string", c)
			}
			d.cont += size - 1
			buf = append(buf, src[i:i+size]...)
			i += size
		}
	}
	return "", d.errUnterminated(start)
}

// unescape returns the byte a one-character escape stands for, or 0.
func unescape(c byte) byte {
	switch c {
	case '"', '\\', '/':
		return c
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return 0
}

// unicodeEscape decodes the \uXXXX escape at i, joining a surrogate pair
// written as two escapes. It returns the rune and the bytes consumed.
func (d *Decoder) unicodeEscape(i int) (rune, int, error) {
	src := d.src
	r, ok := hex4(src, i+2)
	if !ok {
		return 0, 0, d.errAt(i, `invalid \u escape in string, expected 4 hexadecimal digits after \u`)
	}
	switch {
	case r < 0xD800 || r > 0xDFFF:
		return r, 6, nil
	case r >= 0xDC00:
		return 0, 0, d.errAt(i, `invalid escape %s in string: unpaired low surrogate, `+
			`expected it to follow a high surrogate \uD800-\uDBFF`, src[i:i+6])
	}
	if i+7 < len(src) && src[i+6] == '\\' && src[i+7] == 'u' {
		if lo, ok := hex4(src, i+8); ok && lo >= 0xDC00 && lo <= 0xDFFF {
			return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), 12, nil
		}
	}
	return 0, 0, d.errAt(i, `invalid escape %s in string: unpaired high surrogate, `+
		`expected a low surrogate \uDC00-\uDFFF to follow`, src[i:i+6])
}

// hex4 decodes four hexadecimal digits at src[i:].
func hex4(src []byte, i int) (rune, bool) {
	if i+4 > len(src) {
		return 0, false
	}
	var r rune
	for _, c := range src[i : i+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// number parses the number at d.off into v.Str, following the grammar
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *Decoder) number() (string, error) {
	src := d.src
	start, i := d.off, d.off
	if src[i] == '-' {
		i++
	}
	switch {
	case i >= len(src) || !isDigit(src[i]):
		return "", d.errExpected(i, "digit after '-' in number")
	case src[i] == '0':
		i++
		if i < len(src) && isDigit(src[i]) {
			return "", d.errAt(start, "invalid number %q: leading zeros are not allowed",
				truncate(d.str[start:skipDigits(src, i)]))
		}
	default:
		i = skipDigits(src, i)
	}
	if i < len(src) && src[i] == '.' {
		i++
		if i >= len(src) || !isDigit(src[i]) {
			return "", d.errExpected(i, "digit after decimal point in number")
		}
		i = skipDigits(src, i)
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if i >= len(src) || !isDigit(src[i]) {
			return "", d.errExpected(i, "digit in exponent of number")
		}
		i = skipDigits(src, i)
	}
	d.off = i
	return d.str[start:i], nil
}

func skipDigits(src []byte, i int) int {
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	return i
}

// literal checks the word at d.off, without consuming it: true, false or
// null. It reads the whole word first so that `True`, `nul` or `undefined`
// are reported as one wrong literal.
func (d *Decoder) literal() (Kind, bool, error) {
	start, end := d.off, d.off
	for end < len(d.src) && isWordByte(d.src[end]) {
		end++
	}
	switch word := d.str[start:end]; word {
	case "true":
		return Bool, true, nil
	case "false":
		return Bool, false, nil
	case "null":
		return Null, false, nil
	default:
		return Null, false, d.errLiteral(start, word)
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// errLiteral reports a word that is not true, false or null.
func (d *Decoder) errLiteral(off int, word string) error {
	for _, lit := range [...]string{"true", "false", "null"} {
		if equalFoldASCII(word, lit) {
			return d.errAt(off, "invalid literal %q, expected %s (JSON literals are lower case)", word, lit)
		}
	}
	return d.errAt(off, "invalid literal %q, expected true, false, null, a number or a quoted string", truncate(word))
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// errControl reports a raw control character inside a string. A raw line
// break most likely means a missing closing quote, so it says so.
func (d *Decoder) errControl(off int) error {
	c := d.src[off]
	if c == '\n' || c == '\r' {
		return d.errAt(off, `line break in string: expected closing '"' before the end of the line, `+
			`or write the line break as \n`)
	}
	esc := fmt.Sprintf(`\u%04X`, c)
	if e := escapeOf(c); e != 0 {
		esc = `\` + string(rune(e))
	}
	return d.errAt(off, "invalid control character U+%04X in string, write it as %s", c, esc)
}

// errUnterminated reports a string that the input ends inside of, at its
// opening quote: that is where the user has to look.
func (d *Decoder) errUnterminated(start int) error {
	return d.errAt(start, `unterminated string, expected closing '"' before end of input`)
}
