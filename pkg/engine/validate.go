package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// QuotaKind picks the AWS size quota a document must fit (characters without
// white space).
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
type QuotaKind uint8

// The AWS policy size quotas. The inline quotas are for all of a user's,
// role's or group's inline policies together; Validate sees one document and
// checks it alone.
const (
	QuotaNone        QuotaKind = iota // no size check
	QuotaManaged                      // managed policy: 6,144
	QuotaUserInline                   // inline policies of a user: 2,048
	QuotaRoleInline                   // inline policies of a role: 10,240
	QuotaGroupInline                  // inline policies of a group: 5,120
	QuotaSCP                          // service control policy: 5,120
)

// limit returns the quota in characters and what it applies to; 0 for
// QuotaNone.
func (q QuotaKind) limit() (int, string) {
	switch q {
	case QuotaManaged:
		return 6144, "managed policies"
	case QuotaUserInline:
		return 2048, "inline policies of a user"
	case QuotaRoleInline:
		return 10240, "inline policies of a role"
	case QuotaGroupInline:
		return 5120, "inline policies of a group"
	case QuotaSCP:
		return 5120, "service control policies"
	}
	return 0, ""
}

// ValidateOptions tunes Validate.
type ValidateOptions struct {
	Quota QuotaKind // the size quota the document must fit; QuotaNone skips the check
}

// Validate checks a parsed document against the service catalog and reports
// every finding (up to maxErrors), sorted by position, in the manner of IAM
// Access Analyzer policy validation: errors for what cannot work as written
// (an unknown action, a resource no action acts on, a value of the wrong type
// for its operator), warnings for what works but is likely a mistake. Parse
// has already checked the grammar; Validate checks meaning. The result's Err
// is nil when there are warnings only.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
func Validate(cat *catalog.Catalog, doc *Document, opts ValidateOptions) Errors {
	v := &validator{cat: cat, doc: doc}
	v.document(opts)
	sids := make(map[string]int)
	for _, st := range doc.Statements {
		v.statement(st, sids)
	}
	sortErrors(v.errs)
	return v.errs
}

type validator struct {
	cat  *catalog.Catalog
	doc  *Document
	errs Errors
	// tooMany is the TOO_MANY_ERRORS finding once the limit is reached; it
	// is an error if any finding left out is one, so that Errors.Err still
	// tells whether the policy is usable.
	tooMany *PolicyError
}

// add records a finding about st (nil for the document) at field.
func (v *validator) add(st *Statement, field string, at Pos, sev Severity, code Code, format string, args ...any) {
	if len(v.errs) == maxErrors {
		v.tooMany = &PolicyError{PolicyID: v.doc.ID, Statement: -1, Code: CodeTooManyErrors, Severity: SeverityWarning,
			Msg: fmt.Sprintf("more than %d problems; stopped reporting", maxErrors)}
		v.errs = append(v.errs, v.tooMany)
	}
	if v.tooMany != nil {
		if sev == SeverityError {
			v.tooMany.Severity = SeverityError
		}
		return
	}
	e := &PolicyError{PolicyID: v.doc.ID, Statement: -1, Field: field, Line: at.Line, Col: at.Col,
		Code: code, Severity: sev, Msg: fmt.Sprintf(format, args...)}
	if st != nil {
		e.Statement, e.Sid = st.Index, st.Sid
	}
	v.errs = append(v.errs, e)
}

func (v *validator) errorf(st *Statement, field string, at Pos, code Code, format string, args ...any) {
	v.add(st, field, at, SeverityError, code, format, args...)
}

func (v *validator) warnf(st *Statement, field string, at Pos, code Code, format string, args ...any) {
	v.add(st, field, at, SeverityWarning, code, format, args...)
}

// document checks what belongs to the whole document: Version and size.
func (v *validator) document(opts ValidateOptions) {
	if v.doc.Version == "" {
		v.warnf(nil, "Version", Pos{}, CodeMissingElement,
			`missing Version: the policy defaults to %s, which has no policy variables; add "Version": %q`,
			VersionLegacy, VersionCurrent)
	}
	if limit, what := opts.Quota.limit(); limit > 0 && v.doc.Size > limit {
		v.errorf(nil, "", Pos{}, CodeSizeQuota,
			"policy size %s characters exceeds the %s limit for %s (white space not counted)",
			thousands(v.doc.Size), thousands(limit), what)
	}
}

func (v *validator) statement(st *Statement, sids map[string]int) {
	if st.Sid != "" {
		if first, dup := sids[st.Sid]; dup {
			v.errorf(st, "Sid", st.Pos, CodeInvalidValue,
				"duplicate Sid %q (first used by Statement[%d]); Sids must be unique within a policy", st.Sid, first)
		} else {
			sids[st.Sid] = st.Index
		}
	}
	acts := v.actions(st)
	v.resources(st, acts)
	v.principals(st)
	v.conditions(st, acts)
}

// elemField names element i of a list of n values: "Action" for a lone
// value, "Action[1]" otherwise.
func elemField(name string, i, n int) string {
	if n == 1 {
		return name
	}
	return name + "[" + strconv.Itoa(i) + "]"
}

// variablesIn checks the policy variables of a value where IAM expands them
// (Resource, NotResource and condition values): malformed ones, unknown
// keys, and any variable at all in a document without Version 2012-10-17,
// where it is literal text.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
func (v *validator) variablesIn(st *Statement, field string, t Text) {
	if !strings.Contains(t.Value, "${") {
		return
	}
	if !v.doc.Variables() {
		version := "Version " + strconv.Quote(v.doc.Version)
		if v.doc.Version == "" {
			version = "no Version (so " + VersionLegacy + ")"
		}
		v.warnf(st, field, t.Pos, CodeVariableNotAllowed,
			`%q is literal text: the policy has %s, which has no policy variables; add "Version": %q`,
			t.Value, version, VersionCurrent)
		return
	}
	s, malformed := t.Value, false
	for i := strings.Index(s, "${"); i >= 0; i = nextVariable(s, i) {
		pv, _, ok := parseVariable(s[i:])
		if !ok && !malformed {
			malformed = true
			v.warnf(st, field, t.Pos, CodeInvalidVariable,
				"malformed policy variable in %q (want ${key} or ${key, 'default'}); IAM keeps it as literal text",
				t.Value)
		}
		if !ok {
			continue
		}
		if pv.literal != "" {
			continue
		}
		v.variableKey(st, field, t, pv)
	}
}

// nextVariable returns the index of the next "${" after the one at i, or -1.
func nextVariable(s string, i int) int {
	n := 2
	if _, m, ok := parseVariable(s[i:]); ok {
		n = m
	}
	j := strings.Index(s[i+n:], "${")
	if j < 0 {
		return -1
	}
	return i + n + j
}

// variableKey checks that a variable names a condition key that can have one
// value: a multivalued key never does, so the variable resolves to nothing.
func (v *validator) variableKey(st *Statement, field string, t Text, pv variable) {
	k, ok := v.cat.ConditionKey(pv.name)
	if !ok {
		v.warnf(st, field, t.Pos, CodeInvalidVariable,
			"policy variable ${%s} names no known condition key%s; it has no value in requests, so %q matches nothing",
			pv.name, suggestKey(v.cat, pv.name), t.Value)
		return
	}
	if k.Multivalued {
		v.warnf(st, field, t.Pos, CodeInvalidVariable,
			"policy variable ${%s} names a multivalued key (%s), which has no single value to substitute",
			pv.name, k.Type)
	}
}

// thousands formats n with comma separators: 6144 → "6,144".
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
