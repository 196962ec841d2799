package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const bundleYAML = `# users
users:
  - arn: arn:aws:iam::111122223333:user/carol
    groups: [marketing, marketting]
    inline_policies:
      Read:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action:
              - mobiletargeting:GetApp
              - mobiletargeting:GetCampaignz
            Resource: "*"
groups:
  - name: marketing
    account: "111122223333"
`

const bundleJSON = `{
  "managed_policies": [
    {"name": "Readers",
     "document": {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "mobiletargeting:GetCampaignz", "Resource": "*"}]}}
  ]
}
`

func TestLocate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		text     string
		entity   string
		path     string
		wantLine int
		wantCol  int
	}{
		{name: "entity", text: bundleYAML, entity: `user "arn:aws:iam::111122223333:user/carol"`, wantLine: 3, wantCol: 5},
		{name: "list element", text: bundleYAML, entity: `user "arn:aws:iam::111122223333:user/carol"`, path: "groups[1]", wantLine: 4, wantCol: 25},
		{
			name: "inside an inline policy", text: bundleYAML, entity: `user "arn:aws:iam::111122223333:user/carol"`,
			path: `inline_policies["Read"].Statement[0].Action[1]`, wantLine: 12, wantCol: 17,
		},
		{name: "deepest existing part", text: bundleYAML, entity: `user "arn:aws:iam::111122223333:user/carol"`, path: "tags.team", wantLine: 3, wantCol: 5},
		{name: "group in account", text: bundleYAML, entity: `group "marketing" in account "111122223333"`, path: "account", wantLine: 16, wantCol: 14},
		{name: "not in the file", text: bundleYAML, entity: `user "arn:aws:iam::111122223333:user/dave"`, path: "groups[0]"},
		{name: "not an entity", text: bundleYAML, entity: `request`, path: "groups[0]"},
		{
			name: "JSON, scalar for a one-element list", text: bundleJSON, entity: `managed policy "Readers"`,
			path: "document.Statement[0].Action[0]", wantLine: 5, wantCol: 63,
		},
		{name: "broken text", text: "users: [", entity: `user "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			line, col := locate([]byte(tc.text), tc.entity, tc.path)
			assert.Equal(t, [2]int{tc.wantLine, tc.wantCol}, [2]int{line, col})
		})
	}
}

func TestSplitEntityField(t *testing.T) {
	t.Parallel()
	ent, field := splitEntityField(`user "arn:aws:iam::111122223333:user/carol".groups[0]`)
	assert.Equal(t, `user "arn:aws:iam::111122223333:user/carol"`, ent)
	assert.Equal(t, "groups[0]", field)
	ent, field = splitEntityField(`group "g \"x\"" in account "111122223333".managed_policies[2]`)
	assert.Equal(t, `group "g \"x\"" in account "111122223333"`, ent)
	assert.Equal(t, "managed_policies[2]", field)
	ent, field = splitEntityField("changes[0].document")
	assert.Empty(t, ent)
	assert.Equal(t, "changes[0].document", field)
}

// TestPolicyApplyFindings checks that pdp policy apply reports each
// problem once, one per line, in the file the user wrote, with its line
// and column: policy problems found locally before any call, in YAML and
// in JSON, and a directory that does not load.
func TestPolicyApplyFindings(t *testing.T) {
	t.Parallel()
	s := startMemoryServe(t)
	yamlDir := writeDir(t, map[string]string{"users.yaml": bundleYAML})
	jsonDir := writeDir(t, map[string]string{"policies.json": bundleJSON})
	docDir := writeDir(t, map[string]string{
		"users.yaml": "users:\n  - arn: arn:aws:iam::111122223333:user/carol\n    inline_policy_files:\n      Read: read.json\n",
		"read.json":  "{\"Version\": \"2012-10-17\",\n \"Statement\": [{\"Effect\": \"Allow\",\n   \"Action\": \"mobiletargeting:GetCampaignz\", \"Resource\": \"*\"}]}\n",
	})
	brokenDir := writeDir(t, map[string]string{"users.yaml": "users:\n  - arn: arn:aws:iam::111122223333:user/carol\n    bogus: 1\n"})
	const unknown = `unknown action "mobiletargeting:GetCampaignz" (did you mean "mobiletargeting:GetCampaigns"?)`
	tests := []struct {
		name     string
		dir      string
		wantCode int
		want     []string // stderr lines
	}{
		{
			name: "YAML bundle", dir: yamlDir, wantCode: exitFailure,
			want: []string{
				"pdp policy apply: 1 finding in " + yamlDir + ":",
				filepath.Join(yamlDir, "users.yaml") + `:12:17: error: user "arn:aws:iam::111122223333:user/carol": inline_policies["Read"].Statement[0].Action[1]: ` + unknown,
			},
		},
		{
			name: "JSON bundle", dir: jsonDir, wantCode: exitFailure,
			want: []string{
				"pdp policy apply: 1 finding in " + jsonDir + ":",
				filepath.Join(jsonDir, "policies.json") + `:5:63: error: managed policy "Readers": document.Statement[0].Action: ` + unknown,
			},
		},
		{
			name: "policy document file", dir: docDir, wantCode: exitFailure,
			want: []string{
				"pdp policy apply: 1 finding in " + docDir + ":",
				filepath.Join(docDir, "read.json") + `:3:14: error: user "arn:aws:iam::111122223333:user/carol": inline_policy_files["Read"].Statement[0].Action: ` + unknown,
			},
		},
		{
			name: "bundle that does not load", dir: brokenDir, wantCode: exitUsage,
			want: []string{
				"pdp policy apply: 1 finding in " + brokenDir + ":",
				filepath.Join(brokenDir, "users.yaml") + `:3:12: error: user "arn:aws:iam::111122223333:user/carol": unknown field "bogus"`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := policyRun(t, s.addr, "-f", tc.dir, "--dry-run", "apply")
			assert.Equal(t, tc.wantCode, code)
			assert.Empty(t, stdout)
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			require.Len(t, lines, len(tc.want), "stderr:\n%s", stderr)
			for i, want := range tc.want {
				assert.True(t, strings.HasPrefix(lines[i], want), "line %d:\n%s\nwant a line starting with\n%s", i, lines[i], want)
			}
		})
	}
}

// TestServeSeedFindings checks that pdp serve --seed logs each problem of
// the seed directory as a record of its own, placed in its file.
func TestServeSeedFindings(t *testing.T) {
	t.Parallel()
	dir := writeDir(t, map[string]string{"users.yaml": "users:\n  - arn: arn:aws:iam::111122223333:user/carol\n    groups: [marketting]\n    managed_policies: [Nope]\n"})
	code, _, stderr := runPDP(t, nil, "serve", "--store", "memory", "--seed", dir, "--listen", "127.0.0.1:0")
	assert.Equal(t, exitFailure, code)
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	var problems []string
	for _, l := range lines {
		if strings.Contains(l, `msg="policy problem"`) {
			problems = append(problems, l)
		}
	}
	require.Len(t, problems, 2, "stderr:\n%s", stderr)
	file := "file=" + filepath.Join(dir, "users.yaml")
	assert.Contains(t, problems[0], file+" line=3 col=14 ")
	assert.Contains(t, problems[0], "field=groups[0]")
	assert.Contains(t, problems[1], file+" line=4 col=24 ")
	assert.Contains(t, problems[1], "field=managed_policies[0]")
	assert.Contains(t, stderr, `msg="serve failed" err="seed from `+dir+`: 2 problems, logged above"`)
}
