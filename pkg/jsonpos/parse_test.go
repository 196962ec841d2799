package jsonpos

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// step is one step of a path into a tree: a string selects an object member,
// an int an array element.
type step = any

// lookup follows path from v. It returns the value reached and, when the last
// step is a key, its member.
func lookup(t *testing.T, v *Value, path []step) (*Value, *Member) {
	t.Helper()
	var m *Member
	for _, s := range path {
		switch s := s.(type) {
		case string:
			var ok bool
			m, ok = v.Get(s)
			require.True(t, ok, "path %v: no key %q", path, s)
			v = m.Value
		case int:
			require.Equal(t, Array, v.Kind, "path %v: element %d of a non-array", path, s)
			require.Less(t, s, len(v.Elems), "path %v: no element %d", path, s)
			v, m = v.Elems[s], nil
		}
	}
	return v, m
}

const nestedDoc = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\"}\n  ]\n}"

var positionTests = []struct {
	name    string
	src     string
	path    []step
	want    Pos
	wantKey Pos // checked when the last step is a key
}{
	{name: "scalar after spaces", src: "  42", want: Pos{2, 1, 3}},
	{name: "tab counts one column", src: "[\t1]", path: []step{0}, want: Pos{2, 1, 3}},
	{name: "nested key", src: nestedDoc, path: []step{"Version"}, want: Pos{15, 2, 14}, wantKey: Pos{4, 2, 3}},
	{name: "nested array", src: nestedDoc, path: []step{"Statement"}, want: Pos{44, 3, 16}, wantKey: Pos{31, 3, 3}},
	{name: "nested object", src: nestedDoc, path: []step{"Statement", 0}, want: Pos{50, 4, 5}},
	{name: "nested deep key", src: nestedDoc, path: []step{"Statement", 0, "Effect"}, want: Pos{61, 4, 16}, wantKey: Pos{51, 4, 6}},
	{name: "multi-byte key and value", src: `{"é":"😀","k":[1,true]}`, path: []step{"é"}, want: Pos{6, 1, 6}, wantKey: Pos{1, 1, 2}},
	{name: "after multi-byte", src: `{"é":"😀","k":[1,true]}`, path: []step{"k"}, want: Pos{17, 1, 14}, wantKey: Pos{13, 1, 10}},
	{name: "after multi-byte in array", src: `{"é":"😀","k":[1,true]}`, path: []step{"k", 1}, want: Pos{20, 1, 17}},
	{name: "multi-byte on previous line", src: "[\"日本\",\n \"x\"]", path: []step{1}, want: Pos{12, 2, 2}},
	{name: "crlf first", src: "[\r\n  1,\r\n  \"a\"\r\n]", path: []step{0}, want: Pos{5, 2, 3}},
	{name: "crlf second", src: "[\r\n  1,\r\n  \"a\"\r\n]", path: []step{1}, want: Pos{11, 3, 3}},
	{name: "lone cr", src: "[\r1,\r\"a\"]", path: []step{1}, want: Pos{5, 3, 1}},
	{name: "lf then cr", src: "[\n\r2]", path: []step{0}, want: Pos{3, 3, 1}},
	{name: "after escapes", src: `["\u00e9\n", 2]`, path: []step{1}, want: Pos{13, 1, 14}},
	// Every kind of line break and characters of several bytes in one
	// document, as a bundle file written on several systems has them.
	{name: "mixed line breaks key", src: mixedBreaks, path: []step{"b"}, want: Pos{24, 6, 3}, wantKey: Pos{16, 4, 1}},
	{name: "mixed line breaks after lone cr", src: mixedBreaks, path: []step{"b", 1}, want: Pos{29, 7, 2}},
	{name: "mixed line breaks multi-byte", src: mixedBreaks, path: []step{"b", 2}, want: Pos{32, 7, 5}},
}

const mixedBreaks = "{\n \"a\": \"é\",\r\n\r\"b\":\n\n  [1,\r 2, \"ü\"] }\r\n"

func TestParsePositions(t *testing.T) {
	t.Parallel()
	for _, tc := range positionTests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root, err := Parse([]byte(tc.src), Limits{})
			require.NoError(t, err, "Parse(%q)", tc.src)
			v, m := lookup(t, root, tc.path)
			assert.Equal(t, tc.want, v.Pos, "value position")
			if m != nil {
				assert.Equal(t, tc.wantKey, m.KeyPos, "key position")
			}
			checkTree(t, []byte(tc.src), root)
		})
	}
}

func TestParseValues(t *testing.T) {
	t.Parallel()
	v, err := Parse([]byte(`{"s":"a\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00","n":-1.50e+3,"t":true,"f":false,"z":null,"a":[],"o":{}}`), Limits{})
	require.NoError(t, err)
	tests := []struct {
		key      string
		wantKind Kind
		wantStr  string
		wantBool bool
	}{
		{key: "s", wantKind: String, wantStr: "a\"\\/\b\f\n\r\tAé😀"},
		{key: "n", wantKind: Number, wantStr: "-1.50e+3"},
		{key: "t", wantKind: Bool, wantBool: true},
		{key: "f", wantKind: Bool},
		{key: "z", wantKind: Null},
		{key: "a", wantKind: Array},
		{key: "o", wantKind: Object},
	}
	for _, tc := range tests {
		m, ok := v.Get(tc.key)
		require.True(t, ok, "Get(%q) found nothing", tc.key)
		got := m.Value
		assert.Equal(t, tc.wantKind, got.Kind, "%q: kind", tc.key)
		assert.Equal(t, tc.wantStr, got.Str, "%q: string", tc.key)
		assert.Equal(t, tc.wantBool, got.Bool, "%q: bool", tc.key)
	}
	assert.Equal(t, "s,n,t,f,z,a,o", memberKeys(v), "member order")
}

func memberKeys(v *Value) string {
	keys := make([]string, len(v.Members))
	for i, m := range v.Members {
		keys[i] = m.Key
	}
	return strings.Join(keys, ",")
}

// parseErrorTests lists every error path. Positions are hand-computed; the
// offset is checked against line and column by checkError.
var parseErrorTests = []struct {
	name     string
	src      string
	wantLine int
	wantCol  int
	wantMsg  string
}{
	// Document level.
	{"empty", "", 1, 1, "unexpected end of input, expected a value"},
	{"only whitespace", " \n ", 2, 2, "unexpected end of input, expected a value"},
	{"byte order mark", "\xEF\xBB\xBF{}", 1, 1, "input starts with a UTF-8 byte order mark (U+FEFF), which is not allowed; save the document without it"},
	{"utf-16le byte order mark", "\xFF\xFE{\x00}\x00", 1, 1, "input starts with a UTF-16 byte order mark; save the document as UTF-8 without a byte order mark"},
	{"utf-16be byte order mark", "\xFE\xFF\x00{\x00}", 1, 1, "input starts with a UTF-16 byte order mark; save the document as UTF-8 without a byte order mark"},
	{"byte order mark after space", " \uFEFF{}", 1, 2, "invalid character '\\ufeff' looking for beginning of value"},
	{"second value", "{} x", 1, 4, "expected end of input after top-level value, found 'x'"},
	{"two numbers", "1 2", 1, 3, "expected end of input after top-level value, found '2'"},
	{"closing brace after value", "{}\n}", 2, 1, "expected end of input after top-level value, found '}'"},

	// Beginning of a value.
	{"invalid character", "@", 1, 1, "invalid character '@' looking for beginning of value"},
	{"single quotes", "['a']", 1, 2, "invalid character '\\'' looking for beginning of value (use double quotes for strings)"},
	{"plus sign", "+1", 1, 1, "invalid character '+' looking for beginning of value (a number must not start with '+')"},
	{"leading dot", "[.5]", 1, 2, "invalid character '.' looking for beginning of value (a number must start with a digit)"},
	{"invalid utf-8 outside string", "[\xff]", 1, 2, "invalid UTF-8 byte 0xff looking for beginning of value"},
	{"non-ascii character", "[é]", 1, 2, "invalid character 'é' looking for beginning of value"},
	{"control character", "\x01", 1, 1, "invalid character '\\x01' looking for beginning of value"},
	{"missing value in array", "[,1]", 1, 2, "invalid character ',' looking for beginning of value"},
	{"double comma", "[1,,2]", 1, 4, "invalid character ',' looking for beginning of value"},
	{"missing member value", `{"a":}`, 1, 6, "invalid character '}' looking for beginning of value"},

	// Literals.
	{"truncated true", "tru", 1, 1, `invalid literal "tru", expected true, false, null, a number or a quoted string`},
	{"capital True", "[True]", 1, 2, `invalid literal "True", expected true (JSON literals are lower case)`},
	{"upper NULL", "NULL", 1, 1, `invalid literal "NULL", expected null (JSON literals are lower case)`},
	{"literal run on", "[truex]", 1, 2, `invalid literal "truex", expected true, false, null, a number or a quoted string`},
	{"NaN", "NaN", 1, 1, `invalid literal "NaN", expected true, false, null, a number or a quoted string`},
	{"long word", strings.Repeat("x", 50), 1, 1, `invalid literal "` + strings.Repeat("x", 40) + `...", expected true, false, null, a number or a quoted string`},

	// Numbers.
	{"lone minus", "-", 1, 2, "unexpected end of input, expected digit after '-' in number"},
	{"minus letter", "-x", 1, 2, "expected digit after '-' in number, found 'x'"},
	{"minus Infinity", "[-Infinity]", 1, 3, "expected digit after '-' in number, found 'I'"},
	{"leading zero", "01", 1, 1, `invalid number "01": leading zeros are not allowed`},
	{"negative leading zero", "[1, -012]", 1, 5, `invalid number "-012": leading zeros are not allowed`},
	{"dot at end", "1.", 1, 3, "unexpected end of input, expected digit after decimal point in number"},
	{"dot then exponent", "1.e5", 1, 3, "expected digit after decimal point in number, found 'e'"},
	{"exponent at end", "1e", 1, 3, "unexpected end of input, expected digit in exponent of number"},
	{"exponent sign at end", "1e+", 1, 4, "unexpected end of input, expected digit in exponent of number"},
	{"exponent letter", "1ex", 1, 3, "expected digit in exponent of number, found 'x'"},
	{"two dots", "[1.5.3]", 1, 5, "expected ',' or ']' after array element, found '.'"},
	{"hex", "0x10", 1, 2, "expected end of input after top-level value, found 'x'"},

	// Strings.
	{"unterminated", `"abc`, 1, 1, `unterminated string, expected closing '"' before end of input`},
	{"unterminated value", `{"a":"x`, 1, 6, `unterminated string, expected closing '"' before end of input`},
	{"unterminated after escape", `"a\n`, 1, 1, `unterminated string, expected closing '"' before end of input`},
	{"backslash at end", `"a\`, 1, 1, `unterminated string, expected closing '"' before end of input`},
	{"escaped invalid utf-8", "\"\\\xff\"", 1, 2, `invalid escape sequence in string: '\\' followed by invalid UTF-8 byte 0xff, expected one of \" \\ \/ \b \f \n \r \t \uXXXX`},
	{"invalid escape", `"\x"`, 1, 2, `invalid escape sequence in string: '\\' followed by 'x', expected one of \" \\ \/ \b \f \n \r \t \uXXXX`},
	{"escaped single quote", `"it\'s"`, 1, 4, `invalid escape sequence in string: '\\' followed by '\'', expected one of \" \\ \/ \b \f \n \r \t \uXXXX`},
	{"short unicode escape", `"\u12"`, 1, 2, `invalid \u escape in string, expected 4 hexadecimal digits after \u`},
	{"unicode escape at end", `"\u12`, 1, 2, `invalid \u escape in string, expected 4 hexadecimal digits after \u`},
	{"non-hex unicode escape", `"ab\u00g0"`, 1, 4, `invalid \u escape in string, expected 4 hexadecimal digits after \u`},
	{"lone high surrogate", `"\uD800"`, 1, 2, `invalid escape \uD800 in string: unpaired high surrogate, expected a low surrogate \uDC00-\uDFFF to follow`},
	{"high surrogate then letter", `"\ud800\u0041"`, 1, 2, `invalid escape \ud800 in string: unpaired high surrogate, expected a low surrogate \uDC00-\uDFFF to follow`},
	{"two high surrogates", `"\uD83D\uD83D"`, 1, 2, `invalid escape \uD83D in string: unpaired high surrogate, expected a low surrogate \uDC00-\uDFFF to follow`},
	{"lone low surrogate", `"é\uDC00"`, 1, 3, `invalid escape \uDC00 in string: unpaired low surrogate, expected it to follow a high surrogate \uD800-\uDBFF`},
	{"raw tab", "\"a\tb\"", 1, 3, `invalid control character U+0009 in string, write it as \t`},
	{"raw control after escape", "\"\\n\x01\"", 1, 4, `invalid control character U+0001 in string, write it as \u0001`},
	{"raw newline", "{\"a\": \"ab\ncd\"}", 1, 10, `line break in string: expected closing '"' before the end of the line, or write the line break as \n`},
	{"raw carriage return", "\"\r\"", 1, 2, `line break in string: expected closing '"' before the end of the line, or write the line break as \n`},
	{"control after multi-byte", "\"é\x1f\"", 1, 3, `invalid control character U+001F in string, write it as \u001F`},
	{"invalid utf-8 in string", "\"a\xffb\"", 1, 3, "invalid UTF-8 byte 0xff in string"},
	{"invalid utf-8 after escape", "\"\\n\xff\"", 1, 4, "invalid UTF-8 byte 0xff in string"},
	{"truncated utf-8", "\"\xe2\x82\"", 1, 2, "invalid UTF-8 byte 0xe2 in string"},
	{"overlong utf-8", "\"\xc0\xaf\"", 1, 2, "invalid UTF-8 byte 0xc0 in string"},
	{"utf-8 encoded surrogate", "\"\xed\xa0\x80\"", 1, 2, "invalid UTF-8 byte 0xed in string"},

	// Objects.
	{"open brace", "{", 1, 2, "unexpected end of input, expected string key or '}' after '{'"},
	{"unquoted key", "{Effect: 1}", 1, 2, "expected string key or '}' after '{', found 'E' (object keys must be double-quoted strings)"},
	{"single-quoted key", "{'a': 1}", 1, 2, "expected string key or '}' after '{', found '\\'' (use double quotes for keys)"},
	{"number key", "{1: 2}", 1, 2, "expected string key or '}' after '{', found '1' (object keys must be double-quoted strings)"},
	{"array instead of key", "{[]}", 1, 2, "expected string key or '}' after '{', found '['"},
	{"missing colon", `{"a"}`, 1, 5, "expected ':' after object key, found '}'"},
	{"missing colon before value", `{"a" 1}`, 1, 6, "expected ':' after object key, found '1'"},
	{"end after key", `{"a"`, 1, 5, "unexpected end of input, expected ':' after object key"},
	{"end after colon", `{"a":`, 1, 6, "unexpected end of input, expected a value"},
	{"end after member", `{"a":1`, 1, 7, "unexpected end of input, expected ',' or '}' after object member"},
	{"missing comma", `{"a":1 "b":2}`, 1, 8, "expected ',' or '}' after object member, found '\"'"},
	{"invalid utf-8 after member", "{\"a\":1\xc3}", 1, 7, "expected ',' or '}' after object member, found invalid UTF-8 byte 0xc3"},
	{"bracket closes object", `{"a":1]`, 1, 7, "expected ',' or '}' after object member, found ']'"},
	{"trailing comma in object", `{"a":1,}`, 1, 7, "trailing comma before '}' is not allowed, remove it"},
	{"trailing comma before newline", "{\n  \"a\": 1,\n}", 2, 9, "trailing comma before '}' is not allowed, remove it"},
	{"number after comma", `{"a":1,2}`, 1, 8, "expected string key after ',', found '2' (object keys must be double-quoted strings)"},
	{"end after comma", `{"a":1,`, 1, 8, "unexpected end of input, expected string key after ','"},
	{"unterminated key", `{"a`, 1, 2, `unterminated string, expected closing '"' before end of input`},

	// Arrays.
	{"open bracket", "[", 1, 2, "unexpected end of input, expected a value"},
	{"end after element", "[1", 1, 3, "unexpected end of input, expected ',' or ']' after array element"},
	{"missing comma in array", "[1 2]", 1, 4, "expected ',' or ']' after array element, found '2'"},
	{"brace closes array", "[1}", 1, 3, "expected ',' or ']' after array element, found '}'"},
	{"trailing comma in array", "[1,]", 1, 3, "trailing comma before ']' is not allowed, remove it"},
	{"trailing comma after multi-byte", "[\"é\",\r\n]", 1, 5, "trailing comma before ']' is not allowed, remove it"},
	{"end after comma in array", "[1,", 1, 4, "unexpected end of input, expected a value"},
	{"non-breaking space", "[1,\u00a02]", 1, 4, "invalid character '\\u00a0' looking for beginning of value"},

	// Positions after line breaks and multi-byte characters.
	{"after crlf", "[\r\n1,\r\n x]", 3, 2, `invalid literal "x", expected true, false, null, a number or a quoted string`},
	{"after lone cr", "[\r1,\rx]", 3, 1, `invalid literal "x", expected true, false, null, a number or a quoted string`},
	{"after multi-byte", `["é😀", x]`, 1, 8, `invalid literal "x", expected true, false, null, a number or a quoted string`},

	// Duplicate keys.
	{"duplicate key", `{"Effect":"Allow","Effect":"Deny"}`, 1, 19, `duplicate key "Effect" (first at line 1, column 2)`},
	{"duplicate key on later line", "{\n  \"Statement\": {\n    \"Effect\": \"Allow\",\n    \"Effect\": \"Deny\"\n  }\n}", 4, 5,
		`duplicate key "Effect" (first at line 3, column 5)`},
	{"duplicate key after multi-byte", `{"é":1,"é":2}`, 1, 8, `duplicate key "é" (first at line 1, column 2)`},
	{"duplicate key written with escape", `{"a":1,"\u0061":2}`, 1, 8, `duplicate key "a" (first at line 1, column 2)`},
	{"long duplicate key", `{"a` + strings.Repeat("é", 30) + `":1,"a` + strings.Repeat("é", 30) + `":2}`, 1, 38,
		`duplicate key "a` + strings.Repeat("é", 19) + `..." (first at line 1, column 2)`},
	{"duplicate empty key", `{"":1,"":2}`, 1, 7, `duplicate key "" (first at line 1, column 2)`},
	// largeObject(20) is 150 bytes long.
	{"duplicate key in large object", largeObject(20) + `,"k3":0}`, 1, 152, `duplicate key "k3" (first at line 1, column 23)`},
	{"duplicate of key added after index", largeObject(20) + `,"x":0,"x":1}`, 1, 158, `duplicate key "x" (first at line 1, column 152)`},
}

// largeObject returns `{"k0":0,"k1":1,...` with n members and no closing
// brace, large enough for duplicate detection to switch to a map.
func largeObject(n int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `":0`)
	}
	return b.String()
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range parseErrorTests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := Parse([]byte(tc.src), Limits{})
			if err == nil {
				require.FailNow(t, "no error", "Parse(%q) = %s, want error", tc.src, Format(v))
			}
			se := checkError(t, []byte(tc.src), err)
			assert.Equal(t, fmt.Sprintf("%d:%d %s", tc.wantLine, tc.wantCol, tc.wantMsg),
				fmt.Sprintf("%d:%d %s", se.Pos.Line, se.Pos.Col, se.Msg), "Parse(%q) error", tc.src)
		})
	}
}

func TestLargeObject(t *testing.T) {
	t.Parallel()
	src := largeObject(20)
	require.True(t, strings.HasPrefix(src, `{"k0":0,"k1":0,`), "largeObject(20) = %s", src)
	require.True(t, strings.HasSuffix(src, `,"k19":0`), "largeObject(20) = %s", src)
	require.Len(t, src, 150, "largeObject(20)")
	v, err := Parse([]byte(src+"}"), Limits{})
	require.NoError(t, err)
	assert.Len(t, v.Members, 20, "members")
}

func TestParseDepth(t *testing.T) {
	t.Parallel()
	nest := func(open, close string, n int) string {
		return strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
	}
	tests := []struct {
		name    string
		src     string
		lim     Limits
		wantCol int // 0: no error
	}{
		{name: "default limit reached", src: nest("[", "]", 64)},
		{name: "default limit exceeded", src: nest("[", "]", 65), wantCol: 65},
		{name: "objects at default limit", src: nest(`{"a":`, "}", 64)},
		{name: "objects beyond default limit", src: nest(`{"a":`, "}", 65), wantCol: 1 + 64*5},
		{name: "negative limit means default", src: nest("[", "]", 65), lim: Limits{MaxDepth: -1}, wantCol: 65},
		{name: "limit 1 scalar", src: "1", lim: Limits{MaxDepth: 1}},
		{name: "limit 1 array", src: "[1]", lim: Limits{MaxDepth: 1}},
		{name: "limit 1 nested array", src: "[[1]]", lim: Limits{MaxDepth: 1}, wantCol: 2},
		{name: "limit 1 empty object in object", src: `{"a":{}}`, lim: Limits{MaxDepth: 1}, wantCol: 6},
		{name: "mixed at limit 3", src: `{"a":[{"b":1}]}`, lim: Limits{MaxDepth: 3}},
		{name: "mixed beyond limit 3", src: `{"a":[{"b":[]}]}`, lim: Limits{MaxDepth: 3}, wantCol: 12},
		{name: "large limit", src: nest("[", "]", 5000), lim: Limits{MaxDepth: 5000}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.src), tc.lim)
			if tc.wantCol == 0 {
				require.NoError(t, err)
				return
			}
			se := checkError(t, []byte(tc.src), err)
			limit := tc.lim.MaxDepth
			if limit <= 0 {
				limit = DefaultMaxDepth
			}
			want := "exceeded maximum nesting depth of " + strconv.Itoa(limit)
			assert.Equal(t, tc.wantCol, se.Pos.Col, "column of the error")
			assert.Equal(t, want, se.Msg, "message of the error")
		})
	}
}

func TestParseMaxBytes(t *testing.T) {
	t.Parallel()
	src := []byte(`{"a": [1, 2]}`) // 13 bytes
	_, err := Parse(src, Limits{MaxBytes: 13})
	require.NoError(t, err, "at the limit")
	_, err = Parse(src, Limits{MaxBytes: 12})
	se := checkError(t, src, err)
	assert.Equal(t, Pos{0, 1, 1}, se.Pos, "position of the error")
	assert.Equal(t, "input is 13 bytes, more than the limit of 12 bytes", se.Msg, "message of the error")
}

func TestSyntaxErrorError(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("{\n  \"a\": 1,\n  \"a\": 2\n}"), Limits{})
	assert.EqualError(t, err, `line 3, column 3: duplicate key "a" (first at line 2, column 3)`)
	var se *SyntaxError
	assert.ErrorAs(t, err, &se)
}

func TestKindString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind Kind
		want string
	}{
		{Null, "null"}, {Bool, "boolean"}, {Number, "number"}, {String, "string"},
		{Array, "array"}, {Object, "object"}, {Kind(42), "Kind(42)"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, tc.kind.String(), "Kind(%d).String()", tc.kind)
	}
}

func TestValueGet(t *testing.T) {
	t.Parallel()
	v, err := Parse([]byte(`{"Effect":"Allow","effect":"x","Action":[]}`), Limits{})
	require.NoError(t, err)
	tests := []struct {
		name    string
		v       *Value
		key     string
		wantOK  bool
		wantCol int
	}{
		{name: "first", v: v, key: "Effect", wantOK: true, wantCol: 2},
		{name: "case matters", v: v, key: "effect", wantOK: true, wantCol: 19},
		{name: "last", v: v, key: "Action", wantOK: true, wantCol: 32},
		{name: "missing", v: v, key: "Resource"},
		{name: "array", v: v.Members[2].Value, key: "Effect"},
		{name: "nil", v: nil, key: "Effect"},
	}
	for _, tc := range tests {
		m, ok := tc.v.Get(tc.key)
		if !assert.Equal(t, tc.wantOK, ok, "%s: Get(%q) found it", tc.name, tc.key) {
			continue
		}
		if ok {
			assert.Equal(t, tc.key, m.Key, "%s: Get(%q): key", tc.name, tc.key)
			assert.Equal(t, tc.wantCol, m.KeyPos.Col, "%s: Get(%q): column of the key", tc.name, tc.key)
		} else {
			assert.Nil(t, m, "%s: Get(%q)", tc.name, tc.key)
		}
	}
	// The member is the one in the tree, not a copy.
	m, _ := v.Get("Effect")
	assert.Same(t, &v.Members[0], m, "Get returned a copy of the member")
}

func BenchmarkParse(b *testing.B) {
	src, err := os.ReadFile("testdata/policy.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
