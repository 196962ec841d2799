package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// docCase is one request decided against a small policy setup, pinning a
// rule of the AWS documentation that the conformance corpora do not check.
type docCase struct {
	name      string
	rule      string // the documented rule, quoted or summarized
	doc       string // the page that states it
	identity  []string
	resource  string
	boundary  string
	session   []string
	principal string
	action    string
	res       string
	context   map[string]any // string or []string
	want      Decision
}

func (tc *docCase) run(t *testing.T) {
	t.Helper()
	cat := benchCatalog(t)
	p := &Policies{Identity: mustCompile(t, cat, IdentityPolicy, tc.identity...)}
	if tc.resource != "" {
		p.Resource = mustCompile(t, cat, ResourcePolicy, tc.resource)
	}
	if tc.boundary != "" {
		p.Boundary = mustCompile(t, cat, BoundaryPolicy, tc.boundary)
	}
	if len(tc.session) > 0 {
		p.Session = mustCompile(t, cat, SessionPolicy, tc.session...)
	}
	ctx := NewContext(len(tc.context))
	for k, v := range tc.context {
		switch v := v.(type) {
		case string:
			ctx.Set(k, v)
		case []string:
			ctx.SetMulti(k, v)
		}
	}
	principal := tc.principal
	if principal == "" {
		principal = "arn:aws:iam::111122223333:user/alice"
	}
	action := tc.action
	if action == "" {
		action = "mobiletargeting:GetSegment"
	}
	res := tc.res
	if res == "" {
		res = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc123/segments/seg1"
	}
	req := &Request{Principal: principal, Action: action, Resource: res, Context: ctx}
	assert.Equal(t, tc.want, Evaluate(p, req), "%s\n  rule: %s\n  doc:  %s", tc.name, tc.rule, tc.doc)
	got, ex := EvaluateExplain(p, req)
	assert.Equal(t, tc.want, got, "EvaluateExplain")
	assert.Equal(t, got, ex.Decision, "the explanation's decision")
}

const (
	docVariables   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"
	docOperators   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
	docMultivalued = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"
	docResource    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html"
	docNotResource = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html"
	docEvalBasics  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html"
	docBoundaries  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"
	docNotPrinc    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"
	docSession     = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session"
)

func allow(resource string, cond string) string {
	if cond != "" {
		cond = `,"Condition":` + cond
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:*","Resource":"` + resource + `"` + cond + `}]}`
}

// TestEvaluateDocumentedRules pins, one test each, the constructs that
// FORMAT.md lists as unchecked by the corpora, following the AWS pages.
func TestEvaluateDocumentedRules(t *testing.T) {
	t.Parallel()

	tests := []docCase{
		{
			name: "variables are literal text without Version 2012-10-17",
			rule: "policy variables work only with Version 2012-10-17; in earlier versions ${aws:username} is treated as a literal string",
			doc:  docVariables,
			identity: []string{`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:*",
				"Resource":"arn:aws:mobiletargeting:*:*:apps/${aws:username}/*"}]}`},
			res:     "arn:aws:mobiletargeting:us-east-1:111122223333:apps/alice/segments/s",
			context: map[string]any{"aws:username": "alice"},
			want:    ImplicitDeny,
		},
		{
			name: "no Version: the literal text itself matches",
			rule: "without Version 2012-10-17 the text ${aws:username} is an ordinary string",
			doc:  docVariables,
			identity: []string{`{"Statement":[{"Effect":"Allow","Action":"mobiletargeting:*",
				"Resource":"arn:aws:mobiletargeting:*:*:apps/${aws:username}/*"}]}`},
			res:  "arn:aws:mobiletargeting:us-east-1:111122223333:apps/${aws:username}/segments/s",
			want: Allow,
		},
		{
			name:     "variable without value in a negated operator",
			rule:     "inverted condition operators like StringNotEquals match against a missing (null) variable value",
			doc:      docVariables,
			identity: []string{allow("*", `{"StringNotEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`)},
			context:  map[string]any{"aws:ResourceTag/team": "growth"},
			want:     Allow,
		},
		{
			name: "variable without value inside NotResource",
			rule: "a Resource entry whose variable has no value matches nothing, so NotResource excludes nothing",
			doc:  docVariables,
			identity: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:*",
				"NotResource":"arn:aws:mobiletargeting:*:*:apps/${aws:PrincipalTag/app}/*"}]}`},
			want: Allow,
		},
		{
			name:     "${*} in StringEquals is a literal star",
			rule:     "${*}, ${?} and ${$} stand for the characters *, ? and $ wherever variables are allowed",
			doc:      docVariables,
			identity: []string{allow("*", `{"StringEquals":{"aws:ResourceTag/name":"a${*}b${?}${$}"}}`)},
			context:  map[string]any{"aws:ResourceTag/name": "a*b?$"},
			want:     Allow,
		},
		{
			name:     "${*} in StringEquals is not a wildcard",
			rule:     "${*} is a literal character, never a wildcard",
			doc:      docVariables,
			identity: []string{allow("*", `{"StringEquals":{"aws:ResourceTag/name":"a${*}"}}`)},
			context:  map[string]any{"aws:ResourceTag/name": "abc"},
			want:     ImplicitDeny,
		},
		{
			name:     "date operators compare epoch with ISO 8601 as instants",
			rule:     "date values may be ISO 8601 or epoch (UNIX) time; both name an instant",
			doc:      docOperators + "#Conditions_Date",
			identity: []string{allow("*", `{"DateGreaterThan":{"aws:CurrentTime":"1717200000"}}`)},
			context:  map[string]any{"aws:CurrentTime": "2024-06-01T00:00:01Z"},
			want:     Allow,
		},
		{
			name:     "date operators: ISO policy, epoch request",
			rule:     "2024-06-01T00:00:00Z is epoch 1717200000",
			doc:      docOperators + "#Conditions_Date",
			identity: []string{allow("*", `{"DateEquals":{"aws:EpochTime":"2024-06-01T00:00:00Z"}}`)},
			context:  map[string]any{"aws:EpochTime": "1717200000"},
			want:     Allow,
		},
		{
			name:     "IP prefix of length 0 covers every IPv4 address",
			rule:     "IpAddress takes CIDR notation; /0 is the whole address family",
			doc:      docOperators + "#Conditions_IPAddress",
			identity: []string{allow("*", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`)},
			context:  map[string]any{"aws:SourceIp": "198.51.100.9"},
			want:     Allow,
		},
		{
			name:     "IPv4 /0 does not cover IPv6",
			rule:     "an IPv4 block holds no IPv6 address",
			doc:      docOperators + "#Conditions_IPAddress",
			identity: []string{allow("*", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`)},
			context:  map[string]any{"aws:SourceIp": "2001:db8::1"},
			want:     ImplicitDeny,
		},
		{
			name:     "bare address in NotIpAddress against the other family",
			rule:     "an address without a prefix means /32 (IPv4); an IPv6 request is outside it, so NotIpAddress holds",
			doc:      docOperators + "#Conditions_IPAddress",
			identity: []string{allow("*", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.7"}}`)},
			context:  map[string]any{"aws:SourceIp": "2001:db8::7"},
			want:     Allow,
		},
		{
			name: "short ARN with trailing star in NotResource",
			rule: "a * ending an ARN segment can expand past colons, so arn:aws:mobiletargeting:* covers every Pinpoint resource and NotResource excludes them",
			doc:  docResource,
			identity: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:*",
				"NotResource":"arn:aws:mobiletargeting:*"}]}`},
			want: ImplicitDeny,
		},
		{
			name: "short ARN in NotResource leaves other services' resources",
			rule: "NotResource applies to every resource the list does not match",
			doc:  docNotResource,
			identity: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sms-voice:*",
				"NotResource":"arn:aws:mobiletargeting:*"}]}`},
			action: "sms-voice:DescribePools",
			res:    "arn:aws:sms-voice:us-east-1:111122223333:pool/p1",
			want:   Allow,
		},
		{
			name:     "wildcard inside the region segment does not cross a colon",
			rule:     "a * that is not the last character of a segment matches within that segment only",
			doc:      docResource,
			identity: []string{allow("arn:aws:mobiletargeting:u*1:apps/abc123/*", "")},
			want:     ImplicitDeny,
		},
		{
			name:     "wildcard ending the region segment expands",
			rule:     "if the * is the last character of a segment it can expand beyond colon boundaries",
			doc:      docResource,
			identity: []string{allow("arn:aws:mobiletargeting:us-*:apps/abc123/*", "")},
			want:     Allow,
		},
		{
			name:    "resource policy naming the session is not limited by the session policy",
			rule:    "permissions granted directly to a session by a resource-based policy are not limited by an implicit deny in a session policy",
			doc:     docSession,
			session: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sms-voice:*","Resource":"*"}]}`},
			resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
				"Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/analyst/s1"},"Action":"mobiletargeting:GetSegment","Resource":"*"}]}`,
			principal: "arn:aws:sts::111122223333:assumed-role/analyst/s1",
			want:      Allow,
		},
		{
			name:    "resource policy naming the role is limited by the session policy",
			rule:    "a resource-based policy that names the role ARN is limited by an implicit deny in a session policy",
			doc:     docEvalBasics,
			session: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sms-voice:*","Resource":"*"}]}`},
			resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
				"Principal":{"AWS":"arn:aws:iam::111122223333:role/analyst"},"Action":"mobiletargeting:GetSegment","Resource":"*"}]}`,
			principal: "arn:aws:sts::111122223333:assumed-role/analyst/s1",
			want:      ImplicitDeny,
		},
		{
			name:     "boundary and a resource policy granting everyone",
			rule:     `"*" names every principal, the user among them; a resource policy naming the user is not limited by the boundary's implicit deny`,
			doc:      docBoundaries,
			boundary: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sms-voice:*","Resource":"*"}]}`,
			resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"mobiletargeting:GetSegment","Resource":"*"}]}`,
			want:     Allow,
		},
		{
			name:     "boundary and a resource policy Allow with NotPrincipal",
			rule:     "Allow with NotPrincipal grants to every principal not listed, like naming the caller",
			doc:      docNotPrinc,
			boundary: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sms-voice:*","Resource":"*"}]}`,
			resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:root"},
				"Action":"mobiletargeting:GetSegment","Resource":"*"}]}`,
			want: Allow,
		},
		{
			name:     "Deny with NotPrincipal always applies to a principal with a boundary",
			rule:     "the NotPrincipal element with a Deny effect will always deny any IAM principal that has a permissions boundary attached, regardless of the values in NotPrincipal",
			doc:      docBoundaries,
			identity: []string{allow("*", "")},
			boundary: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:*","Resource":"*"}]}`,
			resource: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:root"]},
				"Action":"mobiletargeting:*","Resource":"*"}]}`,
			want: ExplicitDeny,
		},
		{
			name:     "single-valued operator on a multivalued key",
			rule:     "multivalued context keys need a set operator (ForAllValues or ForAnyValue); a plain operator does not match them",
			doc:      docMultivalued,
			identity: []string{allow("*", `{"StringEquals":{"aws:TagKeys":"team"}}`)},
			context:  map[string]any{"aws:TagKeys": []string{"team"}},
			want:     ImplicitDeny,
		},
		{
			name:     "negated single-valued operator on a multivalued key",
			rule:     "without a set operator a multivalued key is not compared, in either sense",
			doc:      docMultivalued,
			identity: []string{allow("*", `{"StringNotEquals":{"aws:TagKeys":"team"}}`)},
			context:  map[string]any{"aws:TagKeys": []string{"env"}},
			want:     ImplicitDeny,
		},
		{
			name:     "variable in a resource ARN resolves per request",
			rule:     "${aws:username} in Resource is replaced by the requester's user name",
			doc:      docVariables,
			identity: []string{allow("arn:aws:mobiletargeting:*:*:apps/${aws:username}/*", "")},
			res:      "arn:aws:mobiletargeting:us-east-1:111122223333:apps/alice/segments/s",
			context:  map[string]any{"aws:username": "alice"},
			want:     Allow,
		},
		{
			name:     "numeric value that is not a number",
			rule:     "a value that is not a number cannot be compared: neither NumericEquals nor NumericNotEquals holds",
			doc:      docOperators + "#Conditions_Numeric",
			identity: []string{allow("*", `{"NumericNotEquals":{"aws:MultiFactorAuthAge":"3600"}}`)},
			context:  map[string]any{"aws:MultiFactorAuthAge": "soon"},
			want:     ImplicitDeny,
		},
		{
			name:     "ARN operator on a value that is not an ARN",
			rule:     "ArnNotLike compares ARN fields; a value that is no ARN is not compared",
			doc:      docOperators + "#Conditions_ARN",
			identity: []string{allow("*", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:topic"}}`)},
			context:  map[string]any{"aws:SourceArn": "not-an-arn"},
			want:     ImplicitDeny,
		},
		{
			name:     "ArnEquals takes wildcards like ArnLike",
			rule:     "the ArnEquals and ArnLike condition operators behave identically",
			doc:      docOperators + "#Conditions_ARN",
			identity: []string{allow("*", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:111122223333:topic-?"}}`)},
			context:  map[string]any{"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic-a"},
			want:     Allow,
		},
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t)
		})
	}
}
