package engine

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// updateAccessAnalyzerGolden reports whether -update asks to rewrite the
// golden files; the flag is shared with the validate golden tests, so it is
// registered by whichever file initializes first.
var updateAccessAnalyzerGolden = func() func() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
	return func() bool { return flag.Lookup("update").Value.String() == "true" }
}()

// aaPolicyTypes maps the first word of a golden input's name to its policy
// type and the size quota it is checked against.
var aaPolicyTypes = map[string]struct {
	typ   PolicyType
	quota QuotaKind
}{
	"identity": {IdentityPolicy, QuotaManaged},
	"resource": {ResourcePolicy, QuotaNone},
	"scp":      {SCPPolicy, QuotaSCP},
}

// aaGoldenFindings parses and validates one golden input and returns its
// findings with their pdp codes.
func aaGoldenFindings(t *testing.T, file string) (Errors, []AccessAnalyzerFinding) {
	t.Helper()
	name := strings.TrimSuffix(filepath.Base(file), ".json")
	pt, ok := aaPolicyTypes[strings.SplitN(name, "-", 2)[0]]
	require.True(t, ok, "file name %q does not start with identity, resource or scp", name)
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	doc, err := Parse(src, ParseOptions{ID: name, Type: pt.typ})
	var es Errors
	if err != nil {
		require.True(t, errors.As(err, &es), "Parse: %v", err)
	} else {
		es = Validate(benchCatalog(t), doc, ValidateOptions{Quota: pt.quota})
	}
	return es, AccessAnalyzerFindings(src, pt.typ, es)
}

// aaGoldenLine writes one finding as a golden line:
// "<type> <issue> (<pdp code>) <path> <start>-<end>: <details> <link>",
// positions as line:column@offset.
func aaGoldenLine(e *PolicyError, f AccessAnalyzerFinding) string {
	loc := "-"
	if len(f.Locations) == 1 {
		l := f.Locations[0]
		var p []string
		for _, el := range l.Path {
			switch {
			case el.Index != nil:
				p = append(p, fmt.Sprintf("[%d]", *el.Index))
			case el.Key != nil:
				p = append(p, "key:"+*el.Key)
			case el.Value != nil:
				p = append(p, *el.Value)
			}
		}
		s, e := l.Span.Start, l.Span.End
		loc = fmt.Sprintf("%s %d:%d@%d-%d:%d@%d", strings.Join(p, "/"), s.Line, s.Column, s.Offset, e.Line, e.Column, e.Offset)
	}
	return fmt.Sprintf("%s %s (%s) %s: %s %s", f.FindingType, f.IssueCode, e.Code, loc, f.FindingDetails, f.LearnMoreLink)
}

// TestAccessAnalyzerGolden converts the findings of every
// testdata/accessanalyzer input and compares them with its .golden file;
// go test -run TestAccessAnalyzerGolden -update rewrites them.
func TestAccessAnalyzerGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/accessanalyzer/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			es, fs := aaGoldenFindings(t, file)
			require.Len(t, fs, len(es))
			var b strings.Builder
			for i := range fs {
				b.WriteString(aaGoldenLine(es[i], fs[i]))
				b.WriteByte('\n')
			}
			golden := strings.TrimSuffix(file, ".json") + ".golden"
			if updateAccessAnalyzerGolden() {
				require.NoError(t, os.WriteFile(golden, []byte(b.String()), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			assert.Equal(t, string(want), b.String(), "findings differ from %s (run with -update to accept)", golden)
		})
	}
}

// aaTableRow is one row of the mapping table in docs/access-analyzer-findings.md.
type aaTableRow struct {
	code, issue, findingType string
}

// readAATable parses the mapping table: rows whose first cell is a pdp
// Code in backquotes; the third cell is the issue code in backquotes or
// "—", the fourth the finding type.
func readAATable(t *testing.T) []aaTableRow {
	t.Helper()
	src, err := os.ReadFile("../../docs/access-analyzer-findings.md")
	require.NoError(t, err)
	row := regexp.MustCompile("^\\| `([A-Z_]+)` \\|[^|]*\\| (`[A-Z_]+`|—) \\| ([A-Z_]+|—) \\|")
	var rows []aaTableRow
	for _, line := range strings.Split(string(src), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			rows = append(rows, aaTableRow{code: m[1], issue: strings.Trim(m[2], "`"), findingType: m[3]})
		}
	}
	require.NotEmpty(t, rows, "no mapping rows found")
	return rows
}

// engineCodes lists the value of every Code constant declared in errors.go.
func engineCodes(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("errors.go")
	require.NoError(t, err)
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^\s+Code\w+\s+Code = "([A-Z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		out = append(out, m[1])
	}
	require.NotEmpty(t, out)
	return out
}

// TestAccessAnalyzerTable checks docs/access-analyzer-findings.md against the
// code and the golden tests: every Code has a row; the rows are exactly the
// mapping rules; every row with an issue code is produced by some golden
// input; and every golden finding is a documented row.
func TestAccessAnalyzerTable(t *testing.T) {
	t.Parallel()
	rows := readAATable(t)

	documented := make(map[string]bool)
	for _, r := range rows {
		documented[r.code] = true
	}
	for _, c := range engineCodes(t) {
		assert.True(t, documented[c], "Code %s has no row in docs/access-analyzer-findings.md", c)
	}

	var ruleRows []aaTableRow
	for _, r := range rows {
		if r.issue != "—" {
			ruleRows = append(ruleRows, r)
		}
	}
	require.Len(t, ruleRows, len(aaRules), "the table's rows with an issue code must be the mapping rules")
	for i, r := range aaRules {
		assert.Equal(t, aaTableRow{code: string(r.code), issue: r.issue, findingType: r.findingType}, ruleRows[i],
			"row %d of the table differs from mapping rule %d", i, i)
	}

	files, err := filepath.Glob("testdata/accessanalyzer/*.json")
	require.NoError(t, err)
	seen := make(map[[2]string]bool)
	for _, file := range files {
		es, fs := aaGoldenFindings(t, file)
		for i := range fs {
			pair := [2]string{string(es[i].Code), fs[i].IssueCode}
			seen[pair] = true
			assert.True(t, slicesContainsRow(ruleRows, pair), "%s: %s → %s is not a row of the table", file, pair[0], pair[1])
		}
	}
	for _, r := range ruleRows {
		assert.True(t, seen[[2]string{r.code, r.issue}], "no golden input produces %s → %s", r.code, r.issue)
	}
}

func slicesContainsRow(rows []aaTableRow, pair [2]string) bool {
	for _, r := range rows {
		if r.code == pair[0] && r.issue == pair[1] {
			return true
		}
	}
	return false
}

// TestAccessAnalyzerIssueSeverity: the reported type follows pdp's severity
// where it differs from Access Analyzer's.
func TestAccessAnalyzerIssueSeverity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		e        PolicyError
		wantType string
		wantCode string
	}{
		{"AA error, pdp warning", PolicyError{Code: CodeSingleOperatorOnSet, Severity: SeverityWarning, Field: "Condition.StringLike.aws:TagKeys"},
			FindingWarning, "MISSING_QUALIFIER"},
		{"AA suggestion, pdp error", PolicyError{Code: CodeInvalidValue, Severity: SeverityError, Field: "Condition.StringEquals"},
			FindingError, "EMPTY_OBJECT_CONDITION"},
		{"AA security warning kept", PolicyError{Code: CodeSetOperatorOnSingle, Severity: SeverityWarning, Field: "Condition.ForAllValues:StringEquals.aws:username"},
			FindingSecurityWarning, "FORALLVALUES_WITH_SINGLE_VALUED_KEY"},
		{"no rule: PDP_ code", PolicyError{Code: CodeRedundant, Severity: SeverityWarning, Field: "Resource[1]"},
			FindingWarning, "PDP_REDUNDANT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ft, code, link := AccessAnalyzerIssue(&tc.e, IdentityPolicy)
			assert.Equal(t, tc.wantType, ft)
			assert.Equal(t, tc.wantCode, code)
			assert.NotEmpty(t, link)
		})
	}
}

// TestAccessAnalyzerSpan: spans cover the whole JSON value, and offsets and
// columns count characters, not bytes.
func TestAccessAnalyzerSpan(t *testing.T) {
	t.Parallel()
	src := []byte("{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"é\",\n \"Effect\": \"Allow\", \"Action\": \"mobiletargeting:Nope\", \"Resource\": \"*\"}]}")
	doc, err := Parse(src, ParseOptions{})
	require.NoError(t, err)
	es := Validate(benchCatalog(t), doc, ValidateOptions{})
	require.Len(t, es, 1)
	fs := AccessAnalyzerFindings(src, IdentityPolicy, es)
	require.Len(t, fs, 1)
	require.Len(t, fs[0].Locations, 1)
	span := fs[0].Locations[0].Span
	// Line 2 starts at character 53 (the "é" is one character, two bytes).
	assert.Equal(t, AccessAnalyzerPosition{Line: 2, Column: 30, Offset: 53 + 30}, span.Start)
	assert.Equal(t, AccessAnalyzerPosition{Line: 2, Column: 52, Offset: 53 + 52}, span.End)
	assert.Equal(t, "INVALID_ACTION", fs[0].IssueCode)
}
