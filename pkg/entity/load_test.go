package entity

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const okPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"*"}]}`

func TestLoadDirErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		want  []string // substrings of the error, each naming the file
	}{
		{
			name:  "unknown top-level field",
			files: map[string]string{"m/a.yaml": "userz: []\n"},
			want:  []string{`m/a.yaml: unknown field "userz" (did you mean "users"?)`},
		},
		{
			name:  "unknown top-level field without suggestion",
			files: map[string]string{"m/a.json": `{"things": []}`},
			want:  []string{`m/a.json: unknown field "things" (known fields: accounts, managed_policies, scps, users, groups, roles, resources)`},
		},
		{
			name: "unknown entity field",
			files: map[string]string{"m/users.yaml": "users:\n  - arn: arn:aws:iam::111122223333:user/alice\n" +
				"    grups: [marketing]\n"},
			want: []string{`m/users.yaml: user "arn:aws:iam::111122223333:user/alice": unknown field "grups" (did you mean "groups"?)`},
		},
		{
			name:  "field names are case-sensitive",
			files: map[string]string{"m/a.json": `{"roles": [{"ARN": "arn:aws:iam::111122223333:role/r"}]}`},
			want:  []string{`m/a.json: roles[0]: unknown field "ARN" (did you mean "arn"?)`},
		},
		{
			name:  "duplicate key in YAML",
			files: map[string]string{"m/a.yaml": "users: []\nusers: []\n"},
			want:  []string{`m/a.yaml: invalid YAML:`, `already set in map`},
		},
		{
			name:  "duplicate entity field in JSON",
			files: map[string]string{"m/a.json": `{"scps": [{"name": "A", "name": "B"}]}`},
			want:  []string{`m/a.json: scp "A": name: 1:25: duplicate field (first at line 1, column 12)`},
		},
		{
			name: "duplicate user field in JSON",
			files: map[string]string{"m/a.json": `{"users": [` + "\n" +
				`{"arn":"arn:aws:iam::111122223333:user/carol","groups":["marketing"],"groups":[]}]}`},
			want: []string{`m/a.json: user "arn:aws:iam::111122223333:user/carol": groups: 2:70: duplicate field (first at line 2, column 47)`},
		},
		{
			name:  "duplicate list in JSON",
			files: map[string]string{"m/a.json": `{"users": [], "users": []}`},
			want:  []string{`m/a.json: users: 1:15: duplicate field (first at line 1, column 2)`},
		},
		{
			name:  "duplicate tag in JSON",
			files: map[string]string{"m/a.json": `{"roles": [{"arn": "arn:aws:iam::111122223333:role/r", "tags": {"a": "1", "a": "2"}}]}`},
			want:  []string{`m/a.json: role "arn:aws:iam::111122223333:role/r": tags["a"]: 1:75: duplicate key (first at line 1, column 65)`},
		},
		{
			name:  "number where a string is wanted in YAML",
			files: map[string]string{"m/a.yaml": "accounts:\n  - id: 111122223333\n"},
			want:  []string{`m/a.yaml: accounts[0]: id: want a string, not a JSON number; quote it in YAML`},
		},
		{
			name:  "list expected",
			files: map[string]string{"m/a.yaml": "users: {arn: x}\n"},
			want:  []string{`m/a.yaml: users: must be a list, not an object`},
		},
		{
			name:  "bundle is not an object",
			files: map[string]string{"m/a.json": `[1, 2]`},
			want:  []string{`m/a.json: a bundle must be an object`},
		},
		{
			name:  "invalid JSON has a position",
			files: map[string]string{"m/a.json": "{\n  \"users\": [,]\n}"},
			want:  []string{`m/a.json: 2:13: invalid JSON: invalid character ',' looking for beginning of value`},
		},
		{
			name:  "string left open at the end of its line",
			files: map[string]string{"m/a.json": "{\n  \"users\": [{\"arn\": \"x}]\n}"},
			want:  []string{`m/a.json: 2:25: invalid JSON: line break in string: expected closing '"'`},
		},
		{
			name:  "trailing comma points at the comma",
			files: map[string]string{"m/a.json": "{\"users\": [],\n \"roles\": [],\n}"},
			want:  []string{`m/a.json: 2:13: invalid JSON: trailing comma before '}' is not allowed`},
		},
		{
			name:  "byte order mark",
			files: map[string]string{"m/a.json": "\xEF\xBB\xBF{\"users\": []}"},
			want:  []string{`m/a.json: 1:1: invalid JSON: input starts with a UTF-8 byte order mark`},
		},
		{
			name:  "invalid UTF-8 in a string",
			files: map[string]string{"m/a.json": "{\"users\": [{\"arn\": \"a\xffb\"}]}"},
			want:  []string{`m/a.json: 1:22: invalid JSON: invalid UTF-8 byte 0xff in string`},
		},
		{
			name:  "second YAML document",
			files: map[string]string{"m/a.yaml": "users: []\n---\nroles: []\n"},
			want:  []string{`m/a.yaml: line 2: a second YAML document`},
		},
		{
			name: "document file missing",
			files: map[string]string{"m/p.yaml": "managed_policies:\n  - name: Readers\n" +
				"    document_file: policies/readers.json\n"},
			want: []string{`m/p.yaml: managed policy "Readers": document_file: no file "m/policies/readers.json"`},
		},
		{
			name: "policy file missing",
			files: map[string]string{"m/r.yaml": "resources:\n" +
				"  - arn: arn:aws:mobiletargeting:us-east-1:111122223333:apps/a\n    policy_file: nope.json\n"},
			want: []string{`m/r.yaml: resource "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a": policy_file: no file "m/nope.json"`},
		},
		{
			name: "document and document file",
			files: map[string]string{
				"m/p.yaml":      "scps:\n  - name: A\n    document: {}\n    document_file: p/a.json\n",
				"m/p/a.json":    okPolicy,
				"m/p/other.txt": "ignored",
			},
			want: []string{`m/p.yaml: scp "A": document_file: give document or document_file, not both`},
		},
		{
			name: "inline policy given twice",
			files: map[string]string{
				"m/u.yaml": "users:\n  - arn: arn:aws:iam::111122223333:user/u\n    inline_policies: {P: {}}\n" +
					"    inline_policy_files: {P: p.json}\n",
				"m/p.json": okPolicy,
			},
			want: []string{`inline_policy_files["P"]: inline policy "P" is given in inline_policies too`},
		},
		{
			name:  "reference leaves the file system",
			files: map[string]string{"a.yaml": "scps:\n  - name: A\n    document_file: ../x.json\n"},
			want:  []string{`a.yaml: scp "A": document_file: "../x.json" leads outside the file system`},
		},
		{
			name:  "unknown entity field without suggestion",
			files: map[string]string{"m/a.yaml": "groups:\n  - {name: g, account: \"111122223333\", members: [alice]}\n"},
			want: []string{`m/a.yaml: group "g" in account "111122223333": unknown field "members" ` +
				`(known fields: name, account, managed_policies, inline_policies, inline_policy_files)`},
		},
		{
			name:  "missing directory",
			files: map[string]string{"other/a.yaml": ""},
			want:  []string{`m: open m: file does not exist`},
		},
		{
			name:  "unreferenced policy document",
			files: map[string]string{"m/policies/stray.json": okPolicy},
			want:  []string{`m/policies/stray.json: this is an IAM policy document, not a bundle`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fsys := mapFS(tc.files)
			dir := "m"
			if _, ok := tc.files["a.yaml"]; ok {
				dir = "."
			}
			s, err := LoadDir(fsys, dir)
			require.Error(t, err, "LoadDir succeeded: %+v", s)
			checkContains(t, problems(t, err), tc.want)
		})
	}
}

func TestLoadDirFiles(t *testing.T) {
	t.Parallel()
	fsys := mapFS(map[string]string{
		"m/b.yaml":               "scps:\n  - name: B\n    document_file: docs/b.json\n",
		"m/a.json":               `{"scps": [{"name": "A", "document": ` + okPolicy + `}]}`,
		"m/sub/c.yml":            "scps:\n  - name: C\n    document_file: ../docs/c.yaml\n",
		"m/docs/b.json":          okPolicy, // referenced: a document, not a bundle
		"m/docs/c.yaml":          "Version: \"2012-10-17\"\nStatement: []\n",
		"m/.hidden/x.yaml":       "bogus: true\n",
		"m/.editor.json":         "not json",
		"m/README.md":            "# not a bundle",
		"elsewhere/ignored.yaml": "bogus: true\n",
	})
	s, err := LoadDir(fsys, "m")
	require.NoError(t, err)
	var names []string
	for _, p := range s.SCPs {
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{"A", "B", "C"}, names, "SCPs in order (files in lexical order)")
	assert.Equal(t, okPolicy, string(s.SCPs[1].Document), "referenced document, want the file's bytes")
	var c map[string]any
	if assert.NoError(t, json.Unmarshal(s.SCPs[2].Document, &c), "YAML document converted to %s", s.SCPs[2].Document) {
		assert.Equal(t, "2012-10-17", c["Version"], "Version of the YAML document converted to %s", s.SCPs[2].Document)
	}
}

func TestLoadBundleEmptyYAML(t *testing.T) {
	t.Parallel()
	for _, data := range []string{"", "# nothing yet\n", "---\n", "users: []\nroles: null\n"} {
		s, err := LoadBundle(mapFS(map[string]string{"b.yaml": data}), "b.yaml")
		if !assert.NoError(t, err, "LoadBundle(%q)", data) {
			continue
		}
		assert.Empty(t, s.Users, "LoadBundle(%q): users", data)
		assert.Empty(t, s.Roles, "LoadBundle(%q): roles", data)
	}
}
