package policytest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// smallModel has five statements: scp:All[0], managed:P[0..2] and
// inline:user/alice:X[0].
const smallModel = `accounts:
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
`

func smallUniverse(t *testing.T) []Policy {
	t.Helper()
	cat, err := catalog.Load()
	require.NoError(t, err)
	set, err := entity.LoadDir(fstest.MapFS{"model.yaml": {Data: []byte(smallModel)}}, ".")
	require.NoError(t, err)
	res, err := set.Resolve(cat)
	require.NoError(t, err)
	return Universe(res)
}

// tableDecider answers from a table by case name: a hand-written stand-in
// for a server, whose own decisions cmd/pdp's tests check. It has no
// access answers; tableSource adds them.
type tableDecider map[string]Outcome

func (d tableDecider) Decide(_ context.Context, c *Case) (Outcome, error) {
	o, ok := d[c.Name]
	if !ok {
		return Outcome{}, errors.New("no such principal")
	}
	return o, nil
}

func (d tableDecider) WhoCan(context.Context, *WhoCan) (Answers, error) {
	return Answers{}, errors.New("no access answers")
}

func (d tableDecider) WhatCan(context.Context, *WhatCan) (Answers, error) {
	return Answers{}, errors.New("no access answers")
}

func sampleResults(t *testing.T) []SuiteResult {
	t.Helper()
	suites := []*Suite{{File: "a_test.yaml", Cases: []*Case{
		{Name: "reads an app", Expect: Allow},
		{Name: "deletes an app", Expect: ExplicitDeny},
		{Name: "reads a segment", Expect: ImplicitDeny},
		{Name: "unknown principal", Expect: Allow},
	}}}
	d := tableDecider{
		"reads an app": {Decision: Allow, Revision: 1, Matched: []StatementRef{{Policy: "scp:All"}, {Policy: "managed:P", Index: 0, Sid: "Apps"}}},
		"deletes an app": {Decision: ExplicitDeny, Revision: 1,
			Matched: []StatementRef{{Policy: "scp:All"}, {Policy: "managed:P", Index: 2, Sid: "NoDelete"}}},
		"reads a segment": {Decision: Allow, Revision: 1,
			Matched: []StatementRef{{Policy: "scp:All"}, {Policy: "managed:P", Index: 1, Sid: "Segments"}, {Policy: "session:0"}}},
	}
	rs, err := Run(t.Context(), suites, d)
	require.NoError(t, err)
	return rs
}

func TestRunStatuses(t *testing.T) {
	t.Parallel()
	rs := sampleResults(t)
	require.Len(t, rs, 1)
	var statuses []Status
	for _, c := range rs[0].Cases {
		statuses = append(statuses, c.Status)
	}
	assert.Equal(t, []Status{Passed, Passed, Failed, Errored}, statuses)
	assert.Equal(t, "expected ImplicitDeny, got Allow (revision 1)", rs[0].Cases[2].Message())
	assert.Equal(t, "no such principal", rs[0].Cases[3].Message())
	p, f, e := Counts(rs)
	assert.Equal(t, []int{2, 1, 1}, []int{p, f, e})
}

func TestRunStopsWithContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Run(ctx, []*Suite{{File: "a", Cases: []*Case{{Name: "x"}}}}, tableDecider{})
	assert.ErrorIs(t, err, context.Canceled)
}

// TestCoverageExact counts by hand: the universe has five statements; the
// cases made scp:All[0], managed:P[0], [1] and [2] apply (a failed case
// covers too; session:0 is not in the model).
func TestCoverageExact(t *testing.T) {
	t.Parallel()
	universe := smallUniverse(t)
	cov := Measure(universe, sampleResults(t))
	assert.Equal(t, 5, cov.Total)
	assert.Equal(t, 4, cov.Covered)
	assert.InDelta(t, 80.0, cov.Percent, 1e-9)
	assert.Equal(t, []StatementRef{{Policy: "inline:user/alice:X", Index: 0, Line: 1}}, cov.Uncovered)
	assert.Equal(t, []PolicyCoverage{
		{ID: "inline:user/alice:X", Total: 1, Covered: 0},
		{ID: "managed:P", Total: 3, Covered: 3},
		{ID: "scp:All", Total: 1, Covered: 1},
	}, cov.Policies)
	assert.InDelta(t, 100.0, Measure(nil, nil).Percent, 1e-9, "an empty model is covered")
}

func sampleReport(t *testing.T, min float64) *Report {
	t.Helper()
	rs := sampleResults(t)
	rep := NewReport(rs)
	cov := Measure(smallUniverse(t), rs)
	rep.Coverage, rep.MinCoverage = &cov, min
	return rep
}

func TestJUnitRoundTrip(t *testing.T) {
	t.Parallel()
	rep := sampleReport(t, 90)
	var buf bytes.Buffer
	require.NoError(t, rep.WriteJUnit(&buf))
	require.True(t, bytes.HasPrefix(buf.Bytes(), []byte(xml.Header)))

	var got JUnitTestSuites
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &got))
	assert.Equal(t, "testsuites", got.XMLName.Local)
	assert.Equal(t, []int{5, 2, 1}, []int{got.Tests, got.Failures, got.Errors})
	require.Len(t, got.Suites, 2)

	cases := got.Suites[0]
	assert.Equal(t, "a_test.yaml", cases.Name)
	assert.Equal(t, []int{4, 1, 1}, []int{cases.Tests, cases.Failures, cases.Errors})
	require.Len(t, cases.Cases, 4)
	assert.Nil(t, cases.Cases[0].Failure)
	require.NotNil(t, cases.Cases[2].Failure)
	assert.Equal(t, "expected ImplicitDeny, got Allow (revision 1)", cases.Cases[2].Failure.Message)
	assert.Contains(t, cases.Cases[2].Failure.Text, `managed:P Statement[1] (Sid "Segments")`)
	require.NotNil(t, cases.Cases[3].Error)
	assert.Equal(t, "no such principal", cases.Cases[3].Error.Message)

	cov := got.Suites[1]
	assert.Equal(t, CoverageSuite, cov.Name)
	assert.Contains(t, cov.Properties, JUnitProperty{Name: "percent", Value: "80.0"})
	assert.Contains(t, cov.Properties, JUnitProperty{Name: "covered", Value: "4"})
	require.Len(t, cov.Cases, 1)
	require.NotNil(t, cov.Cases[0].Failure)
	assert.Equal(t, "coverage 80.0% is below the minimum of 90.0%", cov.Cases[0].Failure.Message)
	assert.Contains(t, cov.SystemOut, "not covered: inline:user/alice:X Statement[0]")

	// What was read back writes the same document again.
	again, err := xml.MarshalIndent(&got, "", "  ")
	require.NoError(t, err)
	want, err := xml.MarshalIndent(rep.JUnit(), "", "  ")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(again))
}

func TestWriteText(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, sampleReport(t, 90).WriteText(&buf, false))
	assert.Equal(t, `FAIL   a_test.yaml  reads a segment: expected ImplicitDeny, got Allow (revision 1)
ERROR  a_test.yaml  unknown principal: no such principal
2 passed, 1 failed, 1 errors
coverage: 80.0% of statements (4/5), below the minimum of 90.0%
  not covered: inline:user/alice:X Statement[0]
`, buf.String())
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, sampleReport(t, 0).WriteJSON(&buf))
	var got Report
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
	assert.Equal(t, []int{2, 1, 1}, []int{got.Passed, got.Failed, got.Errors})
	require.NotNil(t, got.Coverage)
	assert.Equal(t, 4, got.Coverage.Covered)
	assert.False(t, got.CoverageLow())
}
