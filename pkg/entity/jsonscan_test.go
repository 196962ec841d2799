package entity

import (
	"bytes"
	"testing"
)

// TestLineColIn checks that finding positions from the line starts of a
// file gives what counting from its start gives, at every offset, with
// every kind of line break and characters of several bytes.
func TestLineColIn(t *testing.T) {
	src := []byte("{\n \"a\": \"é\",\r\n\r\"b\":\n\n  [1,\r 2]  \"ü\" }\r\n")
	starts := lineStarts(src)
	for off := 0; off <= len(src); off++ {
		if off > 0 && src[off-1] == '\r' && off < len(src) && src[off] == '\n' {
			continue // inside a "\r\n" pair, where no value starts
		}
		line, col := lineCol(src, off)
		gotLine, gotCol := lineColIn(src, starts, off)
		if gotLine != line || gotCol != col {
			t.Errorf("offset %d: lineColIn = %d:%d, lineCol = %d:%d", off, gotLine, gotCol, line, col)
		}
	}
	if line, col := lineColIn(src, starts, bytes.Index(src, []byte("ü"))); line != 7 || col != 7 {
		t.Errorf("ü at %d:%d, want 7:7", line, col)
	}
}
