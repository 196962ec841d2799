package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/policytest"
)

var modelTests = filepath.Join(modelDir, "model_test.yaml")

// TestPolicyTestsOfExampleModel runs the example model's own tests: they
// pass and cover every statement.
func TestPolicyTestsOfExampleModel(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runPDP(t, nil, "test", "-policies", modelDir, "-min-coverage", "100")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Equal(t, "25 passed, 0 failed, 0 errors\ncoverage: 100.0% of statements (17/17)\n", stdout)
	assert.Empty(t, stderr)
}

// partialModel is a policy directory of five statements, hand-counted:
// scp:All[0], managed:P[0..2] and inline:user/alice:X[0], with tests that
// make three of them apply and expect one decision wrongly.
var partialModel = map[string]string{
	"model.yaml": `accounts:
  - id: "111122223333"
    scps: [[All]]
scps:
  - name: All
    document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
managed_policies:
  - name: P
    document:
      Version: "2012-10-17"
      Statement:
        - {Sid: Apps, Effect: Allow, Action: mobiletargeting:GetApp, Resource: "*"}
        - {Sid: Segments, Effect: Allow, Action: mobiletargeting:GetSegment, Resource: "*"}
        - {Sid: NoDelete, Effect: Deny, Action: mobiletargeting:DeleteApp, Resource: "*"}
users:
  - arn: arn:aws:iam::111122223333:user/alice
    managed_policies: [P]
    inline_policies:
      X: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sms-voice:Describe*", Resource: "*"}]}
`,
	"alice_test.yaml": `tests:
  - name: alice reads an app
    principal: arn:aws:iam::111122223333:user/alice
    action: mobiletargeting:GetApp
    resource: arn:aws:mobiletargeting:us-east-1:111122223333:apps/a
    expect: Allow
  - name: alice deletes an app
    principal: arn:aws:iam::111122223333:user/alice
    action: mobiletargeting:DeleteApp
    resource: arn:aws:mobiletargeting:us-east-1:111122223333:apps/a
    expect: ImplicitDeny
`,
}

func writeModel(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600))
	}
	return dir
}

func TestPolicyTestsOutcomes(t *testing.T) {
	t.Parallel()
	dir := writeModel(t, partialModel)
	errorCase := writeFile(t, "bad_test.yaml", `tests:
  - name: not a principal
    principal: alice
    action: mobiletargeting:GetApp
    resource: "*"
    expect: Allow
`)
	badFile := writeFile(t, "broken_test.yaml", "tests:\n  - name: x\n    expect: Maybe\n")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // exact, when not empty
		wantStderr string // substring; "" means stderr must be empty
	}{
		{
			name:     "failure and coverage",
			args:     []string{"-policies", dir},
			wantCode: 1,
			wantStdout: "FAIL   " + filepath.Join(dir, "alice_test.yaml") +
				"  alice deletes an app: expected ImplicitDeny, got ExplicitDeny (revision 1)\n" +
				"1 passed, 1 failed, 0 errors\n" +
				"coverage: 60.0% of statements (3/5)\n" +
				"  not covered: inline:user/alice:X Statement[0]\n" +
				`  not covered: managed:P Statement[1] (Sid "Segments")` + "\n",
		},
		{
			name:     "case that cannot be decided",
			args:     []string{"-policies", dir, errorCase},
			wantCode: 2,
		},
		{
			name:       "test file with errors",
			args:       []string{"-policies", dir, badFile},
			wantCode:   2,
			wantStderr: `tests[0] ("x"): expect: must be "Allow", "ExplicitDeny" or "ImplicitDeny", got "Maybe"`,
		},
		{
			name:       "no source",
			args:       []string{modelTests},
			wantCode:   2,
			wantStderr: "give exactly one of --policies, --bundle and --addr",
		},
		{
			name:       "bundle without test files",
			args:       []string{"-bundle", "x.json"},
			wantCode:   2,
			wantStderr: "give the test files to run",
		},
		{
			name:       "bad minimum",
			args:       []string{"-policies", dir, "-min-coverage", "101"},
			wantCode:   2,
			wantStderr: "-min-coverage must be between 0 and 100",
		},
		{
			name:       "no test files",
			args:       []string{"-policies", writeModel(t, map[string]string{"model.yaml": partialModel["model.yaml"]})},
			wantCode:   2,
			wantStderr: "no test files (NAME_test.yaml)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPDP(t, nil, append([]string{"test"}, tc.args...)...)
			assert.Equal(t, tc.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			if tc.wantStdout != "" {
				assert.Equal(t, tc.wantStdout, stdout)
			}
			if tc.wantStderr == "" {
				assert.Empty(t, stderr)
			} else {
				assert.Contains(t, stderr, tc.wantStderr)
			}
		})
	}
}

func TestPolicyTestsErrorText(t *testing.T) {
	t.Parallel()
	errorCase := writeFile(t, "bad_test.yaml", `tests:
  - name: not a principal
    principal: alice
    action: mobiletargeting:GetApp
    resource: "*"
    expect: Allow
`)
	code, stdout, _ := runPDP(t, nil, "test", "-policies", modelDir, errorCase)
	require.Equal(t, 2, code)
	assert.Contains(t, stdout, "ERROR  "+errorCase+"  not a principal: ")
	assert.Contains(t, stdout, "0 passed, 0 failed, 1 errors\n")
}

func TestPolicyTestsMinCoverage(t *testing.T) {
	t.Parallel()
	dir := writeModel(t, map[string]string{
		"model.yaml": partialModel["model.yaml"],
		"alice_test.yaml": `tests:
  - name: alice reads an app
    principal: arn:aws:iam::111122223333:user/alice
    action: mobiletargeting:GetApp
    resource: arn:aws:mobiletargeting:us-east-1:111122223333:apps/a
    expect: Allow
`,
	})
	code, stdout, _ := runPDP(t, nil, "test", "-policies", dir, "-min-coverage", "40")
	assert.Equal(t, 0, code, stdout)
	assert.Contains(t, stdout, "coverage: 40.0% of statements (2/5)\n")
	code, stdout, _ = runPDP(t, nil, "test", "-policies", dir, "-min-coverage", "40.1")
	assert.Equal(t, 1, code, stdout)
	assert.Contains(t, stdout, "coverage: 40.0% of statements (2/5), below the minimum of 40.1%\n")
}

func TestPolicyTestsJUnit(t *testing.T) {
	t.Parallel()
	dir := writeModel(t, partialModel)
	code, stdout, stderr := runPDP(t, nil, "test", "-policies", dir, "-o", "junit")
	require.Equal(t, 1, code, stderr)
	var got policytest.JUnitTestSuites
	require.NoError(t, xml.Unmarshal([]byte(stdout), &got))
	assert.Equal(t, []int{3, 1, 0}, []int{got.Tests, got.Failures, got.Errors})
	require.Len(t, got.Suites, 2)
	require.Len(t, got.Suites[0].Cases, 2)
	require.NotNil(t, got.Suites[0].Cases[1].Failure)
	assert.Equal(t, "expected ImplicitDeny, got ExplicitDeny (revision 1)", got.Suites[0].Cases[1].Failure.Message)
	assert.Contains(t, got.Suites[0].Cases[1].Failure.Text, `managed:P Statement[2] (Sid "NoDelete")`)
	assert.Contains(t, got.Suites[1].Properties, policytest.JUnitProperty{Name: "percent", Value: "60.0"})
}

func TestPolicyTestsBundle(t *testing.T) {
	t.Parallel()
	set, err := entity.LoadDir(os.DirFS(modelDir), ".")
	require.NoError(t, err)
	bundle, err := set.Bundle()
	require.NoError(t, err)
	file := writeFile(t, "bundle.json", string(bundle))
	code, stdout, stderr := runPDP(t, nil, "test", "-bundle", file, modelTests)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "25 passed, 0 failed, 0 errors\ncoverage: 100.0% of statements (17/17)\n")
}

// TestPolicyTestsLiveServer runs the tests against pdp serve, which reads
// the model back through its admin API for the coverage.
func TestPolicyTestsLiveServer(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--policies", modelDir)
	code, stdout, stderr := runPDP(t, nil, "test", "-addr", s.addr, "-min-revision", "1", "-min-coverage", "100", modelTests)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "25 passed, 0 failed, 0 errors\ncoverage: 100.0% of statements (17/17)\n")
}

// TestPolicyTestsLiveServerWithoutExport: a server with the decision API
// alone decides the cases, but the coverage cannot be measured, which
// fails a run that asks for a minimum, and the access expectations cannot
// be answered.
func TestPolicyTestsLiveServerWithoutExport(t *testing.T) {
	t.Parallel()
	addr := startServer(t)
	cases := modelDecisionCases(t)
	code, stdout, stderr := runPDP(t, nil, "test", "-addr", addr, cases)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "17 passed, 0 failed, 0 errors\ncoverage: not measured: export revision 1: Unimplemented")
	code, _, stderr = runPDP(t, nil, "test", "-addr", addr, "-min-coverage", "50", cases)
	assert.Equal(t, 2, code)
	assert.True(t, strings.Contains(stderr, "-min-coverage: coverage not measured"), stderr)

	code, stdout, _ = runPDP(t, nil, "test", "-addr", addr, modelTests)
	assert.Equal(t, 2, code)
	assert.Contains(t, stdout, "ERROR  "+modelTests+"  nobody deletes opt-out lists: Unimplemented: ")
	assert.Contains(t, stdout, "17 passed, 0 failed, 8 errors\n")
}
