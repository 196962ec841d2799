package jsonpos

import (
	"strconv"
	"unicode/utf8"
)

// Format returns v as compact JSON, with object members in their order in
// Members. Strings are written with the fewest escapes (only '"', '\\' and
// control characters); a Number's literal text is written as it is, so the
// output is valid JSON whenever v came from [Parse]. A nil Value, or one
// with an unknown Kind, is written as null; invalid UTF-8 in a hand-built
// string becomes U+FFFD.
func Format(v *Value) []byte {
	return appendValue(make([]byte, 0, 256), v)
}

func appendValue(dst []byte, v *Value) []byte {
	if v == nil {
		return append(dst, "null"...)
	}
	switch v.Kind {
	case Bool:
		return strconv.AppendBool(dst, v.Bool)
	case Number:
		return append(dst, v.Str...)
	case String:
		return appendString(dst, v.Str)
	case Array:
		dst = append(dst, '[')
		for i, e := range v.Elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValue(dst, e)
		}
		return append(dst, ']')
	case Object:
		dst = append(dst, '{')
		for i, m := range v.Members {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, m.Key)
			dst = append(dst, ':')
			dst = appendValue(dst, m.Value)
		}
		return append(dst, '}')
	default:
		return append(dst, "null"...)
	}
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, copying runs of plain characters
// at once.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	run := 0 // start of the pending run of characters needing no escape
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[run:i]...)
				dst = append(dst, `\ufffd`...)
				i++
				run = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[run:i]...)
		if e := escapeOf(c); e != 0 {
			dst = append(dst, '\\', e)
		} else {
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		run = i
	}
	dst = append(dst, s[run:]...)
	return append(dst, '"')
}

// escapeOf returns the letter of the short escape for c ('n' for a line
// feed), or 0 if c has none.
func escapeOf(c byte) byte {
	switch c {
	case '"', '\\':
		return c
	case '\b':
		return 'b'
	case '\f':
		return 'f'
	case '\n':
		return 'n'
	case '\r':
		return 'r'
	case '\t':
		return 't'
	}
	return 0
}
