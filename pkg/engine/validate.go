package engine

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

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
	v := validators.Get().(*validator)
	defer v.release()
	v.cat, v.doc = cat, doc
	v.actions, v.exact, v.same = v.actionsArr[:0], v.exactArr[:0], v.sameArr[:0]
	v.tried, v.entries = v.triedArr[:0], v.entriesArr[:0]
	if n := (cat.NumActions() + 63) / 64; n <= len(v.seenArr) {
		v.seen = v.seenArr[:n]
	} else {
		v.seen = make([]uint64, n)
	}
	v.document(opts)
	for i, st := range doc.Statements {
		v.sid(i, st)
		v.statement(st)
	}
	sortErrors(v.errs)
	return v.errs
}

// validators holds validators between calls of Validate: a validator is
// close to a kilobyte of scratch, which validating ten thousand policies
// would otherwise allocate ten thousand times. A validator in the pool
// holds nothing of the document it checked.
var validators = sync.Pool{New: func() any { return new(validator) }}

// release empties the validator and returns it to the pool.
func (v *validator) release() {
	*v = validator{}
	validators.Put(v)
}

type validator struct {
	cat  *catalog.Catalog
	doc  *Document
	errs Errors
	// tooMany is the TOO_MANY_ERRORS finding once the limit is reached; it
	// is an error if any finding left out is one, so that Errors.Err still
	// tells whether the policy is usable.
	tooMany *PolicyError
	// sids maps the Sids of the statements so far to the first statement
	// that has each, once a document has too many statements to search.
	sids map[string]int

	// Scratch reused by each statement in turn; see actionSet. The arrays
	// are their first storage, enough for most policies: a validator lives
	// on the stack.
	seen       []uint64 // catalog action IDs already in the statement's set
	actions    []*catalog.Action
	exact      []exactAction
	one        [1]*catalog.Action
	same       []*catalog.Action
	tried      []*catalog.ResourceType
	entries    []entryFacts
	seenArr    [8]uint64
	actionsArr [16]*catalog.Action
	exactArr   [8]exactAction
	sameArr    [16]*catalog.Action
	triedArr   [8]*catalog.ResourceType
	entriesArr [16]entryFacts
}

// A field names the part of a statement a finding is about, such as
// "Action[2]" or "Condition.StringEquals.aws:SourceIp". Findings are rare,
// so its text is built only when one is reported.
type field struct {
	name string    // the element: "Action", "Condition", "Version"
	sub  [2]string // the keys below it, nsub of them
	nsub int
	// i and n say that the field is value i of a list of n values; a lone
	// value (n == 1) gets no index.
	i, n int
}

// plain returns a field of a whole element, or of the statement when name is
// empty.
func plain(name string) field { return field{name: name, n: 1} }

// elem returns the field of value i of a list of n values of f.
func (f field) elem(i, n int) field {
	f.i, f.n = i, n
	return f
}

// child returns the field of key below f.
func (f field) child(key string) field {
	f.sub[f.nsub] = key
	f.nsub++
	return f
}

// String writes the field as PolicyError.Field does: "Action", "Action[1]",
// "Principal.AWS[0]", "Condition.Bool.aws:SecureTransport".
func (f field) String() string {
	if f.nsub == 0 && f.n == 1 {
		return f.name
	}
	var b strings.Builder
	b.WriteString(f.name)
	for _, s := range f.sub[:f.nsub] {
		b.WriteByte('.')
		b.WriteString(s)
	}
	if f.n != 1 {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(f.i))
		b.WriteByte(']')
	}
	return b.String()
}

// add records a finding about st (nil for the document) at field f.
func (v *validator) add(st *Statement, f field, at Pos, sev Severity, code Code, format string, args ...any) {
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
	e := &PolicyError{PolicyID: v.doc.ID, Statement: -1, Field: f.String(), Line: at.Line, Col: at.Col,
		Code: code, Severity: sev, Msg: fmt.Sprintf(format, args...)}
	if st != nil {
		e.Statement, e.Sid = st.Index, st.Sid
	}
	v.errs = append(v.errs, e)
}

func (v *validator) errorf(st *Statement, f field, at Pos, code Code, format string, args ...any) {
	v.add(st, f, at, SeverityError, code, format, args...)
}

func (v *validator) warnf(st *Statement, f field, at Pos, code Code, format string, args ...any) {
	v.add(st, f, at, SeverityWarning, code, format, args...)
}

// document checks what belongs to the whole document: Version and size.
func (v *validator) document(opts ValidateOptions) {
	if v.doc.Version == "" {
		v.warnf(nil, plain("Version"), Pos{}, CodeMissingElement,
			`missing Version: the policy defaults to %s, which has no policy variables; add "Version": %q`,
			VersionLegacy, VersionCurrent)
	}
	if limit, what := opts.Quota.limit(); limit > 0 && v.doc.Size > limit {
		v.errorf(nil, plain(""), Pos{}, CodeSizeQuota,
			"policy size %s characters exceeds the %s limit for %s (white space not counted)",
			thousands(v.doc.Size), thousands(limit), what)
	}
}

// sidSearchMax is how many statements a document may have before duplicate
// Sids are found with a map instead of a search of the earlier statements.
const sidSearchMax = 16

// sid reports the Sid of statement i if an earlier statement has it.
func (v *validator) sid(i int, st *Statement) {
	if st.Sid == "" {
		return
	}
	first := -1
	if len(v.doc.Statements) <= sidSearchMax {
		for _, prev := range v.doc.Statements[:i] {
			if prev.Sid == st.Sid {
				first = prev.Index
				break
			}
		}
	} else {
		if v.sids == nil {
			v.sids = make(map[string]int, len(v.doc.Statements))
		}
		if f, dup := v.sids[st.Sid]; dup {
			first = f
		} else {
			v.sids[st.Sid] = st.Index
		}
	}
	if first >= 0 {
		v.errorf(st, plain("Sid"), st.Pos, CodeInvalidValue,
			"duplicate Sid %q (first used by Statement[%d]); Sids must be unique within a policy", st.Sid, first)
	}
}

func (v *validator) statement(st *Statement) {
	acts := v.actionList(st)
	v.resources(st, &acts)
	v.principals(st)
	v.conditions(st, &acts)
}

// variablesIn checks the policy variables of a value where IAM expands them
// (Resource, NotResource and condition values): malformed ones, unknown
// keys, and any variable at all in a document without Version 2012-10-17,
// where it is literal text. It reports whether the value holds a variable
// that requests give a value to (well formed, not an escape such as ${*})
// in a document that has variables.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
func (v *validator) variablesIn(st *Statement, f field, t Text) bool {
	if !strings.Contains(t.Value, "${") {
		return false
	}
	if !v.doc.Variables() {
		version := "Version " + strconv.Quote(v.doc.Version)
		if v.doc.Version == "" {
			version = "no Version (so " + VersionLegacy + ")"
		}
		v.warnf(st, f, t.Pos, CodeVariableNotAllowed,
			`%q is literal text: the policy has %s, which has no policy variables; add "Version": %q`,
			t.Value, version, VersionCurrent)
		return false
	}
	s, malformed, found := t.Value, false, false
	for i := strings.Index(s, "${"); i >= 0; {
		pv, n, ok := scanVariable(s[i:])
		switch {
		case !ok:
			if !malformed {
				malformed = true
				v.warnf(st, f, t.Pos, CodeInvalidVariable,
					"malformed policy variable in %q (want ${key} or ${key, 'default'}); IAM keeps it as literal text",
					t.Value)
			}
			n = 2 // look for the next one inside it
		case pv.literal == "":
			found = true
			v.variableKey(st, f, t, pv)
		}
		j := strings.Index(s[i+n:], "${")
		if j < 0 {
			break
		}
		i += n + j
	}
	return found
}

// variableKey checks that a variable names a condition key that can have one
// value: a multivalued key never does, so the variable resolves to nothing.
func (v *validator) variableKey(st *Statement, f field, t Text, pv variable) {
	k, ok := v.cat.ConditionKey(pv.name)
	if !ok {
		v.warnf(st, f, t.Pos, CodeInvalidVariable,
			"policy variable ${%s} names no known condition key%s; it has no value in requests, so %q matches nothing",
			pv.name, suggestKey(v.cat, pv.name), t.Value)
		return
	}
	if k.Multivalued {
		v.warnf(st, f, t.Pos, CodeInvalidVariable,
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
