package policytest

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// A Report is everything a run found: the results of the cases and, when
// the model's statements are known, the coverage.
type Report struct {
	Suites   []SuiteResult `json:"suites"`
	Passed   int           `json:"passed"`
	Failed   int           `json:"failed"`
	Errors   int           `json:"errors"`
	Coverage *Coverage     `json:"coverage,omitempty"`
	// CoverageNote says why there is no coverage, when there is none.
	CoverageNote string `json:"coverage_note,omitempty"`
	// MinCoverage is the percentage required; 0 requires nothing.
	MinCoverage float64 `json:"min_coverage,omitempty"`
}

// NewReport counts the results.
func NewReport(results []SuiteResult) *Report {
	r := &Report{Suites: results}
	r.Passed, r.Failed, r.Errors = Counts(results)
	return r
}

// CoverageLow reports whether the coverage is below MinCoverage.
func (r *Report) CoverageLow() bool {
	return r.MinCoverage > 0 && r.Coverage != nil && r.Coverage.Percent < r.MinCoverage
}

// WriteText writes one line per case that did not pass (and, for an
// expectation, one per entry that differs), a summary, and the coverage
// with the statements no case made apply:
//
//	FAIL  model_test.yaml  bob deletes a campaign: expected ExplicitDeny, got Allow (revision 1)
//	FAIL  model_test.yaml  who sends SMS: 0 missing, 1 unexpected (revision 1)
//	         unexpected: arn:aws:iam::111122223333:user/bob (ALLOWED)
//	2 passed, 1 failed, 0 errors
//	coverage: 93.3% of statements (14/15)
//	  not covered: managed:SmsSenders Statement[1] (Sid "Voice"), line 12
func (r *Report) WriteText(w io.Writer, verbose bool) error {
	var b strings.Builder
	for _, s := range r.Suites {
		for _, c := range s.Cases {
			switch {
			case c.Status != Passed:
				fmt.Fprintf(&b, "%-5s  %s  %s: %s\n", strings.ToUpper(string(c.Status)), s.File, c.Name, c.Message())
				for _, d := range c.Details() {
					fmt.Fprintf(&b, "         %s\n", d)
				}
			case verbose:
				fmt.Fprintf(&b, "PASS   %s  %s: %s\n", s.File, c.Name, c.Got)
			}
		}
	}
	fmt.Fprintf(&b, "%d passed, %d failed, %d errors\n", r.Passed, r.Failed, r.Errors)
	switch {
	case r.Coverage != nil:
		fmt.Fprintf(&b, "coverage: %.1f%% of statements (%d/%d)", r.Coverage.Percent, r.Coverage.Covered, r.Coverage.Total)
		if r.CoverageLow() {
			fmt.Fprintf(&b, ", below the minimum of %.1f%%", r.MinCoverage)
		}
		b.WriteString("\n")
		for _, s := range r.Coverage.Uncovered {
			fmt.Fprintf(&b, "  not covered: %s", s)
			if s.Line > 1 { // line 1: a compact document, or one written in YAML
				fmt.Fprintf(&b, ", line %d", s.Line)
			}
			b.WriteString("\n")
		}
	case r.CoverageNote != "":
		fmt.Fprintf(&b, "coverage: %s\n", r.CoverageNote)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(out, '\n'))
	return err
}

// JUnit XML, in the shape CI systems read (the Ant JUnit report): one
// testsuite per test file, one testcase per case and per who_can and
// what_can expectation, a failure element for a wrong decision or answer
// (its text lists what was missing and unexpected) and an error element
// for a case that could not be decided. The coverage is a testsuite of its own, named CoverageSuite,
// whose properties hold the numbers and whose one testcase fails when the
// coverage is below the minimum.

// CoverageSuite names the JUnit testsuite of the coverage.
const CoverageSuite = "statement coverage"

// JUnitTestSuites is the root element of a JUnit report.
type JUnitTestSuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Suites   []JUnitTestSuite `xml:"testsuite"`
}

// JUnitTestSuite is the cases of one test file.
type JUnitTestSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Properties []JUnitProperty `xml:"properties>property,omitempty"`
	Cases      []JUnitTestCase `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

// JUnitProperty is a name and value of a testsuite.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitTestCase is one case.
type JUnitTestCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *JUnitProblem `xml:"failure,omitempty"`
	Error     *JUnitProblem `xml:"error,omitempty"`
}

// JUnitProblem is a failure or an error of a case.
type JUnitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit builds the JUnit form of the report.
func (r *Report) JUnit() *JUnitTestSuites {
	root := &JUnitTestSuites{Name: "pdp test"}
	for _, s := range r.Suites {
		js := JUnitTestSuite{Name: s.File}
		for _, c := range s.Cases {
			jc := JUnitTestCase{Name: c.Name, Classname: s.File}
			switch c.Status {
			case Failed:
				jc.Failure = &JUnitProblem{Message: c.Message(), Type: "decision", Text: matchedText(c.Matched)}
				if c.Kind != "" {
					jc.Failure.Type, jc.Failure.Text = c.Kind, strings.Join(c.Details(), "\n")+"\n"
				}
				js.Failures++
			case Errored:
				jc.Error = &JUnitProblem{Message: c.Message(), Type: "error"}
				js.Errors++
			}
			js.Cases = append(js.Cases, jc)
		}
		js.Tests = len(js.Cases)
		root.add(js)
	}
	if cov := r.Coverage; cov != nil {
		js := JUnitTestSuite{Name: CoverageSuite, Properties: []JUnitProperty{
			{Name: "covered", Value: fmt.Sprint(cov.Covered)},
			{Name: "total", Value: fmt.Sprint(cov.Total)},
			{Name: "percent", Value: fmt.Sprintf("%.1f", cov.Percent)},
			{Name: "min_percent", Value: fmt.Sprintf("%.1f", r.MinCoverage)},
		}}
		var out strings.Builder
		for _, s := range cov.Uncovered {
			fmt.Fprintf(&out, "not covered: %s\n", s)
		}
		js.SystemOut = out.String()
		jc := JUnitTestCase{Name: "minimum coverage", Classname: CoverageSuite}
		if r.CoverageLow() {
			jc.Failure = &JUnitProblem{Type: "coverage",
				Message: fmt.Sprintf("coverage %.1f%% is below the minimum of %.1f%%", cov.Percent, r.MinCoverage)}
			js.Failures++
		}
		js.Cases, js.Tests = []JUnitTestCase{jc}, 1
		root.add(js)
	}
	return root
}

func (root *JUnitTestSuites) add(js JUnitTestSuite) {
	root.Suites = append(root.Suites, js)
	root.Tests += js.Tests
	root.Failures += js.Failures
	root.Errors += js.Errors
}

// matchedText lists the statements that applied, one a line.
func matchedText(ms []StatementRef) string {
	if len(ms) == 0 {
		return "no statement applied"
	}
	var b strings.Builder
	b.WriteString("statements that applied:\n")
	for _, m := range ms {
		fmt.Fprintf(&b, "  %s\n", m)
	}
	return b.String()
}

// WriteJUnit writes the report as JUnit XML.
func (r *Report) WriteJUnit(w io.Writer) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(r.JUnit()); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
