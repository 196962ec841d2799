package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Code is a stable, machine-readable name for one kind of policy problem.
// Codes are part of the API: clients match on them, so they never change.
type Code string

// Codes of the problems Parse, Validate and Compile report.
const (
	CodeSyntax              Code = "SYNTAX"                  // the text is not JSON
	CodeUnknownElement      Code = "UNKNOWN_ELEMENT"         // an element IAM does not define
	CodeWrongType           Code = "WRONG_TYPE"              // an element of the wrong JSON type
	CodeMissingElement      Code = "MISSING_ELEMENT"         // a required element is absent
	CodeConflictingElements Code = "CONFLICTING_ELEMENTS"    // Action and NotAction, etc.
	CodeInvalidValue        Code = "INVALID_VALUE"           // a value outside what IAM accepts
	CodePrincipalNotAllowed Code = "PRINCIPAL_NOT_ALLOWED"   // Principal in a policy that takes none
	CodePrincipalRequired   Code = "PRINCIPAL_REQUIRED"      // resource policy statement without Principal
	CodeUnknownAction       Code = "UNKNOWN_ACTION"          // no action of the service has this name
	CodeUnknownService      Code = "UNKNOWN_SERVICE"         // an action prefix pdp does not decide
	CodeResourceMismatch    Code = "RESOURCE_MISMATCH"       // an ARN fits no resource type of the actions
	CodeWildcardOnlyAction  Code = "WILDCARD_ONLY_ACTION"    // an action with no resource type used with an ARN
	CodeUnknownConditionKey Code = "UNKNOWN_CONDITION_KEY"   // a key neither global nor of the service
	CodeUnknownOperator     Code = "UNKNOWN_OPERATOR"        // a condition operator IAM does not define
	CodeInvalidCondition    Code = "INVALID_CONDITION"       // a value of the wrong type for its operator
	CodeOperatorKeyMismatch Code = "OPERATOR_KEY_MISMATCH"   // an operator not meant for the key's type
	CodeInvalidVariable     Code = "INVALID_VARIABLE"        // a malformed policy variable
	CodeVariableNotAllowed  Code = "VARIABLE_NOT_ALLOWED"    // a variable where IAM does not expand it
	CodeSizeQuota           Code = "SIZE_QUOTA"              // the document is over the AWS size quota
	CodeRedundant           Code = "REDUNDANT"               // something that has no effect
	CodeMixedIfExists       Code = "IFEXISTS_WITH_SET"       // ...IfExists with ForAllValues/ForAnyValue
	CodeSetOperatorOnSingle Code = "SET_OPERATOR_SINGLE_KEY" // ForAllValues/ForAnyValue on a single-valued key
	CodeSingleOperatorOnSet Code = "SINGLE_OPERATOR_SET_KEY" // a single-valued operator on a multivalued key
	CodeTooManyErrors       Code = "TOO_MANY_ERRORS"         // reporting stopped at the limit
)

// Codes of Validate's findings, added after the first set.
const (
	CodeAllowNotPrincipal Code = "ALLOW_WITH_NOT_PRINCIPAL" // Allow with NotPrincipal grants to everyone else
)

// Severity tells whether a finding makes a policy unusable (SeverityError)
// or only suspicious (SeverityWarning), in the manner of IAM Access Analyzer
// policy validation.
type Severity uint8

// Severities, most severe first.
const (
	SeverityError Severity = iota
	SeverityWarning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// A PolicyError is one problem in one policy document. Line and Col are
// 1-based, and zero when the problem has no single position in the text.
type PolicyError struct {
	PolicyID  string
	Statement int    // index into Statement; -1 for document-level problems
	Sid       string // the statement's Sid, if it has one
	Field     string // path inside the statement, e.g. "Condition.IpAddress.aws:SourceIp"
	Line, Col int
	Code      Code
	Severity  Severity
	Msg       string
}

// Error writes `policy "<id>" <line>:<col>: Statement[<i>] (Sid "<sid>"):
// <field>: <msg>`, leaving out what is unknown.
func (e *PolicyError) Error() string {
	var b strings.Builder
	if e.PolicyID != "" {
		b.WriteString("policy ")
		b.WriteString(strconv.Quote(e.PolicyID))
	}
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:%d", e.Line, e.Col)
	}
	if e.Statement >= 0 {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		fmt.Fprintf(&b, "Statement[%d]", e.Statement)
		if e.Sid != "" {
			fmt.Fprintf(&b, " (Sid %q)", e.Sid)
		}
	}
	if e.Field != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Field)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Path gives the JSON path of the problem alone, e.g. "Statement[2].Action[1]".
func (e *PolicyError) Path() string {
	switch {
	case e.Statement < 0:
		return e.Field
	case e.Field == "":
		return fmt.Sprintf("Statement[%d]", e.Statement)
	default:
		return fmt.Sprintf("Statement[%d].%s", e.Statement, e.Field)
	}
}

// Errors is a list of policy problems sorted by policy, line and column.
type Errors []*PolicyError

// Error joins the messages, one per line.
func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Err returns es as an error, or a plain nil when es holds no problem of
// SeverityError. Warnings alone are not an error.
func (es Errors) Err() error {
	if !es.HasErrors() {
		return nil
	}
	return es
}

// HasErrors reports whether any finding has SeverityError.
func (es Errors) HasErrors() bool {
	return slices.ContainsFunc(es, func(e *PolicyError) bool { return e.Severity == SeverityError })
}

// Unwrap lets errors.As find a *PolicyError inside Errors.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sortErrors orders findings by policy, position, statement and path so that
// output is stable whatever order the checks ran in.
func sortErrors(es Errors) {
	slices.SortStableFunc(es, func(a, b *PolicyError) int {
		return cmp.Or(
			cmp.Compare(a.PolicyID, b.PolicyID),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Statement, b.Statement),
			cmp.Compare(a.Field, b.Field),
		)
	})
}
