package engine_test

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// updateGolden rewrites testdata/validate/*.golden. The flag is registered
// only if no other test file of the package has registered it.
var updateGolden = func() func() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
	return func() bool { return flag.Lookup("update").Value.String() == "true" }
}()

func validateCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load()
	require.NoError(t, err)
	return cat
}

// stmt builds a 2012-10-17 policy of one statement: the statement's '{' is
// at 1:41 and element i starts line i+2 at column 1.
func stmt(elems ...string) string {
	return "{\"Version\": \"2012-10-17\", \"Statement\": [{\n" + strings.Join(elems, ",\n") + "}]}"
}

const (
	allow   = `"Effect": "Allow"`
	anyRes  = `"Resource": "*"`
	getApp  = `"Action": "mobiletargeting:GetApp"`
	appARN  = `arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc123`
	poolARN = `arn:aws:sms-voice:us-east-1:111122223333:pool/pool-1`
)

type finding struct {
	code      engine.Code
	sev       engine.Severity
	line, col int
	msg       string // substring of Error()
}

func TestValidateFindings(t *testing.T) {
	t.Parallel()
	cat := validateCatalog(t)
	E, W := engine.SeverityError, engine.SeverityWarning
	tests := []struct {
		name string
		typ  engine.PolicyType
		doc  string
		opts engine.ValidateOptions
		want []finding
	}{
		{name: "unknown action", doc: stmt(allow, `"Action": "mobiletargeting:GetCampaignz"`, anyRes),
			want: []finding{{engine.CodeUnknownAction, E, 3, 11, `Statement[0]: Action: unknown action "mobiletargeting:GetCampaignz" (did you mean "mobiletargeting:GetCampaigns"?)`}}},
		{name: "pattern matching nothing", doc: stmt(allow, `"Action": ["mobiletargeting:GetApp", "mobiletargeting:Frob*"]`, anyRes),
			want: []finding{{engine.CodeUnknownAction, E, 3, 38, `Action[1]: action pattern "mobiletargeting:Frob*" matches no action of mobiletargeting`}}},
		{name: "other service", doc: stmt(allow, `"Action": ["s3:GetObject", "mobiletargetng:GetApp"]`, anyRes),
			want: []finding{
				{engine.CodeUnknownService, W, 3, 12, `action "s3:GetObject" is outside the services pdp decides (mobiletargeting and sms-voice) and has no effect here`},
				{engine.CodeUnknownService, W, 3, 28, `(did you mean "mobiletargeting"?)`}}},
		{name: "malformed action", doc: stmt(allow, `"Action": "mobiletargeting"`, anyRes),
			want: []finding{{engine.CodeInvalidValue, E, 3, 11, `Action must be "*" or "service:action", not "mobiletargeting"`}}},
		{name: "resource of another resource type", doc: stmt(allow, `"Action": "mobiletargeting:GetCampaigns"`, `"Resource": "`+appARN+`/campaigns/c1"`),
			want: []finding{{engine.CodeResourceMismatch, W, 4, 13, `Resource: "` + appARN + `/campaigns/c1" fits no resource type of mobiletargeting:GetCampaigns (it acts on app: "arn:${Partition}:mobiletargeting:${Region}:${Account}:apps/${AppId}")`}}},
		{name: "resource of no resource type", doc: stmt(allow, `"Action": "*"`, `"Resource": "arn:aws:mobiletargeting:us-east-1:111122223333:widgets/w1"`),
			want: []finding{{engine.CodeResourceMismatch, W, 4, 13, `fits no resource type of mobiletargeting`}}},
		{name: "resource of a service without actions here", doc: stmt(allow, getApp, `"Resource": ["`+appARN+`", "`+poolARN+`", "arn:aws:s3:::bucket/*"]`),
			want: []finding{
				{engine.CodeResourceMismatch, W, 4, 76, `Resource[1]: "` + poolARN + `" is a resource of service "sms-voice", on which none of the statement's actions acts; it matches nothing here`},
				{engine.CodeResourceMismatch, W, 4, 132, `Resource[2]: "arn:aws:s3:::bucket/*" is a resource of service "s3", on which none of the statement's actions acts`}}},
		{name: "resource not an ARN", doc: stmt(allow, getApp, `"Resource": ["*", "apps/abc123"]`),
			want: []finding{{engine.CodeInvalidValue, E, 4, 19, `Resource[1]: Resource[1] must be "*" or an ARN, not "apps/abc123"`}}},
		{name: "resource ARN too short", doc: stmt(allow, getApp, `"Resource": "arn:aws:mobiletargeting"`),
			want: []finding{{engine.CodeInvalidValue, E, 4, 13, `Resource must be an ARN of six parts`}}},
		{name: "ARN service in upper case", doc: stmt(allow, getApp, `"Resource": "arn:aws:MobileTargeting:us-east-1:111122223333:apps/abc123"`),
			want: []finding{{engine.CodeInvalidValue, E, 4, 13, `must be "mobiletargeting": ARNs are case-sensitive`}}},
		{name: "wildcard-only action with an ARN", doc: stmt(allow, `"Action": ["sms-voice:DescribePools", "sms-voice:DescribeAccountAttributes"]`, `"Resource": "`+poolARN+`"`),
			want: []finding{{engine.CodeWildcardOnlyAction, W, 3, 39, `Action[1]: sms-voice:DescribeAccountAttributes supports no resource type, so it needs "Resource": "*"`}}},
		{name: "unknown global key", doc: stmt(allow, getApp, anyRes, `"Condition": {"IpAddress": {"aws:SourceIpp": "203.0.113.0/24"}}`),
			want: []finding{{engine.CodeUnknownConditionKey, E, 5, 29, `Condition.IpAddress.aws:SourceIpp: unknown global condition key "aws:SourceIpp" (did you mean "aws:SourceIp"?)`}}},
		{name: "unknown key of a decided service", doc: stmt(allow, getApp, anyRes, `"Condition": {"StringEquals": {"mobiletargeting:AppId": "abc123"}}`),
			want: []finding{{engine.CodeUnknownConditionKey, E, 5, 32, `unknown condition key "mobiletargeting:AppId": mobiletargeting defines no such key`}}},
		{name: "tag key missing", doc: stmt(allow, getApp, anyRes, `"Condition": {"StringEquals": {"aws:ResourceTag/": "x"}}`),
			want: []finding{{engine.CodeUnknownConditionKey, E, 5, 32, `condition key "aws:ResourceTag/" needs a tag key after the "/"`}}},
		{name: "key of another service", doc: stmt(allow, getApp, anyRes, `"Condition": {"StringLike": {"s3:prefix": "home/*"}}`),
			want: []finding{{engine.CodeUnknownConditionKey, W, 5, 30, `condition key "s3:prefix" belongs to service "s3", which pdp does not decide`}}},
		{name: "key the action does not support", doc: stmt(allow, getApp, anyRes, `"Condition": {"StringEquals": {"aws:RequestTag/team": "red"}}`),
			want: []finding{{engine.CodeUnknownConditionKey, W, 5, 32, `condition key "aws:RequestTag/team" is not supported by mobiletargeting:GetApp, so its requests never carry it`}}},
		{name: "unknown operator", doc: stmt(allow, getApp, anyRes, `"Condition": {"StringEqualz": {"aws:username": "a", "aws:userid": "b"}}`),
			want: []finding{{engine.CodeUnknownOperator, E, 5, 15, `Condition.StringEqualz: unknown condition operator "StringEqualz" (did you mean "StringEquals"?)`}}},
		{name: "NullIfExists", doc: stmt(allow, getApp, anyRes, `"Condition": {"NullIfExists": {"aws:username": "true"}}`),
			want: []finding{{engine.CodeUnknownOperator, E, 5, 15, `unknown condition operator "NullIfExists" (Null takes no IfExists`}}},
		{name: "variable where the operator takes none", doc: stmt(allow, getApp, anyRes, `"Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "${aws:PrincipalTag/max}"}}`),
			want: []finding{{engine.CodeInvalidCondition, E, 5, 61, `NumericLessThan needs a number, not "${aws:PrincipalTag/max}"; it takes no policy variables, so this is literal text, which matches nothing`}}},
		{name: "variable in a Null value", doc: stmt(allow, getApp, anyRes, `"Condition": {"Null": {"aws:username": "${aws:PrincipalTag/absent}"}}`),
			want: []finding{{engine.CodeInvalidCondition, E, 5, 40, `Null needs "true" (the key is absent) or "false" (the key is present), not "${aws:PrincipalTag/absent}"; it takes no policy variables, so this is literal text, which matches nothing`}}},
		{name: "not a number", doc: stmt(allow, getApp, anyRes, `"Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "abc"}}`),
			want: []finding{{engine.CodeInvalidCondition, E, 5, 61, `Condition.NumericLessThan.aws:MultiFactorAuthAge: NumericLessThan needs a number, not "abc"`}}},
		{name: "not a date", doc: stmt(allow, getApp, anyRes, `"Condition": {"DateGreaterThan": {"aws:CurrentTime": ["2026-01-01", "yesterday"]}}`),
			want: []finding{{engine.CodeInvalidCondition, E, 5, 69, `Condition.DateGreaterThan.aws:CurrentTime[1]: DateGreaterThan needs a date`}}},
		{name: "not an address", doc: stmt(allow, getApp, anyRes, `"Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.300/8"}}`),
			want: []finding{{engine.CodeInvalidCondition, E, 5, 48, `NotIpAddress needs an IP address or CIDR block such as "203.0.113.0/24", not "10.0.0.300/8"`}}},
		{name: "not a bool", doc: stmt(allow, getApp, anyRes, `"Condition": {"Bool": {"aws:SecureTransport": "yes"}}`),
			want: []finding{{engine.CodeInvalidCondition, E, 5, 47, `Bool needs "true" or "false", not "yes"`}}},
		{name: "Null not a bool", doc: stmt(allow, getApp, anyRes, `"Condition": {"Null": {"aws:username": 1}}`),
			want: []finding{{engine.CodeInvalidCondition, E, 5, 40, `Null needs "true" (the key is absent) or "false" (the key is present), not "1"`}}},
		{name: "not base64", doc: stmt(allow, getApp, anyRes, `"Condition": {"BinaryEquals": {"aws:UserAgent": "not base64!"}}`),
			want: []finding{
				{engine.CodeOperatorKeyMismatch, W, 5, 32, `BinaryEquals does not suit "aws:UserAgent", a key of type String; use a String operator such as StringEquals`},
				{engine.CodeInvalidCondition, E, 5, 49, `BinaryEquals needs a base64-encoded value, not "not base64!"`}}},
		{name: "not an ARN", doc: stmt(allow, getApp, anyRes, `"Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/admin", "*", "role/admin"]}}`),
			want: []finding{{engine.CodeInvalidCondition, W, 5, 82, `Condition.ArnLike.aws:PrincipalArn[2]: ArnLike compares ARNs and needs one such as "arn:aws:iam::111122223333:role/admin", not "role/admin"`}}},
		{name: "no value", doc: stmt(allow, getApp, anyRes, `"Condition": {"StringEquals": {"aws:username": []}}`),
			want: []finding{{engine.CodeInvalidCondition, E, 5, 32, `StringEquals on "aws:username" lists no value; give at least one`}}},
		{name: "operator for another key type", doc: stmt(allow, getApp, anyRes, `"Condition": {"NumericEquals": {"aws:SourceIp": "1"}, "IpAddress": {"aws:username": "10.0.0.1"}, "DateLessThan": {"aws:userid": "2026-01-01"}}`),
			want: []finding{
				{engine.CodeOperatorKeyMismatch, W, 5, 33, `NumericEquals does not suit "aws:SourceIp", a key of type IPAddress; use IpAddress or NotIpAddress`},
				{engine.CodeOperatorKeyMismatch, W, 5, 69, `IpAddress does not suit "aws:username", a key of type String; use a String operator such as StringEquals`},
				{engine.CodeOperatorKeyMismatch, W, 5, 115, `DateLessThan does not suit "aws:userid", a key of type String`}}},
		{name: "IfExists with a set operator", doc: stmt(allow, `"Action": "mobiletargeting:TagResource"`, anyRes, `"Condition": {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "team"}}`),
			want: []finding{{engine.CodeMixedIfExists, W, 5, 15, `"ForAnyValue:StringEqualsIfExists" holds when the key is absent (IfExists), although ForAnyValue alone does not`}}},
		{name: "IfExists with ForAllValues", doc: stmt(allow, `"Action": "mobiletargeting:TagResource"`, anyRes, `"Condition": {"ForAllValues:StringLikeIfExists": {"aws:TagKeys": "team-*"}}`),
			want: []finding{{engine.CodeMixedIfExists, W, 5, 15, `"ForAllValues:StringLikeIfExists": IfExists has no effect here, since ForAllValues already holds when the key is absent`}}},
		{name: "variables in any segment of an Arn condition value", doc: stmt(allow, getApp, anyRes, `"Condition": {"ArnLike": {"aws:SourceArn": ["arn:aws:sns:${aws:RequestedRegion}:${aws:PrincipalAccount}:*", "arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}"]}, "ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:role/*"}}`)},
		{name: "set operator on a single-valued key", doc: stmt(allow, getApp, anyRes, `"Condition": {"ForAllValues:StringEquals": {"aws:username": "alice"}}`),
			want: []finding{{engine.CodeSetOperatorOnSingle, W, 5, 45, `ForAllValues on the single-valued key "aws:username" is overly permissive: it also holds when the key is absent; use "StringEquals"`}}},
		{name: "plain operator on a multivalued key", doc: stmt(allow, getApp, anyRes, `"Condition": {"StringLike": {"aws:PrincipalOrgPaths": "o-1/r-2/*"}}`),
			want: []finding{{engine.CodeSingleOperatorOnSet, W, 5, 30, `"aws:PrincipalOrgPaths" is multivalued (ArrayOfString); test it with "ForAnyValue:StringLike" or "ForAllValues:StringLike"`}}},
		{name: "variable in action and key", doc: stmt(allow, `"Action": "mobiletargeting:${aws:username}"`, anyRes, `"Condition": {"StringEquals": {"aws:PrincipalTag/${aws:username}": "x"}}`),
			want: []finding{
				{engine.CodeVariableNotAllowed, E, 3, 11, `Action cannot hold policy variables: IAM does not expand them in actions`},
				{engine.CodeVariableNotAllowed, E, 5, 32, `condition key "aws:PrincipalTag/${aws:username}" cannot hold a policy variable`}}},
		{name: "variable in a legacy policy", doc: `{"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "mobiletargeting:GetApp",
"Resource": "arn:aws:mobiletargeting:*:*:apps/${aws:username}"}}`,
			want: []finding{{engine.CodeVariableNotAllowed, W, 2, 13, `is literal text: the policy has Version "2008-10-17", which has no policy variables; add "Version": "2012-10-17"`}}},
		{name: "variable without Version", doc: `{"Statement": {"Effect": "Allow", "Action": "mobiletargeting:GetApp", "Resource": "*",
"Condition": {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}}}}`,
			want: []finding{
				{engine.CodeMissingElement, W, 0, 0, `Version: missing Version: the policy defaults to 2008-10-17, which has no policy variables; add "Version": "2012-10-17"`},
				{engine.CodeVariableNotAllowed, W, 2, 57, `"${aws:username}" is literal text: the policy has no Version (so 2008-10-17)`}}},
		{name: "malformed and unknown variables", doc: stmt(allow, getApp, `"Resource": ["arn:aws:mobiletargeting:*:*:apps/${aws:user name}", "arn:aws:mobiletargeting:*:*:apps/${aws:usernme}", "arn:aws:mobiletargeting:*:*:apps/${aws:TagKeys}"]`),
			want: []finding{
				{engine.CodeInvalidVariable, W, 4, 14, `malformed policy variable in "arn:aws:mobiletargeting:*:*:apps/${aws:user name}" (want ${key} or ${key, 'default'})`},
				{engine.CodeInvalidVariable, W, 4, 67, `policy variable ${aws:usernme} names no known condition key (did you mean "aws:username"?)`},
				{engine.CodeInvalidVariable, W, 4, 118, `policy variable ${aws:TagKeys} names a multivalued key (ArrayOfString)`}}},
		{name: "duplicate Sid", doc: `{"Version": "2012-10-17", "Statement": [
 {"Sid": "S1", "Effect": "Allow", "Action": "mobiletargeting:GetApp", "Resource": "*"},
 {"Sid": "S1", "Effect": "Deny", "Action": "mobiletargeting:DeleteApp", "Resource": "*"}]}`,
			want: []finding{{engine.CodeInvalidValue, E, 3, 2, `Statement[1] (Sid "S1"): Sid: duplicate Sid "S1" (first used by Statement[0])`}}},
		{name: "principals", typ: engine.ResourcePolicy, doc: stmt(allow, `"Principal": {"AWS": ["111122223333", "arn:aws:iam::111122223333:group/admins", "arn:aws:iam::*:root", "alice", "arn:aws:sts::111122223333:assumed-role/r/s", "${aws:userid}"]}`, getApp, anyRes),
			want: []finding{
				{engine.CodeInvalidValue, E, 3, 39, `Principal.AWS[1]: IAM groups cannot be principals`},
				{engine.CodeInvalidValue, E, 3, 81, `"arn:aws:iam::*:root": a principal cannot hold wildcards other than "*" alone`},
				{engine.CodeInvalidValue, E, 3, 104, `an AWS principal must be "*", a 12-digit account ID, or the ARN of an account root, IAM user or role, or STS session, not "alice"`},
				{engine.CodeVariableNotAllowed, E, 3, 159, `Principal.AWS[5] cannot hold policy variables`}}},
		{name: "Allow with NotPrincipal", typ: engine.ResourcePolicy, doc: stmt(allow, `"NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/admin"}`, getApp, anyRes),
			want: []finding{{engine.CodeAllowNotPrincipal, W, 3, 1, `NotPrincipal: Allow with NotPrincipal grants access to every principal not listed`}}},
		{name: "size quota", doc: stmt(allow, `"Action": "mobiletargeting:GetApp"`, `"Resource": "`+appARN+strings.Repeat("x", 2000)+`"`),
			opts: engine.ValidateOptions{Quota: engine.QuotaUserInline},
			want: []finding{{engine.CodeSizeQuota, E, 0, 0, `policy size 2,163 characters exceeds the 2,048 limit for inline policies of a user (white space not counted)`}}},
		{name: "redundant actions", doc: stmt(allow, `"Action": ["mobiletargeting:Get*", "mobiletargeting:GetApp", "sms-voice:DescribePools", "SMS-Voice:describepools"]`, anyRes),
			want: []finding{
				{engine.CodeRedundant, W, 3, 36, `Action[1]: "mobiletargeting:GetApp" is already covered by "mobiletargeting:Get*" (Action[0])`},
				{engine.CodeRedundant, W, 3, 89, `Action[3]: "SMS-Voice:describepools" is listed twice (also Action[2])`}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := engine.Parse([]byte(tc.doc), engine.ParseOptions{ID: "p", Type: tc.typ})
			require.NoError(t, err, "engine.Parse")
			checkFindings(t, engine.Validate(cat, doc, tc.opts), tc.want)

		})
	}
}

func checkFindings(t *testing.T, got engine.Errors, want []finding) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			assert.Fail(t, "missing finding", "%+v", want[i])
		case i >= len(want):
			assert.Fail(t, "unexpected finding", "%s %s %s", got[i].Severity, got[i].Code, got[i])
		default:
			g, w := got[i], want[i]
			assert.Equal(t, fmt.Sprintf("%s %s %d:%d", w.sev, w.code, w.line, w.col),
				fmt.Sprintf("%s %s %d:%d", g.Severity, g.Code, g.Line, g.Col), "finding %d: %s", i, g)
			assert.Contains(t, g.Error(), w.msg, "finding %d", i)
		}
	}
}

// TestValidateTooManyFindings checks the limit of 100 findings, and that the
// TOO_MANY_ERRORS finding is an error when an error was left out.
func TestValidateTooManyFindings(t *testing.T) {
	t.Parallel()
	cat := validateCatalog(t)
	tests := []struct {
		name    string
		second  string // the action of a statement after one with 150 duplicates (warnings)
		wantSev engine.Severity
	}{
		{"warnings only", "mobiletargeting:GetApp", engine.SeverityWarning},
		{"an error left out", "mobiletargeting:Nope", engine.SeverityError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			acts := strings.Repeat(`"mobiletargeting:GetApp", `, 150) + `"mobiletargeting:GetApp"`
			src := stmt(allow, `"Action": [`+acts+`]`, anyRes+`}, {`+allow, `"Action": `+strconv.Quote(tc.second), anyRes)
			doc, err := engine.Parse([]byte(src), engine.ParseOptions{})
			require.NoError(t, err)
			got := engine.Validate(cat, doc, engine.ValidateOptions{})
			require.Len(t, got, 101, "findings")
			assert.Equal(t, engine.CodeTooManyErrors, got[0].Code, "the first finding: %v", got[0])
			assert.Equal(t, tc.wantSev, got[0].Severity, "the first finding: %v", got[0])
		})
	}
}

// TestValidateClean checks that realistic, correct policies draw no finding.
func TestValidateClean(t *testing.T) {
	t.Parallel()
	cat := validateCatalog(t)
	tests := []struct {
		name string
		typ  engine.PolicyType
		doc  string
	}{
		{"campaign manager", engine.IdentityPolicy, `{"Version": "2012-10-17", "Statement": [
  {"Sid": "ReadApps", "Effect": "Allow", "Action": ["mobiletargeting:GetApp", "mobiletargeting:GetCampaigns", "mobiletargeting:GetSegment*"],
   "Resource": ["arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc123", "arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc123/*"]},
  {"Sid": "WriteOwnCampaigns", "Effect": "Allow", "Action": "mobiletargeting:UpdateCampaign",
   "Resource": "arn:aws:mobiletargeting:*:111122223333:apps/abc123/campaigns/*",
   "Condition": {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}, "Bool": {"aws:MultiFactorAuthPresent": "true"}}},
  {"Sid": "Tagging", "Effect": "Allow", "Action": "mobiletargeting:TagResource", "Resource": "arn:aws:mobiletargeting:*:111122223333:apps/*",
   "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["owner", "team"]}, "StringEquals": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"}}}]}`},
		{"sms sender", engine.IdentityPolicy, `{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["sms-voice:SendTextMessage", "sms-voice:DescribePhoneNumbers"],
   "Resource": ["arn:aws:sms-voice:us-west-2:111122223333:phone-number/*", "arn:aws:sms-voice:us-west-2:111122223333:pool/${aws:PrincipalTag/pool}"]},
  {"Effect": "Allow", "Action": ["sms-voice:DescribeAccountAttributes", "sms-voice:DescribeSpendLimits"], "Resource": "*"},
  {"Effect": "Deny", "Action": "sms-voice:*", "Resource": "*",
   "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}, "NumericGreaterThan": {"aws:EpochTime": "1767225600"},
                 "DateGreaterThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}, "Null": {"aws:SourceVpce": "true"}}}]}`},
		{"cross-account app access", engine.ResourcePolicy, `{"Version": "2012-10-17", "Statement": [
  {"Sid": "Partner", "Effect": "Allow",
   "Principal": {"AWS": ["444455556666", "arn:aws:iam::444455556666:role/partner/CampaignBot", "arn:aws:sts::444455556666:assumed-role/Ops/alice"]},
   "Action": ["mobiletargeting:SendMessages", "mobiletargeting:GetEndpoint"],
   "Resource": "arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc123/*",
   "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::444455556666:role/partner/*", "aws:SourceVpcArn": "arn:aws:ec2:*:*:vpc/*"},
                 "StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}},
  {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "mobiletargeting:Delete*", "Resource": "*"}]}`},
		{"region guard", engine.SCPPolicy, `{"Version": "2012-10-17", "Statement": [
  {"Sid": "DenyOutsideRegions", "Effect": "Deny", "NotAction": ["iam:*", "organizations:*", "sts:*"], "Resource": "*",
   "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]},
                 "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrgAdmin"}}},
  {"Effect": "Allow", "Action": "*", "Resource": "*"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, err := engine.Parse([]byte(tc.doc), engine.ParseOptions{ID: tc.name, Type: tc.typ})
			require.NoError(t, err, "engine.Parse")
			var findings []string
			for _, e := range engine.Validate(cat, doc, engine.ValidateOptions{Quota: engine.QuotaManaged}) {
				if tc.typ == engine.SCPPolicy && e.Code == engine.CodeUnknownService {
					continue // NotAction naming other services is how SCPs exempt them
				}
				findings = append(findings, fmt.Sprintf("%s %s %s", e.Severity, e.Code, e))
			}
			assert.Empty(t, findings)
		})
	}
}

// corpusCase is the part of a conformance case that TestValidateCorpus reads.
type corpusCase struct {
	ID       string            `json:"id"`
	Identity []json.RawMessage `json:"identity_policies"`
	Resource json.RawMessage   `json:"resource_policy"`
	Boundary json.RawMessage   `json:"permissions_boundary"`
	Session  []json.RawMessage `json:"session_policies"`
	SCPs     []json.RawMessage `json:"scps"`
	Request  struct {
		Principal, Action, Resource string
		Context                     map[string]json.RawMessage
	} `json:"request"`
}

// documents parses the case's policies, named "<id>/<type>[<i>]".
func (c *corpusCase) documents(t *testing.T) []*engine.Document {
	t.Helper()
	var docs []*engine.Document
	add := func(typ engine.PolicyType, raws ...json.RawMessage) {
		for i, raw := range raws {
			if len(raw) == 0 || string(raw) == "null" {
				continue
			}
			id := fmt.Sprintf("%s/%s[%d]", c.ID, typ, i)
			doc, err := engine.Parse(raw, engine.ParseOptions{ID: id, Type: typ})
			require.NoError(t, err, id)
			docs = append(docs, doc)
		}
	}
	add(engine.IdentityPolicy, c.Identity...)
	add(engine.ResourcePolicy, c.Resource)
	add(engine.BoundaryPolicy, c.Boundary)
	add(engine.SessionPolicy, c.Session...)
	add(engine.SCPPolicy, c.SCPs...)
	return docs
}

// corpusDuplicateSids are the corpus policies that reuse a Sid, which IAM
// documents as an error ("the Sid value must be unique within a JSON
// policy"); Parse accepts them and the engine decides them regardless.
var corpusDuplicateSids = map[string]string{
	"gen-p-00180/scp[0]":      `Statements 0 and 1 are both Sid "S49"`,
	"gen-p-00274/identity[1]": `Statements 0 and 2 are both Sid "S99"`,
}

// TestValidateCorpus validates every policy of the public corpus: none may
// draw an error, except duplicate Sids listed above and the two findings
// the generator provokes on purpose. It pairs actions with ARNs of other
// resource types, and wildcard-only actions with ARNs, as distractors that
// must not match; IAM accepts such policies, and Validate reports them as
// RESOURCE_MISMATCH and WILDCARD_ONLY_ACTION. For those the test checks
// the claim instead: what was flagged cannot grant the case's request (or,
// for a wildcard-only action, a request for it on "*").
func TestValidateCorpus(t *testing.T) {
	t.Parallel()
	cat := validateCatalog(t)
	f, err := os.Open("testdata/public.jsonl")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	exempt := map[engine.Code]int{}
	for sc.Scan() {
		var c corpusCase
		require.NoError(t, json.Unmarshal(sc.Bytes(), &c))
		for _, doc := range c.documents(t) {
			for _, e := range engine.Validate(cat, doc, engine.ValidateOptions{Quota: engine.QuotaManaged}) {
				switch {
				case e.Code == engine.CodeResourceMismatch || e.Code == engine.CodeWildcardOnlyAction:
					// IAM accepts these policies, so the findings are
					// warnings; the statement must still be inert.
					exempt[e.Code]++
					checkInert(t, cat, &c, doc, e)
				case e.Severity != engine.SeverityError:
				case e.Code == engine.CodeInvalidValue && e.Field == "Sid" && corpusDuplicateSids[e.PolicyID] != "":
					exempt[e.Code]++
				default:
					assert.Fail(t, "error finding in the public corpus", "%s %s", e.Code, e)
				}
			}
		}
	}
	require.NoError(t, sc.Err())
	t.Logf("exempt errors by code: %v", exempt)
}

// checkInert grants what finding e flagged, alone, and checks that it does
// not allow the request it claims it cannot match.
func checkInert(t *testing.T, cat *catalog.Catalog, c *corpusCase, doc *engine.Document, e *engine.PolicyError) {
	t.Helper()
	st := doc.Statements[e.Statement]
	action, resource, arns := c.Request.Action, c.Request.Resource, []string{}
	if e.Code == engine.CodeWildcardOnlyAction {
		action, resource = listValue(st.Action, e.Field, "Action"), "*"
		for _, r := range st.Resource {
			arns = append(arns, r.Value)
		}
	} else {
		a, ok := cat.Action(action)
		if !ok || !coveredBy(a, st.Action) {
			return // the statement is not about the requested action
		}
		arns = append(arns, listValue(st.Resource, e.Field, "Resource"))
	}
	src, _ := json.Marshal(map[string]any{"Version": "2012-10-17",
		"Statement": map[string]any{"Effect": "Allow", "Action": action, "Resource": arns}})
	grant, err := engine.Parse(src, engine.ParseOptions{ID: "grant"})
	require.NoError(t, err)
	ps, err := engine.Compile(cat, grant)
	require.NoError(t, err)
	req := &engine.Request{Principal: c.Request.Principal, Action: action, Resource: resource,
		ResourceAccount: strings.Split(c.Request.Principal, ":")[4], Context: requestContext(c.Request.Context)}
	assert.NotEqual(t, engine.Allow, engine.Evaluate(&engine.Policies{Identity: ps}, req), "%s: %s\nyet %s allows %s on %s", c.ID, e, arns, action, resource)
}

// listValue returns the element of list that field ("Action", "Action[2]")
// names.
func listValue(list []engine.Text, field, name string) string {
	i := 0
	fmt.Sscanf(strings.TrimPrefix(field, name), "[%d]", &i)
	return list[i].Value
}

func coveredBy(a *catalog.Action, patterns []engine.Text) bool {
	for _, p := range patterns {
		if a.MatchedBy(p.Value) {
			return true
		}
	}
	return false
}

func requestContext(m map[string]json.RawMessage) *engine.Context {
	ctx := engine.NewContext(len(m))
	for k, raw := range m {
		var s string
		var list []string
		switch {
		case json.Unmarshal(raw, &s) == nil:
			ctx.Set(k, s)
		case json.Unmarshal(raw, &list) == nil:
			ctx.SetMulti(k, list)
		default:
			ctx.Set(k, string(raw))
		}
	}
	return ctx
}

// TestValidateGolden validates testdata/validate/<type>-<name>.json and
// compares the findings, one "<severity> <code> <Error()>" line each, with
// <type>-<name>.golden; -update rewrites the golden files.
func TestValidateGolden(t *testing.T) {
	t.Parallel()
	cat := validateCatalog(t)
	types := map[string]engine.PolicyType{"identity": engine.IdentityPolicy, "resource": engine.ResourcePolicy,
		"boundary": engine.BoundaryPolicy, "session": engine.SessionPolicy, "scp": engine.SCPPolicy}
	files, err := filepath.Glob("testdata/validate/*.json")
	require.NoError(t, err, "golden inputs")
	require.NotEmpty(t, files, "golden inputs")
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			typ, ok := types[strings.SplitN(name, "-", 2)[0]]
			require.True(t, ok, "file name %q does not start with a policy type", name)
			src, err := os.ReadFile(file)
			require.NoError(t, err)
			doc, err := engine.Parse(src, engine.ParseOptions{ID: name, Type: typ})
			require.NoError(t, err)
			var b strings.Builder
			for _, e := range engine.Validate(cat, doc, engine.ValidateOptions{Quota: engine.QuotaManaged}) {
				fmt.Fprintf(&b, "%s %s %s\n", e.Severity, e.Code, e)
			}
			golden := strings.TrimSuffix(file, ".json") + ".golden"
			if updateGolden() {
				require.NoError(t, os.WriteFile(golden, []byte(b.String()), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			assert.Equal(t, string(want), b.String(), "findings differ from %s (run with -update to accept)", golden)
		})
	}
}
