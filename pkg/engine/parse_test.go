package engine

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		typ      PolicyType
		doc      string
		wantCode Code
		wantLine int
		wantCol  int
		wantMsg  string // substring of Error()
	}{
		{"not json", IdentityPolicy, "{\n  \"Statement\": [,]\n}", CodeSyntax, 2, 17, "invalid JSON"},
		{"not an object", IdentityPolicy, `[1]`, CodeWrongType, 1, 1, "must be a JSON object"},
		{"missing statement", IdentityPolicy, `{"Version":"2012-10-17"}`, CodeMissingElement, 1, 1, "missing Statement"},
		{"bad version", IdentityPolicy, `{"Version":"2012-10-18","Statement":[]}`, CodeInvalidValue, 1, 12, `Version must be "2012-10-17" or "2008-10-17"`},
		{"unknown element", IdentityPolicy, "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\n \"Conditon\":{}}]}", CodeUnknownElement, 2, 2, `Statement[0]: Conditon: unknown element "Conditon" (did you mean "Condition"?)`},
		{"duplicate key", IdentityPolicy, `{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}`, CodeSyntax, 1, 32, `duplicate key "Effect"`},
		{"missing effect", IdentityPolicy, `{"Statement":[{"Sid":"S1","Action":"*","Resource":"*"}]}`, CodeMissingElement, 1, 15, `Statement[0] (Sid "S1"): Effect: missing Effect`},
		{"bad effect", IdentityPolicy, `{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`, CodeInvalidValue, 1, 25, `Effect must be "Allow" or "Deny", not "allow"`},
		{"action and notaction", IdentityPolicy, `{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"x","Resource":"*"}]}`, CodeConflictingElements, 1, 33, "both Action and NotAction"},
		{"no action", IdentityPolicy, `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, CodeMissingElement, 1, 15, "missing Action or NotAction"},
		{"no resource", IdentityPolicy, `{"Statement":[{"Effect":"Allow","Action":"*"}]}`, CodeMissingElement, 1, 15, "missing Resource or NotResource"},
		{"action number", IdentityPolicy, `{"Statement":[{"Effect":"Allow","Action":[1],"Resource":"*"}]}`, CodeWrongType, 1, 43, "Action[0] must be a string, not number"},
		{"empty action list", IdentityPolicy, `{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, CodeInvalidValue, 1, 42, "at least one value"},
		{"principal in identity policy", IdentityPolicy, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, CodePrincipalNotAllowed, 1, 33, "Principal is not allowed in identity policies"},
		{"principal in scp", SCPPolicy, `{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"1"},"Action":"*","Resource":"*"}]}`, CodePrincipalNotAllowed, 1, 32, "NotPrincipal is not allowed"},
		{"resource policy without principal", ResourcePolicy, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, CodeMissingElement, 1, 15, "missing Principal or NotPrincipal"},
		{"principal bad type", ResourcePolicy, `{"Statement":[{"Effect":"Allow","Principal":{"IAM":"x"},"Action":"*","Resource":"*"}]}`, CodeInvalidValue, 1, 46, `unknown principal type "IAM"`},
		{"principal string", ResourcePolicy, `{"Statement":[{"Effect":"Allow","Principal":"111122223333","Action":"*","Resource":"*"}]}`, CodeInvalidValue, 1, 45, `Principal must be "*" or an object`},
		{"condition not object", IdentityPolicy, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":[]}]}`, CodeWrongType, 1, 73, "Condition must be an object"},
		{"condition value object", IdentityPolicy, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":{"a":1}}}}]}`, CodeWrongType, 1, 94, "a condition value must be a string, number or boolean, not object"},
		{"statement not object", IdentityPolicy, `{"Statement":["x"]}`, CodeWrongType, 1, 15, "a statement must be an object"},
		{"statement string", IdentityPolicy, `{"Statement":"x"}`, CodeWrongType, 1, 14, "Statement must be an object or an array"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.doc), ParseOptions{ID: "p1", Type: tc.typ})
			var es Errors
			require.True(t, errors.As(err, &es), "error %v is not an Errors", err)
			assert.True(t, slices.ContainsFunc(es, func(e *PolicyError) bool {
				return e.Code == tc.wantCode && e.Line == tc.wantLine && e.Col == tc.wantCol && strings.Contains(e.Error(), tc.wantMsg)
			}), "no %s at %d:%d containing %q; got:\n%v", tc.wantCode, tc.wantLine, tc.wantCol, tc.wantMsg, es)
		})
	}
}

func TestParseDocument(t *testing.T) {
	t.Parallel()
	src := `{
  "Version": "2012-10-17",
  "Id": "campaigns",
  "Statement": {
    "Sid": "Read",
    "Effect": "Allow",
    "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:role/r"]},
    "NotAction": "mobiletargeting:Delete*",
    "Resource": ["arn:aws:mobiletargeting:*:111122223333:apps/*"],
    "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}, "Bool": {"aws:SecureTransport": true}}
  }
}`
	doc, err := Parse([]byte(src), ParseOptions{ID: "rp", Type: ResourcePolicy})
	require.NoError(t, err)
	require.Equal(t, VersionCurrent, doc.Version, "document Version")
	require.Equal(t, "campaigns", doc.IDElement, "document Id")
	require.Len(t, doc.Statements, 1, "document statements")
	st := doc.Statements[0]
	acts, not := st.Actions()
	assert.True(t, not, "NotAction")
	if assert.Len(t, acts, 1, "NotAction") {
		assert.Equal(t, "mobiletargeting:Delete*", acts[0].Value, "NotAction")
		assert.Equal(t, Pos{8, 18}, acts[0].Pos, "position of NotAction")
	}
	if assert.NotNil(t, st.Principal, "Principal") && assert.Len(t, st.Principal.Entries, 2, "Principal entries") {
		assert.Equal(t, Pos{7, 43}, st.Principal.Entries[1].Pos, "position of the second Principal entry")
	}
	if assert.Len(t, st.Conditions, 2, "Conditions") {
		assert.Equal(t, "3600", st.Conditions[0].Values[0].Text, "first condition %+v", st.Conditions[0])
		assert.Equal(t, KindNumber, st.Conditions[0].Values[0].Kind, "first condition %+v", st.Conditions[0])
		assert.Equal(t, "true", st.Conditions[1].Values[0].Text, "second condition %+v", st.Conditions[1])
		assert.Equal(t, KindBool, st.Conditions[1].Values[0].Kind, "second condition %+v", st.Conditions[1])
	}
	again, err := Parse(doc.Format(), ParseOptions{ID: "rp", Type: ResourcePolicy})
	require.NoError(t, err, "round trip:\n%s", doc.Format())
	assert.Equal(t, string(doc.Format()), string(again.Format()), "round trip")
	assert.Equal(t, len(strings.Join(strings.Fields(src), "")), doc.Size, "Size")
}

func TestPolicyErrorFormat(t *testing.T) {
	t.Parallel()
	e := &PolicyError{PolicyID: "campaign-admins", Statement: 2, Sid: "ReadCampaigns", Field: "Action[1]", Line: 14, Col: 9,
		Msg: `unknown action "mobiletargeting:GetCampaignz"`}
	want := `policy "campaign-admins" 14:9: Statement[2] (Sid "ReadCampaigns"): Action[1]: unknown action "mobiletargeting:GetCampaignz"`
	assert.Equal(t, want, e.Error(), "Error()")
	assert.Equal(t, "Statement[2].Action[1]", e.Path(), "Path()")
	doc := &PolicyError{Statement: -1, Field: "Version", Msg: "m"}
	assert.Equal(t, "Version: m", doc.Error(), "document-level Error()")
	assert.True(t, (Errors{}).Err() == nil, "empty Errors.Err() is not nil")
	assert.True(t, (Errors{{Severity: SeverityWarning}}).Err() == nil, "warnings alone are an error")
}

// TestParseKeepsNoViewOfInput checks that neither a parsed document nor a
// parse error changes when the caller reuses its buffer afterwards: Parse
// reads the buffer without copying it and must copy all it keeps.
func TestParseKeepsNoViewOfInput(t *testing.T) {
	t.Parallel()
	docs := corpusPolicies(t, 200)
	docs = append(docs,
		[]byte(`{"Version":"2012-10-17","Id":"doc-id","Statement":[{"Sid":"Named","Effect":"Allow","Actoin":"x","Resource":"*"}]}`),
		[]byte(`{"Version":"2012-10-17","Statement":{"Sid":"Cond","Effect":"Deny","Action":"mobiletargeting:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"StringLike":{"aws:PrincipalTag/team":["a*","b"]},"Nope":{"k":"v"}}}}`),
		[]byte(`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root"]},"Action":"sms-voice:*","NotResource":"arn:aws:sms-voice:*:*:pool/p"}}`),
		[]byte(`{"Version":"1999","Statement":{"Sid":"x","Effect":"Maybe"}}`),
	)
	for i, src := range docs {
		for _, pt := range []PolicyType{IdentityPolicy, ResourcePolicy} {
			opts := ParseOptions{ID: "p", Type: pt}
			doc, err := Parse(src, opts)
			checkKeepsNoView(t, src, opts, doc, err)
			if t.Failed() {
				t.Fatalf("document %d:\n%s", i, src)
			}
		}
	}
}

// checkKeepsNoView parses a copy of src, overwrites the copy, and asserts
// that the result still equals doc and err, which were parsed from src.
func checkKeepsNoView(t *testing.T, src []byte, opts ParseOptions, doc *Document, err error) {
	t.Helper()
	buf := slices.Clone(src)
	got, gotErr := Parse(buf, opts)
	for i := range buf {
		buf[i] = '#'
	}
	if err != nil {
		require.Error(t, gotErr, "the same input parsed once with an error and once without")
		assert.Equal(t, err.Error(), gotErr.Error(), "errors after the input buffer was overwritten")
		return
	}
	require.NoError(t, gotErr)
	assert.Equal(t, string(doc.Format()), string(got.Format()), "document after the input buffer was overwritten")
	assert.Equal(t, doc, got, "document after the input buffer was overwritten")
}
