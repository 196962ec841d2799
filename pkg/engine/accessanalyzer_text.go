package engine

import (
	"sort"
	"unicode/utf8"
)

// textIndex converts between the 1-based line and column (in characters)
// of PolicyError and byte offsets, and from byte offsets to Access
// Analyzer positions. Parse does not keep offsets in findings, so they are
// computed from the text.
type textIndex struct {
	src        []byte
	lineStarts []int // byte offset where each line begins
}

func newTextIndex(src []byte) *textIndex {
	ix := &textIndex{src: src, lineStarts: []int{0}}
	for i, c := range src {
		if c == '\n' {
			ix.lineStarts = append(ix.lineStarts, i+1)
		}
	}
	return ix
}

// byteOffset finds line:col in the text; ok is false for a finding without
// a position or one outside the text.
func (ix *textIndex) byteOffset(line, col int) (int, bool) {
	if line < 1 || col < 1 || line > len(ix.lineStarts) {
		return 0, false
	}
	off := ix.lineStarts[line-1]
	for range col - 1 {
		if off >= len(ix.src) || ix.src[off] == '\n' {
			return 0, false
		}
		_, n := utf8.DecodeRune(ix.src[off:])
		off += n
	}
	return off, true
}

// position gives the Access Analyzer position of a byte offset.
func (ix *textIndex) position(off int) AccessAnalyzerPosition {
	line := sort.Search(len(ix.lineStarts), func(i int) bool { return ix.lineStarts[i] > off }) - 1
	start := ix.lineStarts[line]
	col := utf8.RuneCount(ix.src[start:off])
	return AccessAnalyzerPosition{Line: line + 1, Column: col, Offset: utf8.RuneCount(ix.src[:start]) + col}
}

// jsonTokenEnd returns the byte offset just past the JSON value or key that
// starts at off: a string to its closing quote, an object or array to its
// matching bracket, a number or literal to the next delimiter. Text that
// does not close ends at the end of src.
func jsonTokenEnd(src []byte, off int) int {
	if off >= len(src) {
		return len(src)
	}
	switch src[off] {
	case '"':
		return stringEnd(src, off)
	case '{', '[':
		depth := 0
		for i := off; i < len(src); i++ {
			switch src[i] {
			case '"':
				i = stringEnd(src, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(src)
	}
	i := off
	for i < len(src) {
		switch src[i] {
		case ',', '}', ']', ':', ' ', '\t', '\r', '\n':
			if i == off {
				return off + 1 // a lone delimiter: point at it
			}
			return i
		}
		i++
	}
	return i
}

// stringEnd returns the offset just past the string that starts at off.
func stringEnd(src []byte, off int) int {
	for i := off + 1; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(src)
}
