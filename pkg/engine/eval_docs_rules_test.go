package engine

import "testing"

// The tests of this file pin rules of the AWS documentation that the
// corpora do not decide, each case citing the page and quoting the sentence
// it follows.

// notPrincipalDeny is a resource policy that denies everything to every
// principal but those listed, and grants GetSegment to everyone, so that a
// caller the Deny exempts is allowed and any other is explicitly denied.
func notPrincipalDeny(listed ...string) string {
	list := ""
	for i, p := range listed {
		if i > 0 {
			list += ","
		}
		list += `"` + p + `"`
	}
	return `{"Version":"2012-10-17","Statement":[
		{"Effect":"Deny","NotPrincipal":{"AWS":[` + list + `]},"Action":"mobiletargeting:*","Resource":"*"},
		{"Effect":"Allow","Principal":"*","Action":"mobiletargeting:GetSegment","Resource":"*"}]}`
}

// TestEvaluateNotPrincipalNamesIdentities: a principal is exempt from a Deny
// with NotPrincipal only when the list names the principal itself; the
// account root entry the page recommends adding does not exempt the
// account's other users, and a role session needs its session ARN and its
// role ARN.
func TestEvaluateNotPrincipalNamesIdentities(t *testing.T) {
	t.Parallel()
	const (
		bobExample  = "In the following example, all principals except the user named Bob in AWS account 444455556666 are explicitly denied access to a resource."
		bobAccount  = "Note that as a best practice, the NotPrincipal element contains the ARN of both the user Bob and the AWS account that Bob belongs to (arn:aws:iam::444455556666:root)."
		roleExample = "In the following example, all principals except the assumed-role user named cross-account-audit-app in AWS account 444455556666 are explicitly denied access to a resource."
		roleMissing = "If the NotPrincipal element was missing the ARN of the role, the effect of the policy might be to explicitly deny access to the role."
		sessionName = "The assumed-role user is identified by the role session name that is specified when they assumed the role."
		exceptOnly  = "The NotPrincipal element uses \"Effect\":\"Deny\" to deny access to all principals except the principal specified in the NotPrincipal element."

		root4444 = "arn:aws:iam::444455556666:root"
		bob      = "arn:aws:iam::444455556666:user/Bob"
		role     = "arn:aws:iam::444455556666:role/cross-account-read-only-role"
		session  = "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app"
	)
	tests := []docCase{
		{
			name:      "cross account: the listed user is exempt",
			rule:      bobExample + " " + bobAccount,
			doc:       docNotPrinc,
			identity:  []string{allow("*", "")},
			resource:  notPrincipalDeny(bob, root4444),
			principal: bob,
			want:      Allow,
		},
		{
			name:      "cross account: another user of the listed account is denied",
			rule:      bobExample + " Listing the account ARN keeps the account itself from being denied; it does not name Dave.",
			doc:       docNotPrinc,
			identity:  []string{allow("*", "")},
			resource:  notPrincipalDeny(bob, root4444),
			principal: "arn:aws:iam::444455556666:user/Dave",
			want:      ExplicitDeny,
		},
		{
			name:     "same account: account root listed alone denies the account's users",
			rule:     exceptOnly + " The account ARN specifies the account root principal, not alice.",
			doc:      docNotPrinc,
			identity: []string{allow("*", "")},
			resource: notPrincipalDeny("arn:aws:iam::111122223333:root"),
			want:     ExplicitDeny,
		},
		{
			name:     "same account: account ID listed alone denies the account's users",
			rule:     exceptOnly + " A bare account ID is the same principal as the account root ARN.",
			doc:      docNotPrinc,
			identity: []string{allow("*", "")},
			resource: notPrincipalDeny("111122223333"),
			want:     ExplicitDeny,
		},
		{
			name:      "account root listed alone exempts the account root",
			rule:      exceptOnly,
			doc:       docNotPrinc,
			identity:  []string{allow("*", "")},
			resource:  notPrincipalDeny(root4444),
			principal: root4444,
			want:      Allow,
		},
		{
			name:     "same account: the listed user is exempt",
			rule:     bobExample + " The example works as intended in the same or a different account.",
			doc:      docNotPrinc,
			identity: []string{allow("*", "")},
			resource: notPrincipalDeny("arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:root"),
			want:     Allow,
		},
		{
			name:      "cross account: session listed with its role and account is exempt",
			rule:      roleExample,
			doc:       docNotPrinc,
			identity:  []string{allow("*", "")},
			resource:  notPrincipalDeny(session, role, root4444),
			principal: session,
			want:      Allow,
		},
		{
			name:      "cross account: session listed without its role is denied",
			rule:      roleMissing,
			doc:       docNotPrinc,
			identity:  []string{allow("*", "")},
			resource:  notPrincipalDeny(session, root4444),
			principal: session,
			want:      ExplicitDeny,
		},
		{
			name:      "cross account: the role's other sessions are denied",
			rule:      sessionName + " Listing the role ARN keeps the role from being denied; only the named session is exempt.",
			doc:       docNotPrinc,
			identity:  []string{allow("*", "")},
			resource:  notPrincipalDeny(session, role, root4444),
			principal: "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/other-app",
			want:      ExplicitDeny,
		},
		{
			name:      "same account: role and account listed without the session deny the session",
			rule:      sessionName,
			doc:       docNotPrinc,
			identity:  []string{allow("*", "")},
			resource:  notPrincipalDeny("arn:aws:iam::111122223333:role/analyst", "arn:aws:iam::111122223333:root"),
			principal: "arn:aws:sts::111122223333:assumed-role/analyst/s1",
			want:      ExplicitDeny,
		},
		{
			name:     "same account: session listed with its role (by its path) is exempt",
			rule:     roleExample + " The session ARN carries the role's name without the role's path.",
			doc:      docNotPrinc,
			identity: []string{allow("*", "")},
			resource: notPrincipalDeny("arn:aws:sts::111122223333:assumed-role/analyst/s1",
				"arn:aws:iam::111122223333:role/team/analyst", "arn:aws:iam::111122223333:root"),
			principal: "arn:aws:sts::111122223333:assumed-role/analyst/s1",
			want:      Allow,
		},
		{
			name:      "the role itself is exempt when its ARN is listed",
			rule:      exceptOnly,
			doc:       docNotPrinc,
			identity:  []string{allow("*", "")},
			resource:  notPrincipalDeny(role, root4444),
			principal: role,
			want:      Allow,
		},
	}
	runDocCases(t, tests)
}

// TestEvaluateIfExistsWithSetOperators: IfExists makes a condition true when
// its key is absent, with a set operator too; a key present with an empty
// set is present, so the set operator decides.
func TestEvaluateIfExistsWithSetOperators(t *testing.T) {
	t.Parallel()
	const (
		ifExists = `You can add IfExists to the end of any condition operator name except the Null condition—for example, StringLikeIfExists. ` +
			`You do this to say "If the policy key is present in the context of the request, process the key as specified in the policy. ` +
			`If the key is not present, evaluate the condition element as true."`
		emptySet = "If the key values in the request resolve to an empty data set (for example, an empty string), " +
			"a condition operator modified by ForAllValues returns true, and a condition operator modified by ForAnyValue returns false."
		absentFalse = "If the key that you specify in a policy condition is not present in the request context, the values do not match and the condition is false."
		docIfExists = docOperators + "#Conditions_IfExists"
	)
	tagKeys := func(op string) []string {
		return []string{allow("*", `{"`+op+`":{"aws:TagKeys":["team","env-*"]}}`)}
	}
	tests := []docCase{
		{
			name: "ForAnyValue:StringEqualsIfExists, key absent: true", rule: ifExists, doc: docIfExists,
			identity: tagKeys("ForAnyValue:StringEqualsIfExists"), want: Allow,
		},
		{
			name: "ForAnyValue:StringEquals, key absent: false", rule: absentFalse + " " + emptySet, doc: docOperators,
			identity: tagKeys("ForAnyValue:StringEquals"), want: ImplicitDeny,
		},
		{
			name: "ForAnyValue:StringEqualsIfExists, key present and matching", rule: ifExists, doc: docIfExists,
			identity: tagKeys("ForAnyValue:StringEqualsIfExists"),
			context:  map[string]any{"aws:TagKeys": []string{"cost", "team"}}, want: Allow,
		},
		{
			name: "ForAnyValue:StringEqualsIfExists, key present, no value matching", rule: ifExists, doc: docIfExists,
			identity: tagKeys("ForAnyValue:StringEqualsIfExists"),
			context:  map[string]any{"aws:TagKeys": []string{"cost"}}, want: ImplicitDeny,
		},
		{
			name: "ForAnyValue:StringEqualsIfExists, key present and empty: false", rule: ifExists + " " + emptySet, doc: docMultivalued,
			identity: tagKeys("ForAnyValue:StringEqualsIfExists"),
			context:  map[string]any{"aws:TagKeys": []string{}}, want: ImplicitDeny,
		},
		{
			name: "ForAnyValue:StringEquals, key present and empty: false", rule: emptySet, doc: docMultivalued,
			identity: tagKeys("ForAnyValue:StringEquals"),
			context:  map[string]any{"aws:TagKeys": []string{}}, want: ImplicitDeny,
		},
		{
			name: "ForAllValues:StringLikeIfExists, key absent: true", rule: ifExists, doc: docIfExists,
			identity: tagKeys("ForAllValues:StringLikeIfExists"), want: Allow,
		},
		{
			name: "ForAllValues:StringLike, key absent: true", rule: "ForAllValues also returns true if there are no context keys in the request.", doc: docMultivalued,
			identity: tagKeys("ForAllValues:StringLike"), want: Allow,
		},
		{
			name: "ForAllValues:StringLike, key present, every value inside", rule: "ForAllValues: every value in the request must match a value in the policy.", doc: docMultivalued,
			identity: tagKeys("ForAllValues:StringLike"),
			context:  map[string]any{"aws:TagKeys": []string{"env-prod", "team"}}, want: Allow,
		},
		{
			name: "ForAllValues:StringLike, key present and empty: true", rule: emptySet, doc: docMultivalued,
			identity: tagKeys("ForAllValues:StringLike"),
			context:  map[string]any{"aws:TagKeys": []string{}}, want: Allow,
		},
		{
			name: "ForAllValues:StringLikeIfExists, key present, one value outside", rule: ifExists, doc: docIfExists,
			identity: tagKeys("ForAllValues:StringLikeIfExists"),
			context:  map[string]any{"aws:TagKeys": []string{"env-prod", "cost"}}, want: ImplicitDeny,
		},
		{
			name: "ForAllValues:StringLikeIfExists, key present and empty: true", rule: ifExists + " " + emptySet, doc: docMultivalued,
			identity: tagKeys("ForAllValues:StringLikeIfExists"),
			context:  map[string]any{"aws:TagKeys": []string{}}, want: Allow,
		},
		{
			name: "ForAnyValue:StringNotEqualsIfExists in a Deny, key absent: denied",
			rule: ifExists + ` If you are using an "Effect": "Deny" element with a negated condition operator like StringNotEqualsIfExists, the request is still denied even if the tag is missing.`,
			doc:  docIfExists,
			identity: []string{allow("*", ""), `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"mobiletargeting:*","Resource":"*",
				"Condition":{"ForAnyValue:StringNotEqualsIfExists":{"aws:TagKeys":"team"}}}]}`},
			want: ExplicitDeny,
		},
	}
	runDocCases(t, tests)
}

// TestEvaluateArnConditionVariables: policy variables may fill any segment
// of an Arn condition value; the "${aws:...}" colon does not split segments.
func TestEvaluateArnConditionVariables(t *testing.T) {
	t.Parallel()
	const (
		arnVars = "You can use a policy variable with the ARN condition operator."
		arnSegs = "Each of the six colon-delimited components of the ARN is checked separately and each can include multi-character match wildcards (*) or single-character match wildcards (?)."
		noValue = "A variable whose key the request does not carry, and that has no default, has no value and matches nothing."
		docARN  = docOperators + "#Conditions_ARN"
	)
	cond := func(op, key, value string) []string {
		return []string{allow("*", `{"`+op+`":{"`+key+`":"`+value+`"}}`)}
	}
	tests := []docCase{
		{
			name: "ArnLike: variable in the account segment, same account", rule: arnVars + " " + arnSegs, doc: docARN,
			identity: cond("ArnLike", "aws:PrincipalArn", "arn:aws:iam::${aws:PrincipalAccount}:user/*"),
			context: map[string]any{"aws:PrincipalAccount": "111122223333",
				"aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice"},
			want: Allow,
		},
		{
			name: "ArnLike: variable in the account segment, other account", rule: arnVars + " " + arnSegs, doc: docARN,
			identity: cond("ArnLike", "aws:PrincipalArn", "arn:aws:iam::${aws:PrincipalAccount}:user/*"),
			context: map[string]any{"aws:PrincipalAccount": "111122223333",
				"aws:PrincipalArn": "arn:aws:iam::444455556666:user/alice"},
			want: ImplicitDeny,
		},
		{
			name: "ArnEquals: wildcard region, variable account", rule: arnVars + " The ArnEquals and ArnLike condition operators behave identically.", doc: docARN,
			identity: cond("ArnEquals", "aws:SourceArn", "arn:aws:sns:*:${aws:PrincipalAccount}:*"),
			context: map[string]any{"aws:PrincipalAccount": "111122223333",
				"aws:SourceArn": "arn:aws:sns:eu-west-1:111122223333:alerts"},
			want: Allow,
		},
		{
			name: "ArnLike: variable in the region segment matches that region only", rule: arnVars + " " + arnSegs, doc: docARN,
			identity: cond("ArnLike", "aws:SourceArn", "arn:aws:sns:${aws:RequestedRegion}:*:*"),
			context: map[string]any{"aws:RequestedRegion": "us-west-2",
				"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:alerts"},
			want: ImplicitDeny,
		},
		{
			name: "ArnLike: variable in the region segment, same region", rule: arnVars + " " + arnSegs, doc: docARN,
			identity: cond("ArnLike", "aws:SourceArn", "arn:aws:sns:${aws:RequestedRegion}:*:*"),
			context: map[string]any{"aws:RequestedRegion": "us-east-1",
				"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:alerts"},
			want: Allow,
		},
		{
			name: "ArnLike: variables in the account and resource segments", rule: arnVars, doc: docARN,
			identity: cond("ArnLike", "aws:PrincipalArn", "arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}"),
			context: map[string]any{"aws:PrincipalAccount": "111122223333", "aws:username": "alice",
				"aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice"},
			want: Allow,
		},
		{
			name: "ArnLike: the variable has no value", rule: arnVars + " " + noValue, doc: docVariables,
			identity: cond("ArnLike", "aws:PrincipalArn", "arn:aws:iam::${aws:PrincipalAccount}:user/*"),
			context:  map[string]any{"aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice"},
			want:     ImplicitDeny,
		},
		{
			name: "ArnNotLike in a Deny: the caller's own account is not denied", rule: arnVars + " ArnNotEquals, ArnNotLike: negated matching for ARN.", doc: docARN,
			identity: []string{allow("*", ""), `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"mobiletargeting:*","Resource":"*",
				"Condition":{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:*"}}}]}`},
			context: map[string]any{"aws:PrincipalAccount": "111122223333",
				"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:alerts"},
			want: Allow,
		},
		{
			name: "ArnNotLike in a Deny: another account's topic is denied", rule: arnVars + " ArnNotEquals, ArnNotLike: negated matching for ARN.", doc: docARN,
			identity: []string{allow("*", ""), `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"mobiletargeting:*","Resource":"*",
				"Condition":{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:*"}}}]}`},
			context: map[string]any{"aws:PrincipalAccount": "111122223333",
				"aws:SourceArn": "arn:aws:sns:us-east-1:444455556666:alerts"},
			want: ExplicitDeny,
		},
		{
			name: "ArnLike: a variable with a default in the account segment", rule: arnVars + " ${key, 'default'} supplies a value when the key is absent.", doc: docVariables,
			identity: cond("ArnLike", "aws:SourceArn", "arn:aws:sns:*:${aws:PrincipalTag/acct, '111122223333'}:*"),
			context:  map[string]any{"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:alerts"},
			want:     Allow,
		},
	}
	runDocCases(t, tests)
}

// TestEvaluateNullDataSet: a key present with a null data set — an empty
// list, or an empty string — is treated by the set operators and by Null as
// a missing value: ForAllValues is true, ForAnyValue false, Null true; other
// operators, IfExists included, see a present key.
func TestEvaluateNullDataSet(t *testing.T) {
	t.Parallel()
	const (
		emptySet = "If the key values in the request resolve to an empty data set (for example, an empty string), " +
			"a condition operator modified by ForAllValues returns true, and a condition operator modified by ForAnyValue returns false."
		nullFalse = "To prevent missing context keys or context keys with empty values from evaluating to true, you can include the Null " +
			"condition operator in your policy with a false value to check if the context key exists and its value is not null."
		nullOp = `Use a Null condition operator to check if a condition key is absent at the time of authorization. In the policy statement, ` +
			`use either true (the key doesn't exist — it is null) or false (the key exists and its value is not null).`
		ifExists = `If the key is not present, evaluate the condition element as true.`
	)
	cond := func(op, key, value string) []string {
		return []string{allow("*", `{"`+op+`":{"`+key+`":"`+value+`"}}`)}
	}
	tests := []docCase{
		{
			name: "ForAllValues:StringEquals on an empty string: true", rule: emptySet, doc: docOperators,
			identity: cond("ForAllValues:StringEquals", "aws:ResourceTag/team", "red"),
			context:  map[string]any{"aws:ResourceTag/team": ""}, want: Allow,
		},
		{
			name: "ForAnyValue:StringLike * on an empty string: false", rule: emptySet, doc: docOperators,
			identity: cond("ForAnyValue:StringLike", "aws:username", "*"),
			context:  map[string]any{"aws:username": ""}, want: ImplicitDeny,
		},
		{
			name: "ForAnyValue:StringNotEquals on an empty string: false", rule: emptySet, doc: docOperators,
			identity: cond("ForAnyValue:StringNotEquals", "aws:username", "bob"),
			context:  map[string]any{"aws:username": ""}, want: ImplicitDeny,
		},
		{
			name: "ForAnyValue:StringNotEquals on an empty list: false", rule: emptySet, doc: docMultivalued,
			identity: cond("ForAnyValue:StringNotEquals", "aws:TagKeys", "team"),
			context:  map[string]any{"aws:TagKeys": []string{}}, want: ImplicitDeny,
		},
		{
			name: "Null false on an empty list: false", rule: nullFalse, doc: docMultivalued,
			identity: cond("Null", "aws:TagKeys", "false"),
			context:  map[string]any{"aws:TagKeys": []string{}}, want: ImplicitDeny,
		},
		{
			name: "Null true on an empty list: true", rule: nullOp + " " + nullFalse, doc: docOperators,
			identity: cond("Null", "aws:TagKeys", "true"),
			context:  map[string]any{"aws:TagKeys": []string{}}, want: Allow,
		},
		{
			name: "Null false on an empty string: false", rule: nullFalse, doc: docMultivalued,
			identity: cond("Null", "aws:username", "false"),
			context:  map[string]any{"aws:username": ""}, want: ImplicitDeny,
		},
		{
			name: "Null true on an empty string: true", rule: nullOp + " " + nullFalse, doc: docOperators,
			identity: cond("Null", "aws:username", "true"),
			context:  map[string]any{"aws:username": ""}, want: Allow,
		},
		{
			name: "Null true in a Deny, key with an empty list: denied", rule: nullOp + " " + nullFalse, doc: docOperators,
			identity: []string{allow("*", ""), `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"mobiletargeting:*","Resource":"*",
				"Condition":{"Null":{"aws:TagKeys":"true"}}}]}`},
			context: map[string]any{"aws:TagKeys": []string{}}, want: ExplicitDeny,
		},
		{
			name: "Null false on a value: true", rule: nullOp, doc: docOperators,
			identity: cond("Null", "aws:TagKeys", "false"),
			context:  map[string]any{"aws:TagKeys": []string{"team"}}, want: Allow,
		},
		{
			name: "Null false on a list holding an empty string and a value: true", rule: nullOp, doc: docOperators,
			identity: cond("Null", "aws:TagKeys", "false"),
			context:  map[string]any{"aws:TagKeys": []string{"", "team"}}, want: Allow,
		},
		{
			name: "StringEqualsIfExists on an empty string: the key is present, so the operator decides", rule: ifExists, doc: docOperators + "#Conditions_IfExists",
			identity: cond("StringEqualsIfExists", "aws:username", "bob"),
			context:  map[string]any{"aws:username": ""}, want: ImplicitDeny,
		},
		{
			name: "StringEquals an empty string against an empty string: true", rule: "StringEquals: exact matching, case sensitive.", doc: docOperators,
			identity: cond("StringEquals", "aws:username", ""),
			context:  map[string]any{"aws:username": ""}, want: Allow,
		},
	}
	runDocCases(t, tests)
}

// TestEvaluateVariablesOnlyWhereSupported: the condition operators page
// lists "Policy variables – Not supported" for the Numeric, Date, Binary
// and IP address operators and "Supported" for String, ARN and Bool. In the
// former "${...}" is literal text, which is no number, date, address or
// base64 value, so the condition matches nothing.
func TestEvaluateVariablesOnlyWhereSupported(t *testing.T) {
	t.Parallel()
	const notSupported = "Numeric, Date, Binary, IP address condition operators: Policy variables – Not supported."
	const supported = "String, ARN and Boolean condition operators: Policy variables – Supported."
	cond := func(op, key, value string) []string {
		return []string{allow("*", `{"`+op+`":{"`+key+`":"`+value+`"}}`)}
	}
	tag := map[string]any{"aws:PrincipalTag/limit": "7200", "aws:PrincipalTag/since": "2020-01-01T00:00:00Z",
		"aws:PrincipalTag/net": "203.0.113.0/24", "aws:PrincipalTag/mfa": "true", "aws:PrincipalTag/team": "growth"}
	with := func(kv ...string) map[string]any {
		m := map[string]any{}
		for k, v := range tag {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []docCase{
		{name: "NumericLessThan with a variable: literal, no match", rule: notSupported, doc: docOperators,
			identity: cond("NumericLessThan", "aws:MultiFactorAuthAge", "${aws:PrincipalTag/limit}"),
			context:  with("aws:MultiFactorAuthAge", "100"), want: ImplicitDeny},
		{name: "NumericLessThan with a variable and a default: literal, no match", rule: notSupported, doc: docOperators,
			identity: cond("NumericLessThan", "aws:MultiFactorAuthAge", "${aws:PrincipalTag/none, '7200'}"),
			context:  with("aws:MultiFactorAuthAge", "100"), want: ImplicitDeny},
		{name: "DateGreaterThan with a variable: literal, no match", rule: notSupported, doc: docOperators,
			identity: cond("DateGreaterThan", "aws:CurrentTime", "${aws:PrincipalTag/since}"),
			context:  with("aws:CurrentTime", "2026-01-01T00:00:00Z"), want: ImplicitDeny},
		{name: "IpAddress with a variable: literal, no match", rule: notSupported, doc: docOperators,
			identity: cond("IpAddress", "aws:SourceIp", "${aws:PrincipalTag/net}"),
			context:  with("aws:SourceIp", "203.0.113.7"), want: ImplicitDeny},
		{name: "Deny with NumericGreaterThan on a variable: does not apply", rule: notSupported, doc: docOperators,
			identity: []string{allow("*", ""), `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"mobiletargeting:*","Resource":"*",
				"Condition":{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"${aws:PrincipalTag/limit}"}}}]}`},
			context: with("aws:MultiFactorAuthAge", "9000"), want: Allow},
		{name: "Bool with a variable: substituted", rule: supported, doc: docOperators,
			identity: cond("Bool", "aws:MultiFactorAuthPresent", "${aws:PrincipalTag/mfa}"),
			context:  with("aws:MultiFactorAuthPresent", "true"), want: Allow},
		{name: "StringEquals with a variable: substituted", rule: supported, doc: docOperators,
			identity: cond("StringEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team}"),
			context:  with("aws:ResourceTag/team", "growth"), want: Allow},
	}
	runDocCases(t, tests)
}

// TestEvaluateQuestionMarkStaysInItsSegment: wildcards in a Resource ARN
// stay within the segment they are written in; only a segment's trailing
// '*' may reach past a colon.
func TestEvaluateQuestionMarkStaysInItsSegment(t *testing.T) {
	t.Parallel()
	const (
		rule   = "You can use wildcard characters (* and ?) within the individual segments of an ARN (the parts separated by colons)."
		docRes = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html"
		app    = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc123"
	)
	res := func(pattern string) []string {
		return []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"` + pattern + `"}]}`}
	}
	tests := []docCase{
		{name: "? in place of the colon after the region: no match", rule: rule, doc: docRes,
			identity: res("arn:aws:mobiletargeting:us-east-1?111122223333:apps/abc123"), want: ImplicitDeny},
		{name: "? in place of the colon after the account: no match", rule: rule, doc: docRes,
			identity: res("arn:aws:mobiletargeting:us-east-1:111122223333?apps/abc123"), want: ImplicitDeny},
		{name: "? in place of the colon after the service: no match", rule: rule, doc: docRes,
			identity: res("arn:aws:mobiletargeting?us-east-1:111122223333:apps/abc123"), want: ImplicitDeny},
		{name: "? inside the region: match", rule: rule, doc: docRes,
			identity: res("arn:aws:mobiletargeting:us-east-?:111122223333:apps/abc123"), want: Allow},
		{name: "? inside the resource part: match", rule: rule, doc: docRes,
			identity: res("arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc12?"), want: Allow},
		{name: "trailing * of the region segment crosses the colon", rule: "If the * wildcard is the last character of a resource ARN segment, it can expand to match beyond the colon boundaries.", doc: docRes,
			identity: res("arn:aws:mobiletargeting:us-*:apps/abc123"), want: Allow},
	}
	for i := range tests {
		tests[i].action, tests[i].res = "mobiletargeting:GetApp", app
	}
	runDocCases(t, tests)
}

// runDocCases runs each case as a parallel subtest.
func runDocCases(t *testing.T, tests []docCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t)
		})
	}
}

// TestEvaluateNullTakesNoVariables: the condition operators page says of
// the Null operator "You can not use a policy variable with the Null
// condition operator." A "${...}" value of Null is literal text, which is
// neither true nor false, so it tests nothing, whatever the variable's key
// holds; a literal value beside it in the list still does.
func TestEvaluateNullTakesNoVariables(t *testing.T) {
	t.Parallel()
	const (
		noVars  = "You can not use a policy variable with the Null condition operator."
		nullOp  = "In the policy statement, use either true (the key doesn't exist — it is null) or false (the key exists and its value is not null)."
		docNull = docOperators + "#Conditions_Null"
	)
	cond := func(value string) string {
		return `{"Null":{"aws:TokenIssueTime":` + value + `}}`
	}
	deny := func(value string) []string {
		return []string{allow("*", ""), `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"mobiletargeting:*","Resource":"*",
			"Condition":` + cond(value) + `}]}`}
	}
	issued := "2024-06-01T00:00:00Z"
	tests := []docCase{
		{name: "Allow, variable holding true, key absent: no match", rule: noVars, doc: docNull,
			identity: []string{allow("*", cond(`"${aws:PrincipalTag/flag}"`))},
			context:  map[string]any{"aws:PrincipalTag/flag": "true"}, want: ImplicitDeny},
		{name: "Allow, variable holding false, key present: no match", rule: noVars, doc: docNull,
			identity: []string{allow("*", cond(`"${aws:PrincipalTag/flag}"`))},
			context:  map[string]any{"aws:PrincipalTag/flag": "false", "aws:TokenIssueTime": issued}, want: ImplicitDeny},
		{name: "Allow, variable with no value, key present: no match", rule: noVars, doc: docNull,
			identity: []string{allow("*", cond(`"${aws:PrincipalTag/flag}"`))},
			context:  map[string]any{"aws:TokenIssueTime": issued}, want: ImplicitDeny},
		{name: "Allow, default true, key absent: no match", rule: noVars, doc: docNull,
			identity: []string{allow("*", cond(`"${aws:PrincipalTag/flag, 'true'}"`))}, want: ImplicitDeny},
		{name: "Deny, variable holding false, key present: does not apply", rule: noVars, doc: docNull,
			identity: deny(`"${aws:PrincipalTag/flag}"`),
			context:  map[string]any{"aws:PrincipalTag/flag": "false", "aws:TokenIssueTime": issued}, want: Allow},
		{name: "Deny, variable holding true, key absent: does not apply", rule: noVars, doc: docNull,
			identity: deny(`"${aws:PrincipalTag/flag}"`),
			context:  map[string]any{"aws:PrincipalTag/flag": "true"}, want: Allow},
		{name: "Allow, literal true beside a variable, key absent: match", rule: noVars + " " + nullOp, doc: docNull,
			identity: []string{allow("*", cond(`["${aws:PrincipalTag/flag}", "true"]`))},
			context:  map[string]any{"aws:PrincipalTag/flag": "false"}, want: Allow},
		{name: "Allow, literal false, key present: match", rule: nullOp, doc: docNull,
			identity: []string{allow("*", cond(`"false"`))},
			context:  map[string]any{"aws:TokenIssueTime": issued}, want: Allow},
	}
	runDocCases(t, tests)
}

// TestEvaluateDateW3CForms: the condition operators page says "You must
// specify date/time values with one of the W3C implementations of the ISO
// 8601 date formats or in epoch (UNIX) time", and the W3C note it links
// lists "Year and month: YYYY-MM" and "Complete date: YYYY-MM-DD" beside
// the forms with a time. A YYYY-MM value is the first instant of that month.
// (A bare four-digit year is also a valid epoch value and stays one.) The
// requests are days away from the policy dates, so that no reading of a
// date without a time zone could change the answer.
func TestEvaluateDateW3CForms(t *testing.T) {
	t.Parallel()
	const (
		rule    = "You must specify date/time values with one of the W3C implementations of the ISO 8601 date formats or in epoch (UNIX) time."
		w3c     = " The W3C profile: Year and month: YYYY-MM (eg 1997-07); Complete date: YYYY-MM-DD; Complete date plus hours and minutes: YYYY-MM-DDThh:mmTZD."
		docDate = docOperators + "#Conditions_Date"
	)
	cond := func(op, key, value string) []string {
		return []string{allow("*", `{"`+op+`":{"`+key+`":"`+value+`"}}`)}
	}
	tests := []docCase{
		{name: "DateGreaterThan YYYY-MM, mid-month: true", rule: rule + w3c, doc: docDate,
			identity: cond("DateGreaterThan", "aws:CurrentTime", "2024-06"),
			context:  map[string]any{"aws:CurrentTime": "2024-06-15T00:00:00Z"}, want: Allow},
		{name: "DateGreaterThan YYYY-MM, the month before: false", rule: rule + w3c, doc: docDate,
			identity: cond("DateGreaterThan", "aws:CurrentTime", "2024-06"),
			context:  map[string]any{"aws:CurrentTime": "2024-05-20T00:00:00Z"}, want: ImplicitDeny},
		{name: "DateLessThan YYYY-MM, the month before: true", rule: rule + w3c, doc: docDate,
			identity: cond("DateLessThan", "aws:CurrentTime", "2024-06"),
			context:  map[string]any{"aws:CurrentTime": "2024-05-20T00:00:00Z"}, want: Allow},
		{name: "DateLessThanEquals YYYY-MM, December: the year's last month", rule: rule + w3c, doc: docDate,
			identity: cond("DateLessThanEquals", "aws:CurrentTime", "2024-12"),
			context:  map[string]any{"aws:CurrentTime": "2024-11-28T00:00:00Z"}, want: Allow},
		{name: "DateNotEquals YYYY-MM, another instant: true", rule: rule + w3c, doc: docDate,
			identity: cond("DateNotEquals", "aws:CurrentTime", "2024-06"),
			context:  map[string]any{"aws:CurrentTime": "2024-06-20T00:00:00Z"}, want: Allow},
		{name: "Deny after YYYY-MM applies later", rule: rule + w3c, doc: docDate,
			identity: []string{allow("*", ""), `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"mobiletargeting:*","Resource":"*",
				"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2025-01"}}}]}`},
			context: map[string]any{"aws:CurrentTime": "2025-03-01T00:00:00Z"}, want: ExplicitDeny},
		{name: "request value YYYY-MM", rule: rule + w3c, doc: docDate,
			identity: cond("DateLessThan", "aws:TokenIssueTime", "2024-06-15T00:00:00Z"),
			context:  map[string]any{"aws:TokenIssueTime": "2024-05"}, want: Allow},
		{name: "YYYY-MM with a month out of range: no date", rule: rule + w3c, doc: docDate,
			identity: cond("DateLessThan", "aws:CurrentTime", "2024-13"),
			context:  map[string]any{"aws:CurrentTime": "2024-01-20T00:00:00Z"}, want: ImplicitDeny},
		{name: "YYYY-M is no W3C form: no date", rule: rule + w3c, doc: docDate,
			identity: cond("DateLessThan", "aws:CurrentTime", "2024-6"),
			context:  map[string]any{"aws:CurrentTime": "2024-01-20T00:00:00Z"}, want: ImplicitDeny},
		{name: "YYYY-MM-DD: complete date", rule: rule + w3c, doc: docDate,
			identity: cond("DateGreaterThan", "aws:CurrentTime", "2024-06-01"),
			context:  map[string]any{"aws:CurrentTime": "2024-06-03T00:00:00Z"}, want: Allow},
		{name: "YYYY-MM-DDThh:mmTZD with an offset", rule: rule + w3c, doc: docDate,
			identity: cond("DateGreaterThan", "aws:CurrentTime", "2024-06-01T12:00+02:00"),
			context:  map[string]any{"aws:CurrentTime": "2024-06-01T10:30:00Z"}, want: Allow},
	}
	runDocCases(t, tests)
}

// TestEvaluateSessionPoliciesBelongToSessions: "Session policies are
// advanced policies that you pass as a parameter when you programmatically
// create a temporary session for a role or federated user." An IAM user
// calling with its own credentials has no session, so session policies
// given with a user caller limit nothing and deny nothing; a role's or a
// role session's do.
func TestEvaluateSessionPoliciesBelongToSessions(t *testing.T) {
	t.Parallel()
	const rule = "Session policies are advanced policies that you pass as a parameter when you programmatically create a temporary session for a role or federated user."
	const (
		smsOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sms-voice:*","Resource":"*"}]}`
		denyAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"mobiletargeting:*","Resource":"*"}]}`
	)
	tests := []docCase{
		{name: "user: a session policy that does not allow limits nothing", rule: rule, doc: docSession,
			identity: []string{allow("*", "")}, session: []string{smsOnly}, want: Allow},
		{name: "user: a session policy's Deny does not apply", rule: rule, doc: docSession,
			identity: []string{allow("*", "")}, session: []string{denyAll}, want: Allow},
		{name: "user: a session policy grants nothing either", rule: rule + " Session policies limit permissions for a created session, but do not grant permissions.", doc: docSession,
			session: []string{allow("*", "")}, want: ImplicitDeny},
		{name: "role session: the session policy limits", rule: rule, doc: docSession,
			identity: []string{allow("*", "")}, session: []string{smsOnly},
			principal: "arn:aws:sts::111122223333:assumed-role/analyst/s1", want: ImplicitDeny},
		{name: "role session: the session policy's Deny applies", rule: rule, doc: docSession,
			identity: []string{allow("*", "")}, session: []string{denyAll},
			principal: "arn:aws:sts::111122223333:assumed-role/analyst/s1", want: ExplicitDeny},
		{name: "role: the session policy limits", rule: rule, doc: docSession,
			identity: []string{allow("*", "")}, session: []string{smsOnly},
			principal: "arn:aws:iam::111122223333:role/analyst", want: ImplicitDeny},
	}
	runDocCases(t, tests)
}

// TestEvaluateVariableOfEmptyValue: a variable whose key holds an empty
// string has no value. The variables page: "When policy variables
// reference a condition context key that has no value or is not present in
// an authorization context for a request, the value is effectively null.
// There is no equal or like value." An empty string is such a value: a
// user-defined key "can include an empty string. In this case, the value
// in the request context is null" (the Condition element page), which the
// multivalued-keys page calls a "null dataset, such as an empty string".
// The variable's default, when it has one, stands in.
func TestEvaluateVariableOfEmptyValue(t *testing.T) {
	t.Parallel()
	const (
		noValue  = "When policy variables reference a condition context key that has no value or is not present in an authorization context for a request, the value is effectively null. There is no equal or like value."
		inverted = "Inverted condition operators like StringNotEquals or StringNotLike do match against a null value, as the value of the condition key they are testing against is not equal to or like the effectively null value."
		emptyIs  = " A key whose value is an empty string has no value: it resolves to a null dataset, such as an empty string."
		defaults = "To add a default value to a variable, surround the default value with single quotes (' '), and separate the variable text and the default value with a comma and space (, )."
	)
	cond := func(op, value string) []string {
		return []string{allow("*", `{"`+op+`":{"aws:ResourceTag/team":"`+value+`"}}`)}
	}
	emptyTeam := map[string]any{"aws:PrincipalTag/team": "", "aws:ResourceTag/team": ""}
	tests := []docCase{
		{name: "StringEquals against an empty resource tag: no match", rule: noValue + emptyIs, doc: docVariables,
			identity: cond("StringEquals", "${aws:PrincipalTag/team}"), context: emptyTeam, want: ImplicitDeny},
		{name: "StringLike with a trailing star: no match", rule: noValue + emptyIs, doc: docVariables,
			identity: cond("StringLike", "${aws:PrincipalTag/team}*"),
			context:  map[string]any{"aws:PrincipalTag/team": "", "aws:ResourceTag/team": "red"}, want: ImplicitDeny},
		{name: "StringNotEquals matches the null value", rule: inverted + emptyIs, doc: docVariables,
			identity: cond("StringNotEquals", "${aws:PrincipalTag/team}"), context: emptyTeam, want: Allow},
		{name: "Deny with StringNotEquals applies", rule: inverted + emptyIs + " Access is explicitly denied when aws:principaltag/Team is not set.", doc: docVariables,
			identity: []string{allow("*", ""), `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"mobiletargeting:*","Resource":"*",
				"Condition":{"StringNotEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}]}`},
			context: emptyTeam, want: ExplicitDeny},
		{name: "the default stands in", rule: defaults + emptyIs, doc: docVariables,
			identity: cond("StringEquals", "${aws:PrincipalTag/team, 'company-wide'}"),
			context:  map[string]any{"aws:PrincipalTag/team": "", "aws:ResourceTag/team": "company-wide"}, want: Allow},
		{name: "Resource with the variable matches no resource", rule: noValue + emptyIs + " The resource that includes a policy variable with no value will not match any resource.", doc: docVariables,
			identity: []string{allow("arn:aws:mobiletargeting:*:*:apps/${aws:PrincipalTag/app}*", "")},
			context:  map[string]any{"aws:PrincipalTag/app": ""}, want: ImplicitDeny},
		{name: "ArnLike with the variable: no match", rule: noValue + emptyIs, doc: docVariables,
			identity: []string{allow("*", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/${aws:PrincipalTag/user}*"}}`)},
			context:  map[string]any{"aws:PrincipalTag/user": "", "aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice"}, want: ImplicitDeny},
		{name: "a value that is not empty still substitutes", rule: noValue, doc: docVariables,
			identity: cond("StringEquals", "${aws:PrincipalTag/team}"),
			context:  map[string]any{"aws:PrincipalTag/team": "red", "aws:ResourceTag/team": "red"}, want: Allow},
	}
	runDocCases(t, tests)
}
