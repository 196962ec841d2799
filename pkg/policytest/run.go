package policytest

import (
	"context"
	"fmt"
	"strings"
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

// An Asker answers the access questions of expectations for every
// principal (WhoCan) or every action that can act on the resource
// (WhatCan), denied ones included. An error is a problem with the question
// or the call.
type Asker interface {
	WhoCan(ctx context.Context, q *WhoCan) (Answers, error)
	WhatCan(ctx context.Context, q *WhatCan) (Answers, error)
}

// A Source decides cases and answers access questions on one model.
type Source interface {
	Decider
	Asker
}

// The kinds of result besides decision cases.
const (
	KindWhoCan  = "who_can"
	KindWhatCan = "what_can"
)

// Status is how a case came out.
type Status string

// The statuses of a case.
const (
	Passed  Status = "pass"
	Failed  Status = "fail"
	Errored Status = "error"
)

// A CaseResult is the outcome of one case or access expectation.
type CaseResult struct {
	Name string `json:"name"`
	// Kind is "" for a decision case, KindWhoCan or KindWhatCan for an
	// expectation.
	Kind   string `json:"kind,omitempty"`
	Status Status `json:"status"`
	// Expect is a case's decision; Match an expectation's comparison.
	Expect string `json:"expect,omitempty"`
	Match  string `json:"match,omitempty"`
	// Got is a case's decision, or how many entries an expectation's
	// answer allows.
	Got      string `json:"got,omitempty"`
	Revision int64  `json:"revision,omitempty"`
	Error    string `json:"error,omitempty"`
	// Matched are the statements that applied to a case, or that decided
	// the allowed and explicitly denied answers an expectation checks.
	Matched []StatementRef `json:"matched,omitempty"`
	// Missing are the listed entries whose answer is not the listed one;
	// Unexpected the entries an exact expectation does not list that are
	// allowed, outright or under conditions.
	Missing    []EntryDiff `json:"missing,omitempty"`
	Unexpected []EntryDiff `json:"unexpected,omitempty"`
}

// Message says, on one line, why a case did not pass; "" when it passed.
func (r *CaseResult) Message() string {
	switch {
	case r.Status == Failed && r.Kind != "":
		return fmt.Sprintf("%d missing, %d unexpected (revision %d)", len(r.Missing), len(r.Unexpected), r.Revision)
	case r.Status == Failed:
		return fmt.Sprintf("expected %s, got %s (revision %d)", r.Expect, r.Got, r.Revision)
	case r.Status == Errored:
		return r.Error
	}
	return ""
}

// Details lists, one a line, the entries on which a failed expectation
// and its answer differ.
func (r *CaseResult) Details() []string {
	var out []string
	for _, d := range r.Missing {
		out = append(out, "missing: "+d.String())
	}
	for _, d := range r.Unexpected {
		out = append(out, "unexpected: "+d.String())
	}
	return out
}

// A SuiteResult is the outcome of the cases of one test file.
type SuiteResult struct {
	File  string       `json:"file"`
	Cases []CaseResult `json:"cases"`
}

// Counts gives how many cases and expectations passed, failed and could
// not be decided or answered.
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

// Run decides every case of the suites, then answers their who_can and
// what_can expectations, in file order. It stops early, with ctx's error,
// when ctx ends.
func Run(ctx context.Context, suites []*Suite, src Source) ([]SuiteResult, error) {
	out := make([]SuiteResult, 0, len(suites))
	for _, s := range suites {
		var steps []func() CaseResult
		for _, c := range s.Cases {
			steps = append(steps, func() CaseResult { return runCase(ctx, c, src) })
		}
		for _, q := range s.WhoCan {
			steps = append(steps, func() CaseResult {
				got, err := src.WhoCan(ctx, q)
				return expectation(KindWhoCan, q.Name, &q.Expected, got, err, func(n string) string {
					return fmt.Sprintf("principal %q is not in the model", n)
				})
			})
		}
		for _, q := range s.WhatCan {
			steps = append(steps, func() CaseResult {
				got, err := src.WhatCan(ctx, q)
				return expectation(KindWhatCan, q.Name, &q.Expected, got, err, func(n string) string {
					return fmt.Sprintf("action %q cannot act on %q", n, q.On())
				})
			})
		}
		sr := SuiteResult{File: s.File, Cases: make([]CaseResult, 0, len(steps))}
		for _, step := range steps {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			sr.Cases = append(sr.Cases, step())
		}
		out = append(out, sr)
	}
	return out, nil
}

// expectation compares the answer of an access question with what it was
// expected to be; unknown says what is wrong with a listed entry the
// answer does not hold.
func expectation(kind, name string, e *Expected, got Answers, err error, unknown func(entry string) string) CaseResult {
	r := CaseResult{Name: name, Kind: kind, Match: e.match()}
	if err != nil {
		r.Status, r.Error = Errored, err.Error()
		return r
	}
	c := compare(e, got)
	if len(c.unknown) > 0 { // checks nothing, and covers nothing
		msgs := make([]string, len(c.unknown))
		for i, n := range c.unknown {
			msgs[i] = unknown(n)
		}
		r.Status, r.Error = Errored, strings.Join(msgs, "; ")
		return r
	}
	r.Revision, r.Matched = got.Revision, c.deciding
	r.Got = fmt.Sprintf("%d allowed, %d conditional", c.allowed, c.conditional)
	r.Missing, r.Unexpected = c.missing, c.unexpected
	r.Status = Passed
	if len(r.Missing)+len(r.Unexpected) > 0 {
		r.Status = Failed
	}
	return r
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
