package jsonpos

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validDocs returns the valid inputs of the tests: the position tests, the
// benchmark policy and the documents below.
func validDocs(tb testing.TB) [][]byte {
	tb.Helper()
	policy, err := os.ReadFile("testdata/policy.json")
	require.NoError(tb, err)
	docs := [][]byte{policy}
	for _, tc := range positionTests {
		docs = append(docs, []byte(tc.src))
	}
	for _, s := range roundTripDocs {
		docs = append(docs, []byte(s))
	}
	return docs
}

var roundTripDocs = []string{
	`null`, `true`, `false`, `0`, `-0`, `""`, `[]`, `{}`, ` "x" `, "\t\r\n[\r\n]\n",
	`[0,-0,1.5,-1e3,1E+2,1e-2,0.000,123456789012345678901234567890,-9.5e-999]`,
	`"\"\\\/\b\f\n\r\t\u0000\u001f\u007f\ud83d\ude00\uFEFF"`,
	"\"\uFEFF byte order mark inside a string is fine\"",
	`{"":1,"é":"ü","😀":[{}],"a\u0000b":null}`,
	`[[],{},[[]],{"a":{"b":{"c":[1,2,3]}}}]`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
	`"<html>&amp;</html>\u2028\u2029"`,
	largeObject(40) + "}",
	strings.Repeat("[", 64) + strings.Repeat("]", 64),
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, src := range validDocs(t) {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			v, err := Parse(src, Limits{})
			require.NoError(t, err, "Parse(%q)", src)
			checkTree(t, src, v)
			checkRoundTrip(t, v)
			checkStdlibContent(t, src, v)
			checkChars(t, src)
		})
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	str := func(s string) *Value { return &Value{Kind: String, Str: s} }
	tests := []struct {
		name string
		v    *Value
		want string
	}{
		{name: "nil", v: nil, want: `null`},
		{name: "null", v: &Value{}, want: `null`},
		{name: "unknown kind", v: &Value{Kind: 99}, want: `null`},
		{name: "true", v: &Value{Kind: Bool, Bool: true}, want: `true`},
		{name: "false", v: &Value{Kind: Bool}, want: `false`},
		{name: "number literal kept", v: &Value{Kind: Number, Str: "10.0"}, want: `10.0`},
		{name: "plain string", v: str("arn:aws:s3:::b/*"), want: `"arn:aws:s3:::b/*"`},
		{name: "escapes", v: str("q\"b\\s/\b\f\n\r\t\x00\x1f\x7f"), want: `"q\"b\\s/\b\f\n\r\t\u0000\u001f` + "\x7f\""},
		{name: "unicode kept", v: str("é😀\u2028"), want: "\"é😀\u2028\""},
		{name: "invalid utf-8 replaced", v: str("a\xffb\xe2\x82"), want: `"a\ufffdb\ufffd\ufffd"`},
		{name: "array", v: &Value{Kind: Array, Elems: []*Value{str("a"), nil, {Kind: Array}}}, want: `["a",null,[]]`},
		{name: "object in member order", v: &Value{Kind: Object, Members: []Member{
			{Key: "z", Value: str("1")}, {Key: "a\n", Value: &Value{Kind: Object}}, {Key: "m", Value: nil},
		}}, want: `{"z":"1","a\n":{},"m":null}`},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, string(Format(tc.v)), "%s: Format", tc.name)
	}
}

func TestFormatPolicy(t *testing.T) {
	t.Parallel()
	src := []byte(" {\n \"Effect\" : \"Allow\" ,\n \"Action\" : [ \"s3:GetObject\" , 1.50 ] } ")
	v, err := Parse(src, Limits{})
	require.NoError(t, err)
	assert.Equal(t, `{"Effect":"Allow","Action":["s3:GetObject",1.50]}`, string(Format(v)), "Format")
}
