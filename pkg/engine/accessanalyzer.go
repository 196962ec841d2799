package engine

import (
	"strconv"
	"strings"
)

// Findings in the terms of IAM Access Analyzer policy validation: the items
// of a ValidatePolicy response's "findings", so that tools written for
// Access Analyzer read pdp's findings unchanged. docs/access-analyzer-findings.md
// lists the mapping with the reason for every choice.
//
// https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ValidatePolicyFinding.html

// Access Analyzer finding types.
const (
	FindingError           = "ERROR"
	FindingSecurityWarning = "SECURITY_WARNING"
	FindingWarning         = "WARNING"
	FindingSuggestion      = "SUGGESTION"
)

// PDPIssuePrefix starts the issue codes of checks Access Analyzer does not
// have, so that they never collide with one of its codes.
const PDPIssuePrefix = "PDP_"

const (
	aaChecksURL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"
	pdpCodesURL = "https://github.com/pdp-dev/pdp/blob/main/docs/access-analyzer-findings.md"
)

// An AccessAnalyzerFinding is one ValidatePolicy finding.
type AccessAnalyzerFinding struct {
	FindingType    string                   `json:"findingType"`
	IssueCode      string                   `json:"issueCode"`
	FindingDetails string                   `json:"findingDetails"`
	LearnMoreLink  string                   `json:"learnMoreLink"`
	Locations      []AccessAnalyzerLocation `json:"locations"`
}

// An AccessAnalyzerLocation is where a finding is: the JSON path of the
// element and the span of its text.
type AccessAnalyzerLocation struct {
	Path []AccessAnalyzerPathElement `json:"path"`
	Span AccessAnalyzerSpan          `json:"span"`
}

// An AccessAnalyzerPathElement is one step of a path: exactly one of Index
// (an array element), Key (an object key itself) or Value (the value of an
// object key) is set.
type AccessAnalyzerPathElement struct {
	Index *int    `json:"index,omitempty"`
	Key   *string `json:"key,omitempty"`
	Value *string `json:"value,omitempty"`
}

// An AccessAnalyzerSpan runs from the first character of an element's text
// to just past its last.
type AccessAnalyzerSpan struct {
	Start AccessAnalyzerPosition `json:"start"`
	End   AccessAnalyzerPosition `json:"end"`
}

// An AccessAnalyzerPosition is a place in the policy text. As in Access
// Analyzer, Line starts at 1 and Column and Offset at 0; Column and Offset
// count characters (Unicode code points), not bytes.
type AccessAnalyzerPosition struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Offset int `json:"offset"`
}

// An aaRule maps the findings of one pdp Code, optionally narrowed to some
// elements or a severity, to an Access Analyzer check. The table in
// docs/access-analyzer-findings.md has one row per rule.
type aaRule struct {
	code Code
	// when narrows the rule; nil matches every finding of the code.
	when        func(f *aaFacts) bool
	issue       string // Access Analyzer issue code, or PDP_…
	findingType string // the type Access Analyzer gives the check
	anchor      string // the check's anchor on the reference page; "" for PDP_ codes
}

// aaFacts are what the rules look at: the finding, its element (the first
// part of Field), the operator of a Condition finding, the last key of its
// field, and the policy type.
type aaFacts struct {
	e        *PolicyError
	element  string
	operator string
	key      string
	typ      PolicyType
}

func elementIs(names ...string) func(*aaFacts) bool {
	return func(f *aaFacts) bool {
		for _, n := range names {
			if f.element == n {
				return true
			}
		}
		return false
	}
}

func severityIs(s Severity) func(*aaFacts) bool {
	return func(f *aaFacts) bool { return f.e.Severity == s }
}

// operatorFamily is the family of a Condition finding's operator, parsed
// from its field; ok is false for other findings and unknown operators.
func (f *aaFacts) operatorFamily() (operator, bool) {
	if f.operator == "" {
		return operator{}, false
	}
	return parseOperator(f.operator)
}

func familyIs(fam opFamily) func(*aaFacts) bool {
	return func(f *aaFacts) bool {
		op, ok := f.operatorFamily()
		return ok && op.fam == fam
	}
}

var principalTypeNames = map[string]bool{"AWS": true, "Service": true, "Federated": true, "CanonicalUser": true}

// aaRules in order: the first rule whose code and condition match decides.
var aaRules = []aaRule{
	{code: CodeSyntax, issue: "JSON_SYNTAX_ERROR", findingType: FindingError, anchor: "error-json-syntax-error"},
	{code: CodeUnknownElement, issue: "INVALID_POLICY_ELEMENT", findingType: FindingError, anchor: "error-invalid-policy-element"},
	{code: CodeWrongType, issue: "DATA_TYPE_MISMATCH", findingType: FindingError, anchor: "error-data-type-mismatch"},
	{code: CodeMissingElement, when: elementIs("Version"), issue: "MISSING_VERSION", findingType: FindingWarning, anchor: "general-warning-missing-version"},
	{code: CodeMissingElement, when: elementIs("Statement"), issue: "MISSING_STATEMENT", findingType: FindingError, anchor: "error-missing-statement"},
	{code: CodeMissingElement, when: elementIs("Effect"), issue: "MISSING_EFFECT", findingType: FindingError, anchor: "error-missing-effect"},
	{code: CodeMissingElement, when: elementIs("Action", "NotAction"), issue: "MISSING_ACTION", findingType: FindingError, anchor: "error-missing-action"},
	{code: CodeMissingElement, when: elementIs("Resource", "NotResource"), issue: "MISSING_RESOURCE", findingType: FindingError, anchor: "error-missing-resource"},
	{code: CodeMissingElement, when: elementIs("Principal", "NotPrincipal"), issue: "MISSING_PRINCIPAL", findingType: FindingError, anchor: "error-missing-principal"},
	{code: CodeConflictingElements, issue: "UNSUPPORTED_ELEMENT_COMBINATION", findingType: FindingError, anchor: "error-unsupported-element-combination"},
	{code: CodeInvalidValue, when: elementIs("Version"), issue: "INVALID_VERSION", findingType: FindingError, anchor: "error-invalid-version"},
	{code: CodeInvalidValue, when: elementIs("Effect"), issue: "INVALID_EFFECT", findingType: FindingError, anchor: "error-invalid-effect"},
	{code: CodeInvalidValue, when: elementIs("Sid"), issue: "UNIQUE_SIDS_REQUIRED", findingType: FindingError, anchor: "error-unique-sids-required"},
	{code: CodeInvalidValue, when: elementIs("Action", "NotAction"), issue: "INVALID_ACTION", findingType: FindingError, anchor: "error-invalid-action"},
	{code: CodeInvalidValue, when: elementIs("Resource", "NotResource"), issue: "INVALID_ARN_RESOURCE", findingType: FindingError, anchor: "error-invalid-arn-resource"},
	{code: CodeInvalidValue, when: func(f *aaFacts) bool {
		return (f.element == "Principal" || f.element == "NotPrincipal") && f.key != "" && !principalTypeNames[f.key]
	}, issue: "INVALID_PRINCIPAL_KEY", findingType: FindingError, anchor: "error-invalid-principal-key"},
	{code: CodeInvalidValue, when: elementIs("Principal", "NotPrincipal"), issue: "INVALID_PRINCIPAL_FORMAT", findingType: FindingError, anchor: "error-invalid-principal-format"},
	{code: CodeInvalidValue, when: elementIs("Condition"), issue: "EMPTY_OBJECT_CONDITION", findingType: FindingSuggestion, anchor: "suggestion-empty-object-condition"},
	{code: CodePrincipalNotAllowed, issue: "UNSUPPORTED_PRINCIPAL", findingType: FindingError, anchor: "error-unsupported-principal"},
	{code: CodeUnknownAction, issue: "INVALID_ACTION", findingType: FindingError, anchor: "error-invalid-action"},
	{code: CodeUnknownService, issue: PDPIssuePrefix + "UNKNOWN_SERVICE", findingType: FindingWarning},
	{code: CodeResourceMismatch, issue: "INVALID_ARN_RESOURCE", findingType: FindingError, anchor: "error-invalid-arn-resource"},
	{code: CodeWildcardOnlyAction, issue: PDPIssuePrefix + "WILDCARD_ONLY_ACTION", findingType: FindingWarning},
	{code: CodeUnknownConditionKey, when: func(f *aaFacts) bool {
		prefix, _, ok := strings.Cut(f.key, ":")
		return !ok || prefix == ""
	}, issue: "INVALID_CONDITION_KEY_FORMAT", findingType: FindingError, anchor: "error-invalid-condition-key-format"},
	{code: CodeUnknownConditionKey, when: severityIs(SeverityWarning), issue: "UNSUPPORTED_ACTION_FOR_CONDITION_KEY", findingType: FindingError, anchor: "error-unsupported-action-for-condition-key"},
	{code: CodeUnknownConditionKey, when: func(f *aaFacts) bool {
		return strings.HasPrefix(strings.ToLower(f.key), "aws:")
	}, issue: "INVALID_GLOBAL_CONDITION_KEY", findingType: FindingError, anchor: "error-invalid-global-condition-key"},
	{code: CodeUnknownConditionKey, issue: "INVALID_SERVICE_CONDITION_KEY", findingType: FindingError, anchor: "error-invalid-service-condition-key"},
	{code: CodeUnknownOperator, when: func(f *aaFacts) bool {
		return strings.HasSuffix(f.operator, "NullIfExists")
	}, issue: "NULL_WITH_IF_EXISTS", findingType: FindingError, anchor: "error-null-with-if-exists"},
	{code: CodeUnknownOperator, issue: "INVALID_CONDITION_OPERATOR", findingType: FindingError, anchor: "error-invalid-condition-operator"},
	{code: CodeInvalidCondition, when: familyIs(famNumeric), issue: "TYPE_MISMATCH_NUMBER", findingType: FindingWarning, anchor: "general-warning-type-mismatch-number"},
	{code: CodeInvalidCondition, when: familyIs(famDate), issue: "TYPE_MISMATCH_DATE", findingType: FindingWarning, anchor: "general-warning-type-mismatch-date"},
	{code: CodeInvalidCondition, when: familyIs(famIP), issue: "TYPE_MISMATCH_IP_RANGE", findingType: FindingWarning, anchor: "general-warning-type-mismatch-ip-range"},
	{code: CodeInvalidCondition, when: familyIs(famBool), issue: "TYPE_MISMATCH_BOOLEAN", findingType: FindingWarning, anchor: "general-warning-type-mismatch-boolean"},
	{code: CodeInvalidCondition, issue: PDPIssuePrefix + "INVALID_CONDITION", findingType: FindingWarning},
	{code: CodeOperatorKeyMismatch, issue: "TYPE_MISMATCH", findingType: FindingWarning, anchor: "general-warning-type-mismatch"},
	{code: CodeInvalidVariable, issue: PDPIssuePrefix + "INVALID_VARIABLE", findingType: FindingWarning},
	{code: CodeVariableNotAllowed, when: severityIs(SeverityWarning), issue: "VARIABLE_UNSUPPORTED_IN_VERSION", findingType: FindingError, anchor: "error-variable-unsupported-in-version"},
	{code: CodeVariableNotAllowed, issue: "VARIABLE_UNSUPPORTED_IN_ELEMENT", findingType: FindingError, anchor: "error-variable-unsupported-in-element"},
	{code: CodeSizeQuota, when: func(f *aaFacts) bool { return f.typ == SCPPolicy },
		issue: "POLICY_SIZE_EXCEEDS_SCP_QUOTA", findingType: FindingError, anchor: "error-policy-size-exceeds-scp-quota"},
	{code: CodeSizeQuota, issue: "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", findingType: FindingWarning, anchor: "general-warning-policy-size-exceeds-identity-policy-quota"},
	{code: CodeRedundant, when: elementIs("Action", "NotAction"), issue: "REDUNDANT_ACTION", findingType: FindingSuggestion, anchor: "suggestion-redundant-action"},
	{code: CodeMixedIfExists, issue: PDPIssuePrefix + "IFEXISTS_WITH_SET_OPERATOR", findingType: FindingWarning},
	{code: CodeSetOperatorOnSingle, when: func(f *aaFacts) bool {
		op, ok := f.operatorFamily()
		return ok && op.set == setForAll
	}, issue: "FORALLVALUES_WITH_SINGLE_VALUED_KEY", findingType: FindingSecurityWarning, anchor: "security-warning-forallvalues-with-single-valued-key"},
	{code: CodeSetOperatorOnSingle, issue: PDPIssuePrefix + "FORANYVALUE_WITH_SINGLE_VALUED_KEY", findingType: FindingWarning},
	{code: CodeSingleOperatorOnSet, issue: "MISSING_QUALIFIER", findingType: FindingError, anchor: "error-missing-qualifier"},
	{code: CodeAllowNotPrincipal, issue: "ALLOW_WITH_NOT_PRINCIPAL", findingType: FindingSecurityWarning, anchor: "security-warning-allow-with-not-principal"},
	{code: CodeTooManyErrors, issue: PDPIssuePrefix + "TOO_MANY_FINDINGS", findingType: FindingWarning},
}

// AccessAnalyzerIssue gives the Access Analyzer issue code of a finding, the
// finding type to report and the page that explains the check. A finding no
// rule covers is reported as PDP_<Code>, linked to the list of pdp codes.
//
// The type is Access Analyzer's for the check, except that it follows pdp's
// severity where the two differ: a pdp error is always ERROR (pdp refuses
// the document), and a pdp warning is never ERROR (the document is usable)
// but WARNING where Access Analyzer calls the check an error.
func AccessAnalyzerIssue(e *PolicyError, typ PolicyType) (findingType, issueCode, learnMore string) {
	f := aaFactsOf(e, typ)
	r, anchor := aaRule{issue: PDPIssuePrefix + string(e.Code), findingType: FindingWarning}, "pdp-codes"
	for i := range aaRules {
		if aaRules[i].code == e.Code && (aaRules[i].when == nil || aaRules[i].when(&f)) {
			r, anchor = aaRules[i], strings.ToLower(aaRules[i].issue) // the heading's anchor
			break
		}
	}
	findingType = r.findingType
	switch {
	case e.Severity == SeverityError:
		findingType = FindingError
	case findingType == FindingError:
		findingType = FindingWarning
	}
	learnMore = pdpCodesURL + "#" + anchor
	if r.anchor != "" {
		learnMore = aaChecksURL + "#access-analyzer-reference-policy-checks-" + r.anchor
	}
	return findingType, r.issue, learnMore
}

// aaFactsOf splits a finding's Field: "Condition.StringEquals.aws:username[1]"
// gives the element Condition, the operator StringEquals and the key
// aws:username; "Principal.AWS[0]" the element Principal and the key AWS.
func aaFactsOf(e *PolicyError, typ PolicyType) aaFacts {
	f := aaFacts{e: e, typ: typ}
	parts := strings.SplitN(e.Field, ".", 3)
	f.element = trimIndex(parts[0])
	switch {
	case f.element == "Condition" && len(parts) > 1:
		f.operator = trimIndex(parts[1])
		if len(parts) > 2 {
			f.key = trimIndex(parts[2])
		}
	case len(parts) > 1:
		f.key = trimIndex(strings.Join(parts[1:], "."))
	}
	return f
}

// trimIndex drops a trailing "[n]".
func trimIndex(s string) string {
	if i := strings.LastIndexByte(s, '['); i >= 0 && strings.HasSuffix(s, "]") {
		if _, err := strconv.Atoi(s[i+1 : len(s)-1]); err == nil {
			return s[:i]
		}
	}
	return s
}

// AccessAnalyzerFindings converts findings about the policy text src into
// Access Analyzer's form, in the same order. A finding with a position gets
// one location: its path and the span of the JSON value (or key) there; one
// without (a document-wide problem) gets none.
func AccessAnalyzerFindings(src []byte, typ PolicyType, es Errors) []AccessAnalyzerFinding {
	idx := newTextIndex(src)
	out := make([]AccessAnalyzerFinding, 0, len(es))
	for _, e := range es {
		ft, code, link := AccessAnalyzerIssue(e, typ)
		f := AccessAnalyzerFinding{FindingType: ft, IssueCode: code, FindingDetails: e.Msg, LearnMoreLink: link,
			Locations: []AccessAnalyzerLocation{}}
		if start, ok := idx.byteOffset(e.Line, e.Col); ok {
			f.Locations = append(f.Locations, AccessAnalyzerLocation{
				Path: aaPath(e),
				Span: AccessAnalyzerSpan{Start: idx.position(start), End: idx.position(jsonTokenEnd(src, start))},
			})
		}
		out = append(out, f)
	}
	return out
}

// namesKey reports whether a finding is about an object key itself (an
// element, operator or condition key name) rather than the value under it.
func namesKey(c Code) bool {
	switch c {
	case CodeUnknownElement, CodeUnknownOperator, CodeUnknownConditionKey, CodeMixedIfExists,
		CodeOperatorKeyMismatch, CodeSetOperatorOnSingle, CodeSingleOperatorOnSet:
		return true
	}
	return false
}

// aaPath writes a finding's place as Access Analyzer path elements:
// Statement[2].Condition.Bool.aws:SecureTransport becomes {"value":
// "Statement"}, {"index": 2}, {"value": "Condition"}, {"value": "Bool"},
// {"key": "aws:SecureTransport"} when the finding is about the key's name.
func aaPath(e *PolicyError) []AccessAnalyzerPathElement {
	var path []AccessAnalyzerPathElement
	value := func(s string) { path = append(path, AccessAnalyzerPathElement{Value: &s}) }
	index := func(i int) { path = append(path, AccessAnalyzerPathElement{Index: &i}) }
	if e.Statement >= 0 {
		value("Statement")
		index(e.Statement)
	}
	if e.Field == "" {
		return path
	}
	parts := strings.SplitN(e.Field, ".", 3)
	if trimIndex(parts[0]) != "Condition" && len(parts) == 3 {
		parts = []string{parts[0], parts[1] + "." + parts[2]}
	}
	for i, p := range parts {
		name, n := p, -1
		if t := trimIndex(p); t != p {
			name = t
			n, _ = strconv.Atoi(p[len(t)+1 : len(p)-1])
		}
		if i == len(parts)-1 && n < 0 && namesKey(e.Code) {
			path = append(path, AccessAnalyzerPathElement{Key: &name})
			continue
		}
		value(name)
		if n >= 0 {
			index(n)
		}
	}
	return path
}
