package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// Policy files for the validate tests, by name.
var testPolicies = map[string]string{
	"good.json": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetApp",` +
		`"Resource":"arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc"}]}`,
	// The misspelt action is on line 9, its string starting in column 9.
	"bad.json": `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Read",
      "Effect": "Allow",
      "Action": [
        "mobiletargeting:GetSegments",
        "mobiletargeting:GetSegmentz"
      ],
      "Resource": "*"
    }
  ]
}
`,
	"warn.json": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Action":["mobiletargeting:GetApp","mobiletargeting:GetApp"],"Resource":"*"}]}`,
	"syntax.json": "{\"Version\": \"2012-10-17\",\n \"Statement\": [}",
	"resource.json": `{"Version":"2012-10-17","Statement":{"Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"mobiletargeting:GetApp",` +
		`"Resource":"arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc"}}`,
	"big.json": bigPolicy(20),
}

const unknownActionMsg = `Statement[0].Action[1]: unknown action "mobiletargeting:GetSegmentz" (did you mean "mobiletargeting:GetSegments"?)`

// bigPolicy is a valid policy of n statements, some 2,700 characters for 20.
func bigPolicy(n int) string {
	stmts := make([]string, n)
	for i := range stmts {
		stmts[i] = fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":"mobiletargeting:GetApp",`+
			`"Resource":"arn:aws:mobiletargeting:us-east-1:111122223333:apps/app%03d"}`, i, i)
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + "]}"
}

// writePolicies writes testPolicies into a new directory and returns it.
func writePolicies(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range testPolicies {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestValidateText(t *testing.T) {
	t.Parallel()
	dir := writePolicies(t)
	tests := []struct {
		name       string
		args       []string // file names are relative to dir, except "-"
		stdin      string
		wantCode   int
		wantLines  []string // each stdout line, with "DIR" standing for dir
		wantStderr string   // substring; "" means stderr must be empty
	}{
		{name: "valid", args: []string{"good.json"}, wantCode: 0},
		{
			name:      "unknown action",
			args:      []string{"bad.json"},
			wantCode:  1,
			wantLines: []string{"DIR/bad.json:9:9: error: " + unknownActionMsg},
		},
		{
			name:      "warning only",
			args:      []string{"warn.json"},
			wantCode:  0,
			wantLines: []string{`DIR/warn.json:1:91: warning: Statement[0].Action[1]: "mobiletargeting:GetApp" is listed twice (also Action[0])`},
		},
		{
			name:      "syntax error",
			args:      []string{"syntax.json"},
			wantCode:  1,
			wantLines: []string{"DIR/syntax.json:2:16: error: invalid JSON: invalid character '}' looking for beginning of value"},
		},
		{
			name:      "stdin",
			args:      []string{"-"},
			stdin:     testPolicies["bad.json"],
			wantCode:  1,
			wantLines: []string{"<stdin>:9:9: error: " + unknownActionMsg},
		},
		{
			name:      "several files",
			args:      []string{"good.json", "-", "warn.json"},
			stdin:     testPolicies["bad.json"],
			wantCode:  1,
			wantLines: []string{"<stdin>:9:9: error: " + unknownActionMsg, "DIR/warn.json:1:91: warning: Statement[0].Action[1]: "},
		},
		{name: "unreadable file", args: []string{"missing.json"}, wantCode: 2, wantStderr: "pdp validate: read DIR/missing.json: "},
		{
			name:       "unreadable file beats errors",
			args:       []string{"bad.json", "missing.json", "good.json"},
			wantCode:   2,
			wantLines:  []string{"DIR/bad.json:9:9: error: " + unknownActionMsg},
			wantStderr: "missing.json",
		},
		{
			name:      "principal in identity policy",
			args:      []string{"resource.json"},
			wantCode:  1,
			wantLines: []string{"DIR/resource.json:1:55: error: Statement[0].Principal: Principal is not allowed"},
		},
		{name: "resource type", args: []string{"--type", "resource", "resource.json"}, wantCode: 0},
		{name: "auto type finds a resource policy", args: []string{"--type", "auto", "resource.json"}, wantCode: 0},
		{name: "auto type finds an identity policy", args: []string{"--type", "auto", "bad.json"}, wantCode: 1,
			wantLines: []string{"DIR/bad.json:9:9: error: " + unknownActionMsg}},
		{name: "no quota", args: []string{"big.json"}, wantCode: 0},
		{name: "managed quota", args: []string{"--quota", "managed", "big.json"}, wantCode: 0},
		{
			name:      "user quota",
			args:      []string{"--quota", "user", "big.json"},
			wantCode:  1,
			wantLines: []string{"DIR/big.json: error: policy size "},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"validate"}
			for _, a := range tc.args {
				if strings.HasSuffix(a, ".json") {
					a = filepath.Join(dir, a)
				}
				args = append(args, a)
			}
			code, stdout, stderr := runPDP(t, strings.NewReader(tc.stdin), args...)
			assert.Equal(t, tc.wantCode, code, "exit status\nstdout: %s\nstderr: %s", stdout, stderr)
			checkOutput(t, "stderr", stderr, strings.ReplaceAll(tc.wantStderr, "DIR", dir))
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			if stdout == "" {
				lines = nil
			}
			require.Len(t, lines, len(tc.wantLines), "stdout lines:\n%s", stdout)
			for i, want := range tc.wantLines {
				// A wanted line ending in ": " or a word is a prefix: the
				// rest of the engine's message is not this test's concern.
				want = strings.ReplaceAll(want, "DIR", dir)
				assert.True(t, strings.HasPrefix(lines[i], want), "line %d:\n got %s\nwant %s…", i+1, lines[i], want)
			}
		})
	}
}

func TestValidateJSON(t *testing.T) {
	t.Parallel()
	dir := writePolicies(t)
	args := []string{"validate", "--format", "json"}
	for _, name := range []string{"good.json", "bad.json", "warn.json"} {
		args = append(args, filepath.Join(dir, name))
	}
	code, stdout, stderr := runPDP(t, nil, args...)
	if code != 1 || stderr != "" {
		t.Fatalf("exit %d, stderr %q; want 1 and nothing", code, stderr)
	}
	var got validateReport
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("decode %s: %v", stdout, err)
	}
	if got.Errors != 1 || got.Warnings != 1 || len(got.Files) != 3 {
		t.Fatalf("errors %d, warnings %d, %d files; want 1, 1, 3:\n%s", got.Errors, got.Warnings, len(got.Files), stdout)
	}
	if f := got.Files[0]; f.File != filepath.Join(dir, "good.json") || f.Findings == nil || len(f.Findings) != 0 {
		t.Errorf("files[0] = %+v, want good.json with an empty findings list", f)
	}
	wantBad := findingJSON{
		Severity: "error", Code: string(engine.CodeUnknownAction), Path: "Statement[0].Action[1]",
		Statement: 0, Sid: "Read", Line: 9, Col: 9,
		Message: `unknown action "mobiletargeting:GetSegmentz" (did you mean "mobiletargeting:GetSegments"?)`,
	}
	if f := got.Files[1]; f.File != filepath.Join(dir, "bad.json") || len(f.Findings) != 1 || f.Findings[0] != wantBad {
		t.Errorf("files[1] = %+v\nwant bad.json with %+v", f, wantBad)
	}
	if f := got.Files[2]; len(f.Findings) != 1 || f.Findings[0].Severity != "warning" || f.Findings[0].Code != string(engine.CodeRedundant) {
		t.Errorf("files[2] = %+v, want warn.json with one REDUNDANT warning", f)
	}
}

func TestFindingText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    findingJSON
		want string
	}{
		{
			name: "position and path",
			f:    findingJSON{Severity: "error", Path: "Statement[2].Action[1]", Line: 14, Col: 9, Message: "unknown action"},
			want: "p.json:14:9: error: Statement[2].Action[1]: unknown action",
		},
		{
			name: "no path",
			f:    findingJSON{Severity: "error", Line: 1, Col: 2, Message: "invalid JSON"},
			want: "p.json:1:2: error: invalid JSON",
		},
		{
			name: "no position",
			f:    findingJSON{Severity: "warning", Path: "Version", Message: "old version"},
			want: "p.json: warning: Version: old version",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, findingText("p.json", tc.f))
		})
	}
}

func TestGuessType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want engine.PolicyType
	}{
		{name: "statement list with Principal", src: `{"Statement":[{"Effect":"Allow"},{"Principal":"*"}]}`, want: engine.ResourcePolicy},
		{name: "statement object with NotPrincipal", src: `{"Statement":{"NotPrincipal":{"AWS":"x"}}}`, want: engine.ResourcePolicy},
		{name: "no principal", src: `{"Statement":[{"Effect":"Allow","Action":"*"}]}`, want: engine.IdentityPolicy},
		{name: "Principal outside statements", src: `{"Principal":"*","Statement":[]}`, want: engine.IdentityPolicy},
		{name: "not JSON", src: `{"Statement":`, want: engine.IdentityPolicy},
		{name: "not an object", src: `[1]`, want: engine.IdentityPolicy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, guessType([]byte(tc.src)), "guessType(%s)", tc.src)
		})
	}
}

// TestValidateAccessAnalyzer: --format access-analyzer writes, per file, the
// findings as IAM Access Analyzer ValidatePolicy findings.
func TestValidateAccessAnalyzer(t *testing.T) {
	t.Parallel()
	dir := writePolicies(t)
	args := []string{"validate", "--format", "access-analyzer"}
	for _, name := range []string{"good.json", "bad.json", "syntax.json", "warn.json"} {
		args = append(args, filepath.Join(dir, name))
	}
	code, stdout, stderr := runPDP(t, nil, args...)
	require.Equal(t, 1, code, "exit status; stdout:\n%s", stdout)
	require.Empty(t, stderr)

	var got accessAnalyzerReport
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&got), stdout)
	require.Len(t, got.Files, 4)
	assert.Equal(t, filepath.Join(dir, "good.json"), got.Files[0].File)
	assert.NotNil(t, got.Files[0].Findings)
	assert.Empty(t, got.Files[0].Findings)
	assert.Contains(t, stdout, `"findings": []`, "a clean file has an empty array, not null")

	// The misspelt action: line 9, column 9 (1-based) in pdp's terms.
	src := testPolicies["bad.json"]
	start := strings.Index(src, `"mobiletargeting:GetSegmentz"`)
	end := start + len(`"mobiletargeting:GetSegmentz"`)
	statement, action := "Statement", "Action"
	zero, one := 0, 1
	want := engine.AccessAnalyzerFinding{
		FindingType:    "ERROR",
		IssueCode:      "INVALID_ACTION",
		FindingDetails: `unknown action "mobiletargeting:GetSegmentz" (did you mean "mobiletargeting:GetSegments"?)`,
		LearnMoreLink: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html" +
			"#access-analyzer-reference-policy-checks-error-invalid-action",
		Locations: []engine.AccessAnalyzerLocation{{
			Path: []engine.AccessAnalyzerPathElement{{Value: &statement}, {Index: &zero}, {Value: &action}, {Index: &one}},
			Span: engine.AccessAnalyzerSpan{
				Start: engine.AccessAnalyzerPosition{Line: 9, Column: 8, Offset: start},
				End:   engine.AccessAnalyzerPosition{Line: 9, Column: 8 + end - start, Offset: end},
			},
		}},
	}
	require.Len(t, got.Files[1].Findings, 1)
	assert.Equal(t, want, got.Files[1].Findings[0])

	require.Len(t, got.Files[2].Findings, 1)
	assert.Equal(t, "JSON_SYNTAX_ERROR", got.Files[2].Findings[0].IssueCode)
	assert.Equal(t, "ERROR", got.Files[2].Findings[0].FindingType)

	require.Len(t, got.Files[3].Findings, 1)
	assert.Equal(t, "REDUNDANT_ACTION", got.Files[3].Findings[0].IssueCode)
	assert.Equal(t, "SUGGESTION", got.Files[3].Findings[0].FindingType)
}
