package policytest

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeFiles writes files into a new directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	}
	return dir
}

func TestLoadFile(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"session.json": `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"*"}}`,
		"a_test.yaml": `tests:
  - name: one
    principal: arn:aws:sts::111122223333:assumed-role/r/s
    action: mobiletargeting:GetApp
    resource: "*"
    context:
      aws:RequestedRegion: us-east-1
      aws:SecureTransport: true
      aws:MultiFactorAuthAge: 300
      aws:TagKeys: [team, env]
      aws:EmptyList: []
    session:
      policies:
        - {Version: "2012-10-17", Statement: {Effect: Allow, Action: "*", Resource: "*"}}
        - '{"Version":"2012-10-17","Statement":[]}'
      policy_files: [session.json]
      tags: {team: growth}
    expect: ImplicitDeny
`,
	})
	s, err := LoadFile(os.ReadFile, filepath.Join(dir, "a_test.yaml"))
	require.NoError(t, err)
	require.Len(t, s.Cases, 1)
	c := s.Cases[0]
	assert.Equal(t, map[string]ContextValue{
		"aws:RequestedRegion":    {Values: []string{"us-east-1"}},
		"aws:SecureTransport":    {Values: []string{"true"}},
		"aws:MultiFactorAuthAge": {Values: []string{"300"}},
		"aws:TagKeys":            {Values: []string{"team", "env"}, Multi: true},
		"aws:EmptyList":          {Values: []string{}, Multi: true},
	}, c.Context)
	texts := c.Session.PolicyTexts()
	require.Len(t, texts, 3)
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, texts[0])
	assert.Equal(t, `{"Version":"2012-10-17","Statement":[]}`, texts[1])
	assert.Contains(t, texts[2], `"mobiletargeting:GetApp"`)
	assert.Equal(t, map[string]string{"team": "growth"}, c.Session.Tags)
}

func TestLoadFileErrors(t *testing.T) {
	t.Parallel()
	const good = "    principal: arn:aws:iam::111122223333:user/a\n    action: mobiletargeting:GetApp\n    resource: '*'\n"
	tests := []struct {
		name, text string
		want       []string
	}{
		{"not YAML", "tests: [", []string{"x_test.yaml:1: invalid YAML: did not find expected node content"}},
		{"unknown field", "tests:\n  - name: a\n" + good + "    expect: Allow\n    expected: Allow\n", []string{`unknown field "expected"`}},
		{"no cases", "tests: []\n", []string{"x_test.yaml: tests: no test cases"}},
		{"bad expect", "tests:\n  - name: a\n" + good + "    expect: allow\n",
			[]string{`x_test.yaml: tests[0] ("a"): expect: must be "Allow", "ExplicitDeny" or "ImplicitDeny", got "allow"`}},
		{"missing fields", "tests:\n  - name: a\n    expect: Allow\n",
			[]string{`tests[0] ("a"): principal: missing`, `tests[0] ("a"): action: missing`, `tests[0] ("a"): resource: missing`}},
		{"duplicate name", "tests:\n  - name: a\n" + good + "    expect: Allow\n  - name: a\n" + good + "    expect: Allow\n",
			[]string{`tests[1] ("a"): name: name also used by tests[0]`}},
		{"missing session file", "tests:\n  - name: a\n" + good + "    expect: Allow\n    session: {policy_files: [none.json]}\n",
			[]string{`tests[0] ("a"): session.policy_files[0]: open `}},
		{"bad context value", "tests:\n  - name: a\n" + good + "    expect: Allow\n    context: {k: {a: b}}\n",
			[]string{"want a string, number, boolean or a list of them"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeFiles(t, map[string]string{"x_test.yaml": tc.text})
			_, err := LoadFile(os.ReadFile, filepath.Join(dir, "x_test.yaml"))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"model_test.yaml":        {},
		"users.yaml":             {},
		"sub/more_test.yml":      {},
		"sub/policy.json":        {},
		".hidden/skip_test.yaml": {},
	}
	names, err := Discover(fsys, ".")
	require.NoError(t, err)
	assert.Equal(t, []string{"model_test.yaml", "sub/more_test.yml"}, names)
}
