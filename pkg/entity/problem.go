package entity

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// A Problem is one finding about a Set or a bundle file: an error that
// makes it unusable, or a warning.
type Problem struct {
	File     string // the file the problem is in; "" when unknown
	Entity   string // e.g. `user "arn:aws:iam::111122223333:user/alice"`; "" for file-level problems
	Field    string // e.g. "managed_policies[1]" or `inline_policies["ReadOnly"]`
	Severity engine.Severity
	// Err says what is wrong. Inside a policy document it is an
	// *engine.PolicyError whose Line and Col are positions in File.
	Err error
}

// Error writes `<file>: <entity>: <field>: <message>`, leaving out what is
// unknown.
func (p *Problem) Error() string {
	parts := make([]string, 0, 4)
	for _, s := range []string{p.File, p.Entity, p.Field} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if p.Err != nil {
		parts = append(parts, p.Err.Error())
	}
	return strings.Join(parts, ": ")
}

// Unwrap returns Err, so that errors.As finds an *engine.PolicyError.
func (p *Problem) Unwrap() error { return p.Err }

// Problems is a list of findings in the order they were found: files in
// lexical order, entities in the order of the Set, then fields.
type Problems []*Problem

// Error joins the findings, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As and errors.Is look at each finding.
func (ps Problems) Unwrap() []error {
	out := make([]error, len(ps))
	for i, p := range ps {
		out[i] = p
	}
	return out
}

// Err returns the findings of SeverityError as an error, or a plain nil
// when there are none.
func (ps Problems) Err() error {
	_, errs := ps.split()
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// split separates warnings from errors, keeping the order of each.
func (ps Problems) split() (warnings, errs Problems) {
	for _, p := range ps {
		if p.Severity == engine.SeverityWarning {
			warnings = append(warnings, p)
		} else {
			errs = append(errs, p)
		}
	}
	return warnings, errs
}

// report collects problems about one entity at a time.
type report struct {
	probs Problems
}

// at returns a reporter for one entity.
func (r *report) at(file, entity string) *entityReport {
	return &entityReport{r: r, file: file, entity: entity}
}

// entityReport adds problems about one entity.
type entityReport struct {
	r            *report
	file, entity string
}

func (e *entityReport) add(field string, sev engine.Severity, err error) {
	e.r.probs = append(e.r.probs, &Problem{File: e.file, Entity: e.entity, Field: field, Severity: sev, Err: err})
}

// addIn adds an error found in another file than the entity's, such as a
// document file it references.
func (e *entityReport) addIn(file, field string, err error) {
	e.r.probs = append(e.r.probs, &Problem{File: file, Entity: e.entity, Field: field, Err: err})
}

// errorf adds an error about field.
func (e *entityReport) errorf(field, format string, args ...any) {
	e.add(field, engine.SeverityError, fmt.Errorf(format, args...))
}

// warnf adds a warning about field.
func (e *entityReport) warnf(field, format string, args ...any) {
	e.add(field, engine.SeverityWarning, fmt.Errorf(format, args...))
}

// policy adds the findings of Parse or Validate about the document that d
// describes, with positions moved to d's file (or dropped when the text
// was converted from YAML).
func (e *entityReport) policy(d docOrigin, err error) {
	var pes engine.Errors
	if !errors.As(err, &pes) {
		e.r.probs = append(e.r.probs, &Problem{File: d.file, Entity: e.entity, Field: d.field, Err: err})
		return
	}
	for _, pe := range pes {
		e.r.probs = append(e.r.probs, &Problem{File: d.file, Entity: e.entity, Field: d.field,
			Severity: pe.Severity, Err: d.move(pe)})
	}
}

// move returns a copy of pe with its position in the file the document was
// read from.
func (d docOrigin) move(pe *engine.PolicyError) *engine.PolicyError {
	c := *pe
	switch {
	case d.converted:
		c.Line, c.Col = 0, 0
	case d.line > 0 && c.Line > 0:
		if c.Line == 1 {
			c.Col += d.col - 1
		}
		c.Line += d.line - 1
	}
	return &c
}
