package policytest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	alice  = "arn:aws:iam::111122223333:user/alice"
	bob    = "arn:aws:iam::111122223333:user/bob"
	sender = "arn:aws:iam::111122223333:role/sender"
)

// threeAnswers is a who-can answer: alice allowed by managed:P[0] (and the
// SCP), the sender conditional on aws:SourceIp, bob denied by managed:P[2].
var threeAnswers = Answers{Revision: 4, List: []Answer{
	{Name: alice, Verdict: VerdictAllowed, Deciding: []StatementRef{{Policy: "scp:All"}, {Policy: "managed:P", Index: 0, Sid: "Apps"}}},
	{Name: bob, Verdict: VerdictExplicitDeny, Deciding: []StatementRef{{Policy: "managed:P", Index: 2, Sid: "NoDelete"}}},
	{Name: sender, Verdict: VerdictConditional, Keys: []string{"aws:SourceIp"}},
}}

func TestExpectationOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		want           Expected
		wantStatus     Status
		wantMissing    []EntryDiff
		wantUnexpected []EntryDiff
		wantError      string
		wantMatched    []StatementRef
	}{
		{
			name:       "exact set",
			want:       Expected{Allowed: []string{alice}, Conditional: []string{sender}},
			wantStatus: Passed,
			wantMatched: []StatementRef{{Policy: "scp:All"}, {Policy: "managed:P", Index: 0, Sid: "Apps"},
				{Policy: "managed:P", Index: 2, Sid: "NoDelete"}},
		},
		{
			name:        "at least one entry",
			want:        Expected{Allowed: []string{alice}, Match: MatchAtLeast},
			wantStatus:  Passed,
			wantMatched: []StatementRef{{Policy: "scp:All"}, {Policy: "managed:P", Index: 0, Sid: "Apps"}},
		},
		{
			name:           "unexpected conditional principal",
			want:           Expected{Allowed: []string{alice}},
			wantStatus:     Failed,
			wantUnexpected: []EntryDiff{{Name: sender, Got: VerdictConditional, Keys: []string{"aws:SourceIp"}}},
		},
		{
			name:        "missing principals",
			want:        Expected{Allowed: []string{alice, bob, sender}, Match: MatchAtLeast},
			wantStatus:  Failed,
			wantMissing: []EntryDiff{{Name: bob, Expected: VerdictAllowed, Got: VerdictExplicitDeny}, {Name: sender, Expected: VerdictAllowed, Got: VerdictConditional, Keys: []string{"aws:SourceIp"}}},
		},
		{
			name:           "nobody expected",
			want:           Expected{Allowed: []string{}},
			wantStatus:     Failed,
			wantUnexpected: []EntryDiff{{Name: alice, Got: VerdictAllowed}, {Name: sender, Got: VerdictConditional, Keys: []string{"aws:SourceIp"}}},
		},
		{
			name:       "principal not in the model",
			want:       Expected{Allowed: []string{alice, "arn:aws:iam::111122223333:user/carol"}},
			wantStatus: Errored,
			wantError:  `principal "arn:aws:iam::111122223333:user/carol" is not in the model`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := tableSource{answers: map[string]Answers{"q": threeAnswers}}
			rs, err := Run(t.Context(), []*Suite{{File: "a_test.yaml", WhoCan: []*WhoCan{{Name: "q", Expected: tc.want}}}}, src)
			require.NoError(t, err)
			require.Len(t, rs, 1)
			require.Len(t, rs[0].Cases, 1)
			r := rs[0].Cases[0]
			assert.Equal(t, KindWhoCan, r.Kind)
			assert.Equal(t, tc.wantStatus, r.Status)
			assert.Equal(t, tc.wantMissing, r.Missing)
			assert.Equal(t, tc.wantUnexpected, r.Unexpected)
			assert.Equal(t, tc.wantError, r.Error)
			if tc.wantStatus == Errored {
				assert.Empty(t, r.Matched, "an expectation that cannot be answered covers nothing")
			}
			if tc.wantStatus == Passed {
				assert.Equal(t, tc.wantMatched, r.Matched)
				assert.Equal(t, int64(4), r.Revision)
				assert.Equal(t, "1 allowed, 1 conditional", r.Got)
			}
		})
	}
}

// tableSource answers access questions from a table by expectation name.
type tableSource struct {
	tableDecider
	answers map[string]Answers
}

func (s tableSource) WhoCan(_ context.Context, q *WhoCan) (Answers, error) { return s.answer(q.Name) }

func (s tableSource) WhatCan(_ context.Context, q *WhatCan) (Answers, error) { return s.answer(q.Name) }

func (s tableSource) answer(name string) (Answers, error) {
	a, ok := s.answers[name]
	if !ok {
		return Answers{}, errors.New("unknown action")
	}
	return a, nil
}

// TestWhatCanUnknownAction: an action the answer does not hold cannot act
// on the resource, which is an error of the expectation, not a failure.
func TestWhatCanUnknownAction(t *testing.T) {
	t.Parallel()
	src := tableSource{answers: map[string]Answers{"q": {Revision: 1, List: []Answer{{Name: "mobiletargeting:GetApp", Verdict: VerdictAllowed}}}}}
	rs, err := Run(t.Context(), []*Suite{{File: "a", WhatCan: []*WhatCan{
		{Name: "q", Principal: alice, Expected: Expected{Allowed: []string{"mobiletargeting:GetApp", "sms-voice:DescribePools"}}},
		{Name: "no answer", Principal: alice},
	}}}, src)
	require.NoError(t, err)
	require.Len(t, rs[0].Cases, 2)
	assert.Equal(t, Errored, rs[0].Cases[0].Status)
	assert.Equal(t, `action "sms-voice:DescribePools" cannot act on "*"`, rs[0].Cases[0].Message())
	assert.Equal(t, KindWhatCan, rs[0].Cases[0].Kind)
	assert.Equal(t, "unknown action", rs[0].Cases[1].Message())
}

const goodExpectations = `who_can:
  - name: who reads apps
    action: mobiletargeting:GetApp
    resource: arn:aws:mobiletargeting:us-east-1:111122223333:apps/a
    context: {aws:RequestedRegion: us-east-1, aws:TagKeys: [a, b]}
    allowed: [arn:aws:iam::111122223333:user/alice]
    conditional: [arn:aws:iam::111122223333:role/sender]
what_can:
  - name: what alice does without resources
    principal: arn:aws:iam::111122223333:user/alice
    allowed: []
    match: exact
  - name: alice reads apps at least
    principal: arn:aws:iam::111122223333:user/alice
    resource: arn:aws:mobiletargeting:us-east-1:111122223333:apps/a
    allowed: [mobiletargeting:GetApp]
    match: at-least
`

func TestLoadFileExpectations(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"x_test.yaml": goodExpectations})
	s, err := LoadFile(os.ReadFile, filepath.Join(dir, "x_test.yaml"))
	require.NoError(t, err)
	assert.Empty(t, s.Cases)
	require.Len(t, s.WhoCan, 1)
	q := s.WhoCan[0]
	assert.Equal(t, "mobiletargeting:GetApp", q.Action)
	assert.Equal(t, map[string]ContextValue{"aws:RequestedRegion": {Values: []string{"us-east-1"}},
		"aws:TagKeys": {Values: []string{"a", "b"}, Multi: true}}, q.Context)
	assert.Equal(t, Expected{Allowed: []string{alice}, Conditional: []string{sender}}, q.Expected)
	assert.Equal(t, MatchExact, q.match())
	require.Len(t, s.WhatCan, 2)
	assert.Equal(t, "*", s.WhatCan[0].On())
	assert.Equal(t, []string{}, s.WhatCan[0].Allowed)
	assert.Equal(t, MatchAtLeast, s.WhatCan[1].match())
	assert.Equal(t, "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a", s.WhatCan[1].On())
}

// TestLoadFileExpectationErrors: every problem of an expectation names the
// line and column of what is wrong, hand-counted in the texts.
func TestLoadFileExpectationErrors(t *testing.T) {
	t.Parallel()
	const head = "who_can:\n  - name: q\n    action: mobiletargeting:GetApp\n    resource: '*'\n"
	tests := []struct {
		name, text string
		want       []string
	}{
		{"syntax error", "who_can:\n  - name: q\n    action: [\n", []string{"x_test.yaml:3: invalid YAML: did not find expected node content"}},
		{"unknown field", head + "    allowed: []\n    allow: [x]\n",
			[]string{`x_test.yaml:6:5: who_can[0] ("q"): unknown field "allow"`}},
		{"list written as a string", head + "    allowed: " + alice + "\n",
			[]string{`x_test.yaml:5:14: who_can[0] ("q"): allowed: want a list, e.g. [a, b] or []`}},
		{"entry not a string", head + "    allowed: [{a: b}]\n",
			[]string{`x_test.yaml:5:15: who_can[0] ("q"): allowed[0]: want a string`}},
		{"allowed missing", head, []string{`x_test.yaml:2:5: who_can[0] ("q"): allowed: missing (write allowed: [] when nothing is)`}},
		{"entry not an ARN", head + "    allowed: [" + alice + ", alice]\n",
			[]string{`x_test.yaml:5:53: who_can[0] ("q"): allowed[1]: "alice" is not an ARN`}},
		{"entry listed twice", head + "    allowed: [" + alice + "]\n    conditional:\n      - " + alice + "\n",
			[]string{`x_test.yaml:7:9: who_can[0] ("q"): conditional[0]: "` + alice + `" is also listed as allowed[0]`}},
		{"bad match", head + "    allowed: []\n    match: all\n",
			[]string{`x_test.yaml:6:12: who_can[0] ("q"): match: must be "exact" or "at-least", got "all"`}},
		{"at least nothing", head + "    allowed: []\n    match: at-least\n",
			[]string{`x_test.yaml:6:12: who_can[0] ("q"): match: "at-least" with no entries checks nothing`}},
		{"missing fields", "who_can:\n  - name: q\n    allowed: []\n",
			[]string{`x_test.yaml:2:5: who_can[0] ("q"): action: missing`, `x_test.yaml:2:5: who_can[0] ("q"): resource: missing`}},
		{"bad action", "who_can:\n  - {name: q, action: GetApp, resource: '*', allowed: []}\n",
			[]string{`x_test.yaml:2:23: who_can[0] ("q"): action: "GetApp" is not an action: want service:Action`}},
		{"not a mapping", "what_can:\n  - just text\n", []string{`x_test.yaml:2:5: what_can[0]: want a mapping with name, principal and allowed`}},
		{"section not a list", "what_can: {name: q}\n", []string{`x_test.yaml:1:11: what_can: want a list of expectations`}},
		{"unknown section", "who_can: []\nwho_may: []\n", []string{`x_test.yaml:2:1: unknown field "who_may": want tests, who_can or what_can`}},
		{"wildcard action", "what_can:\n  - name: q\n    principal: " + alice + "\n    allowed: [mobiletargeting:Get*]\n",
			[]string{`x_test.yaml:4:15: what_can[0] ("q"): allowed[0]: "mobiletargeting:Get*" has a wildcard`}},
		{"principal not an ARN", "what_can:\n  - name: q\n    principal: alice\n    allowed: []\n",
			[]string{`x_test.yaml:3:16: what_can[0] ("q"): principal: "alice" is not an ARN`}},
		{"bad resource", "what_can:\n  - name: q\n    principal: " + alice + "\n    resource: apps/a\n    allowed: []\n",
			[]string{`x_test.yaml:4:15: what_can[0] ("q"): resource: "apps/a" is not an ARN`}},
		{"name shared with a case", "tests:\n  - {name: q, principal: " + alice + ", action: mobiletargeting:GetApp, resource: '*', expect: Allow}\n" +
			"what_can:\n  - name: q\n    principal: " + alice + "\n    allowed: []\n",
			[]string{`x_test.yaml:4:11: what_can[0] ("q"): name: name also used by tests[0]`}},
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
			assert.Equal(t, len(tc.want), strings.Count(err.Error(), "x_test.yaml"), "one error per problem:\n%v", err)
		})
	}
}

// expectationReport has one passing and one failing expectation of each
// kind and one that cannot be answered.
func expectationReport(t *testing.T) *Report {
	t.Helper()
	actions := Answers{Revision: 4, List: []Answer{
		{Name: "mobiletargeting:GetApp", Verdict: VerdictAllowed, Deciding: []StatementRef{{Policy: "managed:P", Index: 0, Sid: "Apps"}}},
		{Name: "mobiletargeting:DeleteApp", Verdict: VerdictExplicitDeny, Deciding: []StatementRef{{Policy: "managed:P", Index: 2, Sid: "NoDelete"}}},
	}}
	src := tableSource{answers: map[string]Answers{"who": threeAnswers, "who exactly": threeAnswers, "what": actions, "what not": actions}}
	rs, err := Run(t.Context(), []*Suite{{File: "a_test.yaml",
		WhoCan: []*WhoCan{
			{Name: "who", Expected: Expected{Allowed: []string{alice}, Conditional: []string{sender}}},
			{Name: "who exactly", Expected: Expected{Allowed: []string{alice, bob}}},
		},
		WhatCan: []*WhatCan{
			{Name: "what", Expected: Expected{Allowed: []string{"mobiletargeting:GetApp"}, Match: MatchAtLeast}},
			{Name: "what not", Expected: Expected{Allowed: []string{}}},
			{Name: "what else"},
		},
	}}, src)
	require.NoError(t, err)
	rep := NewReport(rs)
	cov := Measure(smallUniverse(t), rs)
	rep.Coverage = &cov
	return rep
}

func TestExpectationText(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, expectationReport(t).WriteText(&buf, true))
	assert.Equal(t, `PASS   a_test.yaml  who: 1 allowed, 1 conditional
FAIL   a_test.yaml  who exactly: 1 missing, 1 unexpected (revision 4)
         missing: arn:aws:iam::111122223333:user/bob (expected ALLOWED, got EXPLICIT_DENY)
         unexpected: arn:aws:iam::111122223333:role/sender (CONDITIONAL on aws:SourceIp)
PASS   a_test.yaml  what: 1 allowed, 0 conditional
FAIL   a_test.yaml  what not: 0 missing, 1 unexpected (revision 4)
         unexpected: mobiletargeting:GetApp (ALLOWED)
ERROR  a_test.yaml  what else: unknown action
2 passed, 2 failed, 1 errors
coverage: 60.0% of statements (3/5)
  not covered: inline:user/alice:X Statement[0]
  not covered: managed:P Statement[1] (Sid "Segments")
`, buf.String())
}

func TestExpectationJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, expectationReport(t).WriteJSON(&buf))
	var got Report
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
	require.Len(t, got.Suites, 1)
	require.Len(t, got.Suites[0].Cases, 5)
	failed := got.Suites[0].Cases[1]
	assert.Equal(t, KindWhoCan, failed.Kind)
	assert.Equal(t, MatchExact, failed.Match)
	assert.Equal(t, []EntryDiff{{Name: bob, Expected: VerdictAllowed, Got: VerdictExplicitDeny}}, failed.Missing)
	assert.Equal(t, []EntryDiff{{Name: sender, Got: VerdictConditional, Keys: []string{"aws:SourceIp"}}}, failed.Unexpected)
	assert.Equal(t, KindWhatCan, got.Suites[0].Cases[2].Kind)
	assert.Equal(t, MatchAtLeast, got.Suites[0].Cases[2].Match)
	assert.Contains(t, buf.String(), `"missing": [`)
	assert.NotContains(t, buf.String(), `"expect": ""`)
}

func TestExpectationJUnit(t *testing.T) {
	t.Parallel()
	rep := expectationReport(t)
	var buf bytes.Buffer
	require.NoError(t, rep.WriteJUnit(&buf))
	var got JUnitTestSuites
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &got))
	assert.Equal(t, []int{6, 2, 1}, []int{got.Tests, got.Failures, got.Errors})
	require.Len(t, got.Suites, 2)
	cases := got.Suites[0].Cases
	require.Len(t, cases, 5, "one testcase per expectation")
	assert.Equal(t, "who exactly", cases[1].Name)
	require.NotNil(t, cases[1].Failure)
	assert.Equal(t, KindWhoCan, cases[1].Failure.Type)
	assert.Equal(t, "1 missing, 1 unexpected (revision 4)", cases[1].Failure.Message)
	assert.Equal(t, "missing: arn:aws:iam::111122223333:user/bob (expected ALLOWED, got EXPLICIT_DENY)\n"+
		"unexpected: arn:aws:iam::111122223333:role/sender (CONDITIONAL on aws:SourceIp)\n", cases[1].Failure.Text)
	require.NotNil(t, cases[3].Failure)
	assert.Equal(t, KindWhatCan, cases[3].Failure.Type)
	require.NotNil(t, cases[4].Error)
	assert.Equal(t, "unknown action", cases[4].Error.Message)

	again, err := xml.MarshalIndent(&got, "", "  ")
	require.NoError(t, err)
	want, err := xml.MarshalIndent(rep.JUnit(), "", "  ")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(again), "what was read back writes the same document")
}
