package entity

import (
	"encoding/json"
	"slices"
	"unicode/utf8"
)

// jsonText is one JSON value of a bundle file: its text, a slice of the
// file's, and the offset of its first byte in the file. The scanner below
// splits objects and arrays into such values, which keeps the bytes of
// policy documents as written and tells where they start, something
// encoding/json does not.
//
// The functions assume valid JSON (the loader checks json.Valid first); on
// anything else they stop early rather than fail.
type jsonText struct {
	b   []byte
	off int
}

// member is one member of a JSON object.
type member struct {
	key string
	val jsonText
}

// kind names the JSON type of v, for messages: "an object", "an array",
// "a string", "a number", "a boolean" or "null".
func (v jsonText) kind() string {
	i := skipSpace(v.b, 0)
	if i >= len(v.b) {
		return "nothing"
	}
	switch v.b[i] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// isNull reports whether v is JSON null.
func (v jsonText) isNull() bool { return v.kind() == "null" }

// members splits an object into its members, in order; false when v is not
// an object.
func (v jsonText) members() ([]member, bool) {
	b := v.b
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	var out []member
	for i = skipSpace(b, i+1); i < len(b) && b[i] == '"'; {
		end := stringEnd(b, i)
		var key string
		if json.Unmarshal(b[i:end], &key) != nil {
			break
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			break
		}
		i = skipSpace(b, i+1)
		end = valueEnd(b, i)
		out = append(out, member{key: key, val: jsonText{b: b[i:end], off: v.off + i}})
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return out, true
}

// elems splits an array into its elements; false when v is not an array.
func (v jsonText) elems() ([]jsonText, bool) {
	b := v.b
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	var out []jsonText
	for i = skipSpace(b, i+1); i < len(b) && b[i] != ']'; {
		end := valueEnd(b, i)
		if end == i {
			break
		}
		out = append(out, jsonText{b: b[i:end], off: v.off + i})
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return out, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the offset after the string that starts at b[i] == '"'.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// valueEnd returns the offset after the value that starts at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' &&
		b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
}

// lineCol returns the 1-based line and column (in characters) of offset off
// in src, counting line breaks as the engine's parser does: "\n", "\r" and
// "\r\n" each end a line.
func lineCol(src []byte, off int) (line, col int) {
	return lineColIn(src, lineStarts(src[:min(max(off, 0), len(src))]), off)
}

// lineStarts returns the offsets at which the lines of src start, the
// first being 0; a decoder that needs many positions in one file finds each
// from them by binary search, instead of counting lines from the start.
func lineStarts(src []byte) []int {
	starts := []int{0}
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '\n':
			starts = append(starts, i+1)
		case '\r':
			if i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineColIn is lineCol with the line starts of src (or of a prefix of it
// that reaches past off) already known.
func lineColIn(src []byte, starts []int, off int) (line, col int) {
	off = min(max(off, 0), len(src))
	// The last line starting at or before off; a "\r\n" pair counts as one
	// break, so no line starts between its two bytes.
	line, _ = slices.BinarySearch(starts, off+1)
	start := min(starts[line-1], off)
	return line, 1 + utf8.RuneCount(src[start:off])
}
