package catalog

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// embeddedFiles reads the embedded data as the input of build.
func embeddedFiles(t *testing.T) dataFiles {
	t.Helper()
	read := func(name string) namedData {
		b, err := dataFS.ReadFile("data/" + name)
		require.NoError(t, err)
		return namedData{name: name, data: b}
	}
	in := dataFiles{global: read(globalFile)}
	for _, name := range serviceFiles {
		in.services = append(in.services, read(name))
	}
	return in
}

// TestBuildRejectsBrokenData feeds build the embedded files with one edit
// each and checks that Load's consistency checks catch it.
func TestBuildRejectsBrokenData(t *testing.T) {
	t.Parallel()
	const mt, sv, gl = "mobiletargeting.json", "sms-voice.json", "global-condition-keys.json"
	tests := []struct {
		name     string
		file     string // file to edit
		old, new string // first occurrence of old becomes new
		wantErr  string // substring of the error
	}{
		{name: "unknown field", file: gl, old: `"source": {`, new: `"extra": 1, "source": {`, wantErr: `unknown field "extra"`},
		{name: "trailing data", file: gl, old: "\n}\n", new: "\n}\n{}", wantErr: "data after the top-level object"},
		{name: "bad JSON", file: mt, old: `"prefix"`, new: `prefix`, wantErr: "mobiletargeting.json: invalid character"},
		{name: "unknown key type", file: gl, old: `"type": "Bool"`, new: `"type": "Boolean"`, wantErr: `unknown type "Boolean"`},
		{name: "multivalued mismatch", file: gl, old: `"multivalued": true`, new: `"multivalued": false`, wantErr: "multivalued is false"},
		{name: "global key without category", file: gl, old: `"category": "session",`, new: ``, wantErr: "has no category"},
		{name: "source mismatch", file: sv, old: `"version": "0.21.202609261"`, new: `"version": "0.0.1"`, wantErr: "differs from"},
		{name: "upper-case prefix", file: mt, old: `"prefix": "mobiletargeting"`, new: `"prefix": "MobileTargeting"`, wantErr: "lower case"},
		{
			name: "unknown resource type", file: mt,
			old: `"name": "apps",` + "\n          \"required\"", new: `"name": "appz",` + "\n          \"required\"",
			wantErr: `unknown resource type "appz"`,
		},
		{
			name: "wildcard_only without resource types", file: sv,
			old: `"wildcard_only": true,`, new: `"wildcard_only": false,`, wantErr: "wildcard_only is false with 0 resource types",
		},
		{name: "unknown condition key", file: mt, old: `"aws:TagKeys"`, new: `"aws:TagKeyz"`, wantErr: `unknown condition key "aws:TagKeyz"`},
		{name: "bad ARN format", file: mt, old: `apps/${AppId}"`, new: `apps/${AppId"`, wantErr: "bad placeholder"},
		{name: "short ARN format", file: sv, old: `"arn:${Partition}:sms-voice:${Region}:${Account}:message/${MessageId}"`, new: `"arn:aws:sms-voice"`, wantErr: "want arn:partition"},
		{name: "actions differ only in case", file: mt, old: `"name": "CreateCampaign",`, new: `"name": "CREATEAPP",`, wantErr: "appears twice"},
		{name: "unknown api version", file: sv, old: "\"api_versions\": [\n        \"v2\"", new: "\"api_versions\": [\n        \"v3\"", wantErr: `api version "v3"`},
		{name: "family name does not extend prefix", file: gl, old: `"prefix": "aws:PrincipalTag/"`, new: `"prefix": "aws:Principal/"`, wantErr: "does not extend its prefix"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := embeddedFiles(t)
			edit := func(f *namedData) {
				if f.name != tc.file {
					return
				}
				require.Contains(t, string(f.data), tc.old, "%s", f.name)
				f.data = []byte(strings.Replace(string(f.data), tc.old, tc.new, 1))
			}
			edit(&in.global)
			for i := range in.services {
				edit(&in.services[i])
			}
			_, err := build(in)
			if assert.ErrorContains(t, err, tc.wantErr, "build()") {
				assert.True(t, strings.HasPrefix(err.Error(), "catalog: "), "build() error %q lacks the package prefix", err)
			}
		})
	}
}

func TestBuildRejectsDuplicateService(t *testing.T) {
	t.Parallel()
	in := embeddedFiles(t)
	in.services = append(in.services, in.services[0])
	_, err := build(in)
	assert.ErrorContains(t, err, "appears twice", "build(), want a duplicate service prefix")
}

func TestCompileFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, format string
		wantTokens   int
		wantErr      bool
	}{
		{name: "placeholders", format: "arn:${Partition}:s:${Region}:${Account}:x/${Id}", wantTokens: 4 + 1 + 3 + 1 + 1 + 1 + 1 + 2 + 1},
		{name: "literal star", format: "arn:${Partition}:s:${Region}:${Account}:x/*", wantTokens: 4 + 1 + 3 + 1 + 1 + 1 + 1 + 2 + 1},
		{name: "no arn", format: "aws:s:r:a:x:y", wantErr: true},
		{name: "too few parts", format: "arn:aws:s:r:a", wantErr: true},
		{name: "empty placeholder", format: "arn:aws:s:r:a:x/${}", wantErr: true},
		{name: "open placeholder", format: "arn:aws:s:r:a:x/${Id", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			toks, err := compileFormat(tc.format)
			if tc.wantErr {
				require.Error(t, err, "compileFormat(%q)", tc.format)
				return
			}
			require.NoError(t, err, "compileFormat(%q)", tc.format)
			assert.Len(t, toks, tc.wantTokens, "compileFormat(%q) tokens", tc.format)
		})
	}
}

func TestCompilePattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		want    string // tokens: literal as itself, '?' as ?, '*' as *
	}{
		{pattern: "a*b?c", want: "a*b?c"},
		{pattern: "a***b", want: "a*b"},
		{pattern: "x/${aws:username}", want: "x/*"},
		{pattern: "${aws:username}*", want: "*"},
		{pattern: "x${*}${?}${$}", want: "x\x00*\x00?$"},
		{pattern: "x${}", want: "x${}"},
		{pattern: "x${open", want: "x${open"},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			for _, tok := range compilePattern(tc.pattern) {
				switch tok.kind {
				case patStar:
					b.WriteByte('*')
				case patAny:
					b.WriteByte('?')
				default:
					if tok.ch == '*' || tok.ch == '?' {
						b.WriteByte(0) // mark a literal wildcard character
					}
					b.WriteByte(tok.ch)
				}
			}
			assert.Equal(t, tc.want, b.String(), "compilePattern(%q)", tc.pattern)
		})
	}
}
