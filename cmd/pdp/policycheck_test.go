package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/policycheck"
)

// writeCheckPolicies writes the policies of the check tests into a new
// directory and returns it.
func writeCheckPolicies(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"read.json": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:Get*",` +
			`"Resource":"arn:aws:mobiletargeting:*:111122223333:apps/*"}]}`,
		"write.json": `{"Version":"2012-10-17","Statement":[
 {"Sid":"Read","Effect":"Allow","Action":"mobiletargeting:Get*","Resource":"arn:aws:mobiletargeting:*:111122223333:apps/*"},
 {"Sid":"Delete","Effect":"Allow","Action":"mobiletargeting:DeleteApp","Resource":"arn:aws:mobiletargeting:*:111122223333:apps/*"}]}`,
		"broken.json": `{"Version":"2012-10-17","Statement":[{"Effect":"Perhaps","Action":"*","Resource":"*"}]}`,
	}
	for name, text := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600))
	}
	return dir
}

func TestPolicyCheckCommands(t *testing.T) {
	t.Parallel()
	dir := writeCheckPolicies(t)
	p := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string // substring
		wantStderr string // substring; "" means stderr must be empty
	}{
		{name: "no new access", args: []string{"check-no-new-access", "-existing", p("write.json"), "-new", p("read.json")},
			wantCode: 0, wantStdout: "PASS: The modified permissions do not grant new access"},
		{name: "new access", args: []string{"check-no-new-access", "-existing", p("read.json"), "-new", p("write.json")},
			wantCode: 1, wantStdout: `  3:2: Statement[1] (Sid "Delete") grants access the existing policy does not, for example mobiletargeting:DeleteApp on arn:aws:mobiletargeting:`},
		{name: "new from stdin", args: []string{"check-no-new-access", "-existing", p("read.json"), "-new", "-"},
			stdin:    `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"arn:aws:mobiletargeting:us-east-1:111122223333:apps/a"}}`,
			wantCode: 0, wantStdout: "PASS"},
		{name: "access granted", args: []string{"check-access-not-granted", "-policy", p("write.json"), "-action", "mobiletargeting:DeleteApp"},
			wantCode: 1, wantStdout: `Statement[1] (Sid "Delete") grants the access`},
		{name: "access not granted", args: []string{"check-access-not-granted", "-policy", p("read.json"), "-action", "mobiletargeting:DeleteApp", "-action", "sms-voice:*"},
			wantCode: 0, wantStdout: "PASS: The policy document does not grant access"},
		{name: "resource only", args: []string{"check-access-not-granted", "-policy", p("read.json"), "-resource", "arn:aws:mobiletargeting:us-east-1:444455556666:apps/a"},
			wantCode: 0, wantStdout: "PASS"},
		{name: "policy does not parse", args: []string{"check-no-new-access", "-existing", p("read.json"), "-new", p("broken.json")},
			wantCode: 2, wantStderr: `policy "new"`},
		{name: "missing flags", args: []string{"check-no-new-access", "-existing", p("read.json")},
			wantCode: 2, wantStderr: "--existing and --new are required"},
		{name: "nothing to check", args: []string{"check-access-not-granted", "-policy", p("read.json")},
			wantCode: 2, wantStderr: "give at least one --action or --resource"},
		{name: "bad type", args: []string{"check-access-not-granted", "-type", "SCP", "-policy", p("read.json")},
			wantCode: 2, wantStderr: "want one of IDENTITY_POLICY"},
		{name: "missing file", args: []string{"check-access-not-granted", "-policy", p("none.json"), "-action", "mobiletargeting:GetApp"},
			wantCode: 2, wantStderr: "-policy: open"},
		{name: "unknown action", args: []string{"check-access-not-granted", "-policy", p("read.json"), "-action", "mobiletargeting:DeleteAppz"},
			wantCode: 2, wantStderr: `unknown action "mobiletargeting:DeleteAppz"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPDP(t, strings.NewReader(tc.stdin), tc.args...)
			assert.Equal(t, tc.wantCode, code, "stderr: %s", stderr)
			assert.Contains(t, stdout, tc.wantStdout)
			if tc.wantStderr == "" {
				assert.Empty(t, stderr)
			} else {
				assert.Contains(t, stderr, tc.wantStderr)
			}
		})
	}
}

func TestPolicyCheckJSON(t *testing.T) {
	t.Parallel()
	dir := writeCheckPolicies(t)
	code, stdout, stderr := runPDP(t, nil, "check-no-new-access", "-format", "json",
		"-existing", filepath.Join(dir, "read.json"), "-new", filepath.Join(dir, "write.json"))
	require.Equal(t, 1, code, stderr)
	var rep policycheck.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.Equal(t, policycheck.Fail, rep.Result)
	require.Len(t, rep.Reasons, 1)
	assert.Equal(t, 1, rep.Reasons[0].StatementIndex)
	assert.Equal(t, "Delete", rep.Reasons[0].StatementID)
}
