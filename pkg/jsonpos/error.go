package jsonpos

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// SyntaxError is the error returned by [Parse] for input that is not
// acceptable JSON. Pos lies inside the input (Offset <= len(src)) and points
// at the offending character, at the start of the construct that is at fault
// (an unterminated string, a duplicate key, a trailing comma), or at line 1,
// column 1 for a problem of the whole input (too large, a byte order mark).
// Msg is lower case, without a final period, and says what was expected.
type SyntaxError struct {
	Pos Pos
	Msg string
}

// Error returns "line L, column C: msg".
func (e *SyntaxError) Error() string {
	return "line " + strconv.Itoa(e.Pos.Line) + ", column " + strconv.Itoa(e.Pos.Col) + ": " + e.Msg
}

// maxQuoted bounds how much of a user's text an error message repeats.
const maxQuoted = 40

// truncate shortens s for quoting in a message, on a rune boundary.
func truncate(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	n := maxQuoted
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

func (d *Decoder) errAt(off int, format string, args ...any) error {
	return &SyntaxError{Pos: d.pos(off), Msg: fmt.Sprintf(format, args...)}
}

// found describes the character at off < len(d.src) for a message: 'x',
// '\t', '\u00a0', or the invalid byte.
func (d *Decoder) found(off int) string {
	r, size := utf8.DecodeRune(d.src[off:])
	if r == utf8.RuneError && size == 1 {
		return fmt.Sprintf("invalid UTF-8 byte 0x%02x", d.src[off])
	}
	return strconv.QuoteRune(r)
}

// errExpected reports that what was expected at off.
func (d *Decoder) errExpected(off int, what string) error {
	if off >= len(d.src) {
		return d.errAt(off, "unexpected end of input, expected %s", what)
	}
	return d.errAt(off, "expected %s, found %s", what, d.found(off))
}

// errKey is errExpected for a missing object key, with a hint for the usual
// mistakes: unquoted or single-quoted keys.
func (d *Decoder) errKey(off int, what string) error {
	if off < len(d.src) {
		switch c := d.src[off]; {
		case isWordByte(c):
			return d.errAt(off, "expected %s, found %s (object keys must be double-quoted strings)", what, d.found(off))
		case c == '\'':
			return d.errAt(off, "expected %s, found %s (use double quotes for keys)", what, d.found(off))
		}
	}
	return d.errExpected(off, what)
}

// errValueStart reports a character that cannot begin a value.
func (d *Decoder) errValueStart(off int) error {
	c := d.src[off]
	if c >= utf8.RuneSelf {
		if r, size := utf8.DecodeRune(d.src[off:]); r == utf8.RuneError && size == 1 {
			return d.errAt(off, "invalid UTF-8 byte 0x%02x looking for beginning of value", c)
		}
	}
	hint := ""
	switch c {
	case '\'':
		hint = " (use double quotes for strings)"
	case '+':
		hint = " (a number must not start with '+')"
	case '.':
		hint = " (a number must start with a digit)"
	}
	return d.errAt(off, "invalid character %s looking for beginning of value%s", d.found(off), hint)
}

// errTrailingComma reports the comma before a closing bracket or brace.
func (d *Decoder) errTrailingComma(comma mark, closing byte) error {
	return &SyntaxError{Pos: d.posOf(comma),
		Msg: fmt.Sprintf("trailing comma before '%c' is not allowed, remove it", closing)}
}
