package jsonpos

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestValueEnd checks that src[Pos.Offset:End] is each value as written,
// white space and escapes kept, which is what a caller handing an embedded
// document on relies on.
func TestValueEnd(t *testing.T) {
	t.Parallel()
	const src = "{ \"doc\" : {\"Statement\": [ 1 ,\r\n \"\\u00e9\" ] } ,\n \"n\": -1.5e3, \"t\":true , \"z\":null}\n"
	root, err := Parse([]byte(src), Limits{})
	require.NoError(t, err)
	tests := []struct {
		name string
		path []step
		want string
	}{
		{name: "whole document", want: src[:len(src)-1]},
		{name: "embedded object", path: []step{"doc"}, want: "{\"Statement\": [ 1 ,\r\n \"\\u00e9\" ] }"},
		{name: "array across lines", path: []step{"doc", "Statement"}, want: "[ 1 ,\r\n \"\\u00e9\" ]"},
		{name: "escaped string", path: []step{"doc", "Statement", 1}, want: `"\u00e9"`},
		{name: "number", path: []step{"n"}, want: "-1.5e3"},
		{name: "true", path: []step{"t"}, want: "true"},
		{name: "null", path: []step{"z"}, want: "null"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, _ := lookup(t, root, tc.path)
			assert.Equal(t, tc.want, src[v.Pos.Offset:v.End])
		})
	}
}

// TestDecoderOffset checks that a Decoder's walk finds the text of the
// values it skips from Peek's position and Offset.
func TestDecoderOffset(t *testing.T) {
	t.Parallel()
	src := []byte(`{"a": [1, {"b": "x"}] , "c":"d\"e"}`)
	d := NewDecoder(src, Limits{})
	d.BeginObject()
	var got []string
	for {
		_, _, ok := d.NextKey()
		if !ok {
			break
		}
		_, pos := d.Peek()
		d.Skip()
		got = append(got, string(src[pos.Offset:d.Offset()]))
	}
	d.Finish()
	require.NoError(t, d.Err())
	assert.Equal(t, []string{`[1, {"b": "x"}]`, `"d\"e"`}, got)
	assert.Equal(t, len(src), d.Offset())
}

// TestDuplicateKeys checks that Limits.DuplicateKeys keeps every member of
// an object for the caller to judge, in order and with positions, and that
// without it the second key is an error at its position.
func TestDuplicateKeys(t *testing.T) {
	t.Parallel()
	src := []byte("{\"a\": 1,\n \"b\": {\"x\": 1, \"x\": 2}, \"a\": 3}")

	_, err := Parse(src, Limits{})
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, Pos{Offset: 24, Line: 2, Col: 16}, se.Pos)
	assert.Equal(t, `duplicate key "x" (first at line 2, column 8)`, se.Msg)

	v, err := Parse(src, Limits{DuplicateKeys: true})
	require.NoError(t, err)
	assert.Equal(t, "a,b,a", memberKeys(v))
	m, ok := v.Get("a")
	require.True(t, ok)
	assert.Equal(t, "1", m.Value.Str, "Get finds the first of two members")
	assert.Equal(t, Pos{Offset: 33, Line: 2, Col: 25}, v.Members[2].KeyPos)
	assert.Equal(t, "x,x", memberKeys(v.Members[1].Value))
}

// TestResetBorrowed checks that a borrowing Decoder reads what a copying
// one does, and that its strings are views of the input, not copies.
func TestResetBorrowed(t *testing.T) {
	t.Parallel()
	src := []byte(`{"arn": "x", "tags": {"a": "b\u0041"}}`)
	want, err := Parse(src, Limits{})
	require.NoError(t, err)
	var d Decoder
	d.ResetBorrowed(src, Limits{})
	got := newTree(len(src)).value(&d)
	d.Finish()
	require.NoError(t, d.Err())
	assert.Equal(t, want, got)

	src[9] = 'y' // the text of "x"
	assert.Equal(t, "y", got.Members[0].Value.Str, "a borrowed string is a view of src")
	assert.Equal(t, "x", want.Members[0].Value.Str, "Parse copies")
	assert.Equal(t, "bA", got.Members[1].Value.Members[0].Value.Str, "a string with escapes is decoded into a copy")
}

// TestResetClearsKeys checks that a reused Decoder keeps no key of the
// input before, whether that walk ended, stopped half way, or held more
// keys than the Decoder's first storage.
func TestResetClearsKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		src   string
		steps int // keys read before stopping; -1 reads the whole value
	}{
		{name: "whole walk", src: `{"a": {"b": 1, "c": 2}, "d": 3}`, steps: -1},
		{name: "stopped inside an object", src: `{"a": {"b": 1, "c": 2}, "d": 3}`, steps: 3},
		{name: "more keys than the first storage", steps: -1,
			src: `{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":{"x":1}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := NewDecoder([]byte(tc.src), Limits{})
			if tc.steps < 0 {
				d.Skip()
			} else {
				d.BeginObject()
				d.NextKey()
				d.BeginObject()
				for range tc.steps - 1 {
					d.NextKey()
					d.Skip()
				}
			}
			require.NoError(t, d.Err())
			d.Reset([]byte(`[]`), Limits{})
			assert.Equal(t, [len(d.keysArr)]keyEntry{}, d.keysArr)
		})
	}
}
