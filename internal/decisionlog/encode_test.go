package decisionlog

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{name: "plain", in: "arn:aws:s3:::bucket/key", want: `"arn:aws:s3:::bucket/key"`},
		{name: "quote and backslash", in: `a"b\c`, want: `"a\"b\\c"`},
		{name: "controls", in: "a\nb\tc\rd\x00e\x1f", want: `"a\nb\tc\rd\u0000e\u001f"`},
		{name: "unicode", in: "héllo 世界", want: `"héllo 世界"`},
		{name: "line separators", in: "a\u2028b\u2029", want: `"a\u2028b\u2029"`},
		{name: "invalid utf-8", in: "a\xffb\xc3", want: `"a\ufffdb\ufffd"`},
		{name: "empty", in: "", want: `""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, string(appendString(nil, tc.in)), "appendString(%q)", tc.in)
		})
	}
}

// FuzzAppendString checks that every string encodes as valid JSON that
// decodes as encoding/json decodes its own encoding of the string.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `"\`, "\x00\n", "\xff\xfe", "\u2028", "世界", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		require.True(t, json.Valid(got), "appendString(%q) = %s: not valid JSON", s, got)
		var decoded, want string
		require.NoError(t, json.Unmarshal(got, &decoded))
		ref, _ := json.Marshal(s)
		require.NoError(t, json.Unmarshal(ref, &want))
		assert.Equal(t, want, decoded, "what appendString(%q) decodes to", s)
	})
}

func TestMask(t *testing.T) {
	t.Parallel()
	ctx := testContext{
		"aws:SourceIp":           {"192.0.2.1"},
		"aws:RequestTag/team":    {"blue"},
		"aws:RequestTag/project": {"x"},
		"aws:TagKeys":            {"team", "project"},
		"aws:SecureTransport":    {"true"},
	}
	tests := []struct {
		name string
		mask []string
		want string
	}{
		{name: "none", want: `{"aws:RequestTag/project":"x","aws:RequestTag/team":"blue","aws:SecureTransport":"true","aws:SourceIp":"192.0.2.1","aws:TagKeys":["team","project"]}`},
		{name: "one key", mask: []string{"aws:SourceIp"},
			want: `{"aws:RequestTag/project":"x","aws:RequestTag/team":"blue","aws:SecureTransport":"true","aws:SourceIp":"***","aws:TagKeys":["team","project"]}`},
		{name: "case-insensitive, multivalued", mask: []string{"AWS:SOURCEIP", " aws:tagkeys "},
			want: `{"aws:RequestTag/project":"x","aws:RequestTag/team":"blue","aws:SecureTransport":"true","aws:SourceIp":"***","aws:TagKeys":"***"}`},
		{name: "prefix", mask: []string{"aws:requesttag/*", ""},
			want: `{"aws:RequestTag/project":"***","aws:RequestTag/team":"***","aws:SecureTransport":"true","aws:SourceIp":"192.0.2.1","aws:TagKeys":["team","project"]}`},
		{name: "everything", mask: []string{"*"},
			want: `{"aws:RequestTag/project":"***","aws:RequestTag/team":"***","aws:SecureTransport":"***","aws:SourceIp":"***","aws:TagKeys":"***"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEncoder(tc.mask)
			var got struct {
				Context json.RawMessage `json:"context"`
			}
			line := e.encode(&Record{Context: ctx})
			require.NoError(t, json.Unmarshal(line, &got), "%s", line)
			assert.Equal(t, tc.want, string(got.Context), "context")
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	r := &Record{Time: testTime, Method: "BatchCheck", RequestID: "4bf92f3577b34da6", Caller: "10.0.0.7:51234",
		Principal: "arn:aws:iam::111122223333:user/alice", Action: "mobiletargeting:GetSegment",
		Resource: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1/segments/s1", Decision: "Allow", Revision: 42,
		InBatch: true, Index: 3, Context: testContext{"aws:SourceIp": {"192.0.2.1"}, "aws:TagKeys": {"team", "project"}}}
	e := newEncoder([]string{"aws:SourceIp"})
	b.ReportAllocs()
	for b.Loop() {
		b.SetBytes(int64(len(e.encode(r))))
	}
}
