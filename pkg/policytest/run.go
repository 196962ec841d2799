package policytest

import (
	"context"
	"fmt"
)

// A StatementRef names one statement of one policy document of the model,
// by the document's ID (managed:NAME, scp:NAME, resource:ARN, ...).
type StatementRef struct {
	Policy string `json:"policy"`
	Index  int    `json:"index"`
	Sid    string `json:"sid,omitempty"`
	// Line is the statement's line in its file, when known.
	Line int `json:"line,omitempty"`
}

func (r StatementRef) String() string {
	s := fmt.Sprintf("%s Statement[%d]", r.Policy, r.Index)
	if r.Sid != "" {
		s += fmt.Sprintf(" (Sid %q)", r.Sid)
	}
	return s
}

// An Outcome is a decision with what explains it.
type Outcome struct {
	Decision string
	Revision int64
	// Matched are the statements that applied to the request.
	Matched []StatementRef
}

// A Decider decides one case. An error is a problem with the case or the
// call (the case cannot be decided), not a deny.
type Decider interface {
	Decide(ctx context.Context, c *Case) (Outcome, error)
}

// Status is how a case came out.
type Status string

// The statuses of a case.
const (
	Passed  Status = "pass"
	Failed  Status = "fail"
	Errored Status = "error"
)

// A CaseResult is the outcome of one case.
type CaseResult struct {
	Name     string         `json:"name"`
	Status   Status         `json:"status"`
	Expect   string         `json:"expect"`
	Got      string         `json:"got,omitempty"`
	Revision int64          `json:"revision,omitempty"`
	Error    string         `json:"error,omitempty"`
	Matched  []StatementRef `json:"matched,omitempty"`
}

// Message says why a case did not pass; "" when it passed.
func (r *CaseResult) Message() string {
	switch r.Status {
	case Failed:
		return fmt.Sprintf("expected %s, got %s (revision %d)", r.Expect, r.Got, r.Revision)
	case Errored:
		return r.Error
	}
	return ""
}

// A SuiteResult is the outcome of the cases of one test file.
type SuiteResult struct {
	File  string       `json:"file"`
	Cases []CaseResult `json:"cases"`
}

// Counts gives how many cases passed, failed and could not be decided.
func Counts(rs []SuiteResult) (passed, failed, errored int) {
	for _, s := range rs {
		for _, c := range s.Cases {
			switch c.Status {
			case Passed:
				passed++
			case Failed:
				failed++
			default:
				errored++
			}
		}
	}
	return passed, failed, errored
}

// Run decides every case of the suites in order. It stops early, with
// ctx's error, when ctx ends.
func Run(ctx context.Context, suites []*Suite, d Decider) ([]SuiteResult, error) {
	out := make([]SuiteResult, 0, len(suites))
	for _, s := range suites {
		sr := SuiteResult{File: s.File, Cases: make([]CaseResult, 0, len(s.Cases))}
		for _, c := range s.Cases {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			sr.Cases = append(sr.Cases, runCase(ctx, c, d))
		}
		out = append(out, sr)
	}
	return out, nil
}

func runCase(ctx context.Context, c *Case, d Decider) CaseResult {
	r := CaseResult{Name: c.Name, Expect: c.Expect}
	o, err := d.Decide(ctx, c)
	if err != nil {
		r.Status, r.Error = Errored, err.Error()
		return r
	}
	r.Got, r.Revision, r.Matched = o.Decision, o.Revision, o.Matched
	r.Status = Passed
	if o.Decision != c.Expect {
		r.Status = Failed
	}
	return r
}
