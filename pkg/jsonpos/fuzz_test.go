package jsonpos

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParse checks properties of Parse on arbitrary input: it never panics;
// every error is a *SyntaxError positioned inside the input; what it accepts
// encoding/json accepts too, decodes to the same content, and survives a
// Format/Parse round trip with every position correct; and it accepts every
// input encoding/json accepts, except those this package rejects on purpose
// (duplicate keys, a byte order mark, nesting beyond the limit, invalid UTF-8
// and unpaired surrogate escapes in strings, which encoding/json lets through
// and replaces with U+FFFD).
func FuzzParse(f *testing.F) {
	for _, src := range validDocs(f) {
		f.Add(src)
	}
	for _, tc := range parseErrorTests {
		f.Add([]byte(tc.src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		v, err := Parse(src, Limits{})
		checkBorrowed(t, src, v, err)
		checkSmallerDepth(t, src, v)
		if err != nil {
			checkError(t, src, err)
			require.NotEmpty(t, stdlibAccepts(src), "Parse(%q) failed (%v) but encoding/json accepts it", src, err)
			return
		}
		require.True(t, json.Valid(src), "Parse(%q) succeeded but json.Valid rejects it", src)
		checkTree(t, src, v)
		checkRoundTrip(t, v)
		checkStdlibContent(t, src, v)
		checkChars(t, src)
		checkDuplicateKeys(t, src, v)
	})
}

// checkBorrowed checks that a Decoder that borrows src reads the tree and
// meets the error that Parse does.
func checkBorrowed(t *testing.T, src []byte, v *Value, err error) {
	t.Helper()
	var d Decoder
	d.ResetBorrowed(src, Limits{})
	bv := newTree(len(src)).value(&d)
	d.Finish()
	require.Equal(t, err, d.Err(), "borrowing decoder: error, want Parse's")
	if err == nil {
		require.Equal(t, v, bv, "borrowing decoder: tree of %q, want Parse's", src)
	}
}

// checkDuplicateKeys checks that accepting duplicate keys changes nothing
// in src, which Parse accepts without.
func checkDuplicateKeys(t *testing.T, src []byte, v *Value) {
	t.Helper()
	dv, err := Parse(src, Limits{DuplicateKeys: true})
	require.NoError(t, err, "Parse(%q) with DuplicateKeys", src)
	require.Equal(t, v, dv, "Parse(%q) with DuplicateKeys: tree", src)
}

// checkChars walks src, which is valid JSON, with a Decoder and compares
// CharsWithoutSpace with a naive count.
func checkChars(t *testing.T, src []byte) {
	t.Helper()
	d := NewDecoder(src, Limits{})
	d.Skip()
	d.Finish()
	require.NoError(t, d.Err(), "Decoder walk of %q", src)
	want := 0
	for _, r := range string(src) {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			want++
		}
	}
	require.Equal(t, want, d.CharsWithoutSpace(), "CharsWithoutSpace of %q", src)
}

// checkSmallerDepth parses src again with a small depth limit and checks
// that it gives the same tree as the default limit (v, nil on failure) or
// fails for depth alone.
func checkSmallerDepth(t *testing.T, src []byte, v *Value) {
	t.Helper()
	limit := 1 + len(src)%4
	w, err := Parse(src, Limits{MaxDepth: limit})
	switch {
	case v == nil && err == nil:
		require.FailNow(t, "depth limit", "Parse(%q) succeeded with depth limit %d but failed with the default", src, limit)
	case v == nil:
		checkError(t, src, err)
	case err == nil:
		require.True(t, equal(v, w), "depth limit %d changed the tree of %q", limit, src)
	default:
		se := checkError(t, src, err)
		require.Equal(t, "exceeded maximum nesting depth of "+strconv.Itoa(limit), se.Msg, "with depth limit %d", limit)
		require.Greater(t, depth(v), limit, "tree depth with depth limit %d: %v", limit, err)
	}
}

// depth returns how deeply arrays and objects nest in v.
func depth(v *Value) int {
	d := 0
	for _, e := range v.Elems {
		d = max(d, depth(e))
	}
	for _, m := range v.Members {
		d = max(d, depth(m.Value))
	}
	if v.Kind == Array || v.Kind == Object {
		d++
	}
	return d
}

// checkError checks that err is a *SyntaxError whose position lies inside
// src and agrees with an independent count of lines and columns.
func checkError(t *testing.T, src []byte, err error) *SyntaxError {
	t.Helper()
	var se *SyntaxError
	require.ErrorAs(t, err, &se, "error %T", err)
	p := se.Pos
	require.True(t, p.Offset >= 0 && p.Offset <= len(src) && p.Line >= 1 && p.Col >= 1,
		"error position %+v outside input of %d bytes: %v", p, len(src), err)
	require.Equal(t, positions(src)[p.Offset], p, "error position: %v", err)
	require.NotEmpty(t, se.Msg, "error at %+v has no message", p)
	return se
}

// positions returns the Pos of every byte offset of src, and of len(src),
// counted naively: a line ends at "\n", "\r\n" or a lone "\r", and each rune
// (or invalid byte) is one column.
func positions(src []byte) []Pos {
	ps := make([]Pos, len(src)+1)
	line, col := 1, 1
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		for j := i; j < i+size; j++ {
			ps[j] = Pos{Offset: i, Line: line, Col: col}
		}
		ps[i].Offset = i
		switch {
		case r == '\n', r == '\r' && (i+1 == len(src) || src[i+1] != '\n'):
			line, col = line+1, 1
		default:
			col++
		}
		i += size
	}
	ps[len(src)] = Pos{Offset: len(src), Line: line, Col: col}
	return ps
}

// checkTree checks every value's and key's position in the tree parsed from
// src: it matches the naive count and points at the right first byte.
func checkTree(t *testing.T, src []byte, root *Value) {
	t.Helper()
	ps := positions(src)
	var walk func(v *Value)
	walk = func(v *Value) {
		require.True(t, v.Pos.Offset >= 0 && v.Pos.Offset < len(src), "%s value at %+v, outside the input", v.Kind, v.Pos)
		require.Equal(t, ps[v.Pos.Offset], v.Pos, "position of a %s value", v.Kind)
		require.True(t, startsKind(src[v.Pos.Offset], v.Kind), "%s value at %+v starts with %q", v.Kind, v.Pos, src[v.Pos.Offset])
		require.True(t, v.End > v.Pos.Offset && v.End <= len(src) && json.Valid(src[v.Pos.Offset:v.End]),
			"%s value at %+v ends at %d: %q", v.Kind, v.Pos, v.End, src[v.Pos.Offset:min(max(v.End, v.Pos.Offset), len(src))])
		for _, e := range v.Elems {
			walk(e)
		}
		for _, m := range v.Members {
			require.True(t, m.KeyPos.Offset >= 0 && m.KeyPos.Offset < len(src), "key %q at %+v, outside the input", m.Key, m.KeyPos)
			require.Equal(t, ps[m.KeyPos.Offset], m.KeyPos, "position of key %q", m.Key)
			require.Equal(t, byte('"'), src[m.KeyPos.Offset], "first byte of key %q at %+v", m.Key, m.KeyPos)
			walk(m.Value)
		}
	}
	walk(root)
}

func startsKind(c byte, k Kind) bool {
	switch k {
	case Null:
		return c == 'n'
	case Bool:
		return c == 't' || c == 'f'
	case Number:
		return c == '-' || isDigit(c)
	case String:
		return c == '"'
	case Array:
		return c == '['
	case Object:
		return c == '{'
	}
	return false
}

// checkRoundTrip checks that Format(v) parses back to a tree equal to v.
func checkRoundTrip(t *testing.T, v *Value) {
	t.Helper()
	out := Format(v)
	w, err := Parse(out, Limits{})
	require.NoError(t, err, "Parse(Format(v)); Format(v) = %s", out)
	require.True(t, equal(v, w), "round trip changed the value:\n first  %s\n second %s", out, Format(w))
	require.Equal(t, string(out), string(Format(w)), "Format is not stable")
}

// equal reports whether a and b hold the same JSON, ignoring positions.
func equal(a, b *Value) bool {
	if a.Kind != b.Kind || a.Str != b.Str || a.Bool != b.Bool ||
		len(a.Elems) != len(b.Elems) || len(a.Members) != len(b.Members) {
		return false
	}
	for i := range a.Elems {
		if !equal(a.Elems[i], b.Elems[i]) {
			return false
		}
	}
	for i := range a.Members {
		if a.Members[i].Key != b.Members[i].Key || !equal(a.Members[i].Value, b.Members[i].Value) {
			return false
		}
	}
	return true
}

// checkStdlibContent checks that v holds what encoding/json decodes from src
// with UseNumber.
func checkStdlibContent(t *testing.T, src []byte, v *Value) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var want any
	require.NoError(t, dec.Decode(&want), "encoding/json cannot decode %q", src)
	require.Equal(t, want, toAny(v), "content, want what encoding/json decodes")
}

// toAny converts v to what encoding/json decodes into an any with UseNumber.
func toAny(v *Value) any {
	switch v.Kind {
	case Bool:
		return v.Bool
	case Number:
		return json.Number(v.Str)
	case String:
		return v.Str
	case Array:
		out := make([]any, len(v.Elems))
		for i, e := range v.Elems {
			out[i] = toAny(e)
		}
		return out
	case Object:
		out := make(map[string]any, len(v.Members))
		for _, m := range v.Members {
			out[m.Key] = toAny(m.Value)
		}
		return out
	}
	return nil
}

// stdlibAccepts returns "" if encoding/json accepts src and src has none of
// the features Parse rejects on purpose; otherwise it names the reason.
func stdlibAccepts(src []byte) string {
	switch {
	case !json.Valid(src):
		return "invalid JSON"
	case bytes.HasPrefix(src, []byte("\xEF\xBB\xBF")):
		return "byte order mark"
	case !utf8.Valid(src):
		return "invalid UTF-8"
	case hasUnpairedSurrogate(src):
		return "unpaired surrogate escape"
	}
	dup, depth, err := structure(src)
	switch {
	case err != nil:
		return "encoding/json tokenizer: " + err.Error()
	case dup:
		return "duplicate key"
	case depth > DefaultMaxDepth:
		return "too deep"
	}
	return ""
}

// hasUnpairedSurrogate reports whether valid JSON src has a \u escape of a
// surrogate that is not part of a high-low pair. Backslashes occur only in
// strings of valid JSON, so no string tracking is needed.
func hasUnpairedSurrogate(src []byte) bool {
	for i := 0; i < len(src); i++ {
		if src[i] != '\\' {
			continue
		}
		if src[i+1] != 'u' {
			i++ // skip the escaped character, which may be a backslash
			continue
		}
		r, _ := hex4(src, i+2)
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		case r >= 0xD800 && r <= 0xDBFF:
			lo, ok := rune(0), false
			if i+7 < len(src) && src[i+6] == '\\' && src[i+7] == 'u' {
				lo, ok = hex4(src, i+8)
			}
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 11
		default:
			i += 5
		}
	}
	return false
}

// structure reports, using encoding/json's tokenizer, whether some object in
// valid JSON src has a duplicate key, and how deeply containers nest.
func structure(src []byte) (dup bool, depth int, err error) {
	type frame struct {
		obj     bool
		wantKey bool
		keys    map[string]bool
	}
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(src))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return dup, depth, nil
		}
		if err != nil {
			return dup, depth, err
		}
		top := len(stack) - 1
		switch tok := tok.(type) {
		case json.Delim:
			if tok == '{' || tok == '[' {
				stack = append(stack, frame{obj: tok == '{', wantKey: tok == '{', keys: map[string]bool{}})
				depth = max(depth, len(stack))
				continue
			}
			stack = stack[:top]
			top--
		case string:
			if top >= 0 && stack[top].wantKey {
				dup = dup || stack[top].keys[tok]
				stack[top].keys[tok] = true
				stack[top].wantKey = false
				continue
			}
		}
		if top >= 0 && stack[top].obj {
			stack[top].wantKey = true // a member's value is complete
		}
	}
}

func TestStructure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src       string
		wantDup   bool
		wantDepth int
	}{
		{src: `1`},
		{src: `{"a":{"a":1},"b":[{"a":2,"b":3}]}`, wantDepth: 3},
		{src: `{"a":{"b":1},"a":2}`, wantDup: true, wantDepth: 2},
		{src: `[{"a":1,"b":{},"b":2}]`, wantDup: true, wantDepth: 3},
		{src: `{"a":"b","b":"a"}`, wantDepth: 1},
	}
	for _, tc := range tests {
		dup, depth, err := structure([]byte(tc.src))
		if assert.NoError(t, err, "structure(%s)", tc.src) {
			assert.Equal(t, tc.wantDup, dup, "structure(%s): duplicates", tc.src)
			assert.Equal(t, tc.wantDepth, depth, "structure(%s): depth", tc.src)
		}
	}
	for src, want := range map[string]bool{`"\ud800"`: true, `"\udc00"`: true, `"\ud800\udc00"`: false,
		`"\\ud800"`: false, `"\\\ud800x"`: true, `"\u0041\ud83d\ude00"`: false, `"\ud83d\u0041"`: true} {
		assert.Equal(t, want, hasUnpairedSurrogate([]byte(src)), "hasUnpairedSurrogate(%s)", src)
	}
}
