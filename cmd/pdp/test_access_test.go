package main

import (
	"encoding/json"
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

const (
	aliceARN = "arn:aws:iam::111122223333:user/alice"
	appARN   = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a"
)

// Expectations on partialModel, whose answers are hand-checked: only
// alice may GetApp on the app; on it she may GetApp, and managed:P's
// NoDelete denies her DeleteApp. The passing ones cover scp:All[0] and
// managed:P[0] (the allow) and managed:P[2] (the deny, an answer the exact
// what_can checks): 3 of the 5 statements.
const (
	passingExpectations = `who_can:
  - name: only alice reads the app
    action: mobiletargeting:GetApp
    resource: ` + appARN + `
    allowed: [` + aliceARN + `]
what_can:
  - name: alice reads the app and nothing else
    principal: ` + aliceARN + `
    resource: ` + appARN + `
    allowed: [mobiletargeting:GetApp]
`
	failingExpectations = `who_can:
  - name: nobody reads the app
    action: mobiletargeting:GetApp
    resource: ` + appARN + `
    allowed: []
what_can:
  - name: alice deletes the app
    principal: ` + aliceARN + `
    resource: ` + appARN + `
    allowed: [mobiletargeting:DeleteApp]
    match: at-least
`
)

// failingText is the start of pdp test's output for failingExpectations.
func failingText(file string) string {
	return "FAIL   " + file + "  nobody reads the app: 0 missing, 1 unexpected (revision 1)\n" +
		"         unexpected: " + aliceARN + " (ALLOWED)\n" +
		"FAIL   " + file + "  alice deletes the app: 1 missing, 0 unexpected (revision 1)\n" +
		"         missing: mobiletargeting:DeleteApp (expected ALLOWED, got EXPLICIT_DENY)\n" +
		"0 passed, 2 failed, 0 errors\n"
}

// accessTestModes runs pdp test on partialModel in each mode: the policy
// directory, its bundle, and pdp serve over loopback at revision 1.
func accessTestModes(t *testing.T) map[string][]string {
	t.Helper()
	dir := writeModel(t, map[string]string{"model.yaml": partialModel["model.yaml"]})
	set, err := entity.LoadDir(os.DirFS(dir), ".")
	require.NoError(t, err)
	bundle, err := set.Bundle()
	require.NoError(t, err)
	s := startServe(t, "--policies", dir)
	return map[string][]string{
		"policies": {"-policies", dir},
		"bundle":   {"-bundle", writeFile(t, "bundle.json", string(bundle))},
		"server":   {"-addr", s.addr, "-min-revision", "1"},
	}
}

func TestPolicyTestsAccessExpectationsInEveryMode(t *testing.T) {
	t.Parallel()
	passing := writeFile(t, "pass_test.yaml", passingExpectations)
	failing := writeFile(t, "fail_test.yaml", failingExpectations)
	for mode, args := range accessTestModes(t) {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runPDP(t, nil, append(append([]string{"test"}, args...), "-min-coverage", "60", passing)...)
			require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			// The bundle and the server's export give statements their lines.
			assert.True(t, strings.HasPrefix(stdout, "2 passed, 0 failed, 0 errors\ncoverage: 60.0% of statements (3/5)\n"), stdout)
			assert.Contains(t, stdout, "  not covered: inline:user/alice:X Statement[0]")
			assert.Contains(t, stdout, `  not covered: managed:P Statement[1] (Sid "Segments")`)
			assert.Empty(t, stderr)

			code, stdout, stderr = runPDP(t, nil, append(append([]string{"test"}, args...), failing)...)
			require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			want := failingText(failing)
			assert.True(t, strings.HasPrefix(stdout, want), "got:\n%s\nwant it to start with:\n%s", stdout, want)
		})
	}
}

func TestPolicyTestsAccessExpectationErrors(t *testing.T) {
	t.Parallel()
	dir := writeModel(t, map[string]string{"model.yaml": partialModel["model.yaml"]})
	tests := []struct {
		name       string
		text       string
		wantCode   int
		wantStdout []string // substrings
		wantStderr string   // substring; "" means stderr must be empty
	}{
		{
			name: "unknown principal",
			text: "who_can:\n  - name: carol reads\n    action: mobiletargeting:GetApp\n    resource: " + appARN +
				"\n    allowed: [arn:aws:iam::111122223333:user/carol]\n",
			wantCode:   2,
			wantStdout: []string{`carol reads: principal "arn:aws:iam::111122223333:user/carol" is not in the model`, "0 passed, 0 failed, 1 errors"},
		},
		{
			name:     "unknown principal asked about",
			text:     "what_can:\n  - name: carol\n    principal: arn:aws:iam::111122223333:user/carol\n    allowed: []\n",
			wantCode: 2,
			wantStdout: []string{`carol: principal: principal "arn:aws:iam::111122223333:user/carol" is not in the model`,
				"0 passed, 0 failed, 1 errors"},
		},
		{
			name:       "unknown action listed",
			text:       "what_can:\n  - name: typo\n    principal: " + aliceARN + "\n    resource: " + appARN + "\n    allowed: [mobiletargeting:GetAppz]\n",
			wantCode:   2,
			wantStdout: []string{`typo: unknown action "mobiletargeting:GetAppz" (did you mean "mobiletargeting:GetApps"?)`},
		},
		{
			name:       "unknown action asked about",
			text:       "who_can:\n  - name: typo\n    action: mobiletargeting:GetAppz\n    resource: " + appARN + "\n    allowed: []\n",
			wantCode:   2,
			wantStdout: []string{`typo: action: unknown action "mobiletargeting:GetAppz" (did you mean "mobiletargeting:GetApps"?)`},
		},
		{
			name:       "action that does not act on the resource",
			text:       "what_can:\n  - name: wrong type\n    principal: " + aliceARN + "\n    resource: " + appARN + "\n    allowed: [mobiletargeting:GetSegment]\n",
			wantCode:   2,
			wantStdout: []string{`wrong type: action "mobiletargeting:GetSegment" cannot act on "` + appARN + `"`},
		},
		{
			name:       "bad YAML",
			text:       "who_can:\n  - name: q\n    action: mobiletargeting:GetApp\n    resource: '*'\n    allowed: " + aliceARN + "\n",
			wantCode:   2,
			wantStderr: `:5:14: who_can[0] ("q"): allowed: want a list, e.g. [a, b] or []`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file := writeFile(t, "x_test.yaml", tc.text)
			code, stdout, stderr := runPDP(t, nil, "test", "-policies", dir, file)
			assert.Equal(t, tc.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			for _, w := range tc.wantStdout {
				assert.Contains(t, stdout, w)
			}
			if tc.wantStderr == "" {
				assert.Empty(t, stderr)
			} else {
				assert.Contains(t, stderr, file+tc.wantStderr)
			}
		})
	}
}

// TestPolicyTestsAccessConditional: a principal allowed only under
// conditions is missing from allowed, with the keys that decide.
func TestPolicyTestsAccessConditional(t *testing.T) {
	t.Parallel()
	const sender = "arn:aws:iam::111122223333:role/service/sms-sender"
	file := writeFile(t, "x_test.yaml", `who_can:
  - name: the sender sends
    action: sms-voice:SendTextMessage
    resource: arn:aws:sms-voice:us-east-1:111122223333:pool/pool-marketing
    allowed: [`+sender+`]
`)
	code, stdout, stderr := runPDP(t, nil, "test", "-policies", modelDir, file)
	require.Equal(t, 1, code, stderr)
	assert.Contains(t, stdout, "missing: "+sender+" (expected ALLOWED, got CONDITIONAL on aws:RequestedRegion, aws:SourceIp)\n")
}

func TestPolicyTestsAccessJUnitAndJSON(t *testing.T) {
	t.Parallel()
	dir := writeModel(t, map[string]string{"model.yaml": partialModel["model.yaml"]})
	failing := writeFile(t, "fail_test.yaml", failingExpectations)

	code, stdout, stderr := runPDP(t, nil, "test", "-policies", dir, "-o", "junit", failing)
	require.Equal(t, 1, code, stderr)
	var got policytest.JUnitTestSuites
	require.NoError(t, xml.Unmarshal([]byte(stdout), &got), stdout)
	assert.Equal(t, []int{3, 2, 0}, []int{got.Tests, got.Failures, got.Errors})
	require.Len(t, got.Suites, 2)
	cases := got.Suites[0].Cases
	require.Len(t, cases, 2, "one testcase per expectation")
	assert.Equal(t, "nobody reads the app", cases[0].Name)
	require.NotNil(t, cases[0].Failure)
	assert.Equal(t, "who_can", cases[0].Failure.Type)
	assert.Equal(t, "unexpected: "+aliceARN+" (ALLOWED)\n", cases[0].Failure.Text)
	require.NotNil(t, cases[1].Failure)
	assert.Equal(t, "what_can", cases[1].Failure.Type)
	assert.Equal(t, "1 missing, 0 unexpected (revision 1)", cases[1].Failure.Message)
	assert.Equal(t, "missing: mobiletargeting:DeleteApp (expected ALLOWED, got EXPLICIT_DENY)\n", cases[1].Failure.Text)

	code, stdout, stderr = runPDP(t, nil, "test", "-policies", dir, "-o", "json", failing)
	require.Equal(t, 1, code, stderr)
	var rep policytest.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stdout)
	require.Len(t, rep.Suites, 1)
	require.Len(t, rep.Suites[0].Cases, 2)
	assert.Equal(t, []policytest.EntryDiff{{Name: aliceARN, Got: "ALLOWED"}}, rep.Suites[0].Cases[0].Unexpected)
	assert.Equal(t, []policytest.EntryDiff{{Name: "mobiletargeting:DeleteApp", Expected: "ALLOWED", Got: "EXPLICIT_DENY"}},
		rep.Suites[0].Cases[1].Missing)
	// The at-least expectation checked DeleteApp alone: its deny decides.
	assert.Equal(t, []policytest.StatementRef{{Policy: "managed:P", Index: 2, Sid: "NoDelete"}}, rep.Suites[0].Cases[1].Matched)
}

// modelDecisionCases writes the example model's decision cases alone, the
// part of its test file before the access expectations.
func modelDecisionCases(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(modelTests)
	require.NoError(t, err)
	cases, _, found := strings.Cut(string(data), "\nwho_can:")
	require.True(t, found, "%s has who_can expectations after its cases", modelTests)
	return writeFile(t, filepath.Base(modelTests), cases)
}
