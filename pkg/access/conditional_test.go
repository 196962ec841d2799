package access

import (
	"encoding/json"
	"testing"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	condAccount  = "111122223333"
	condUser     = "arn:aws:iam::111122223333:user/carol"
	condApp      = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/shop"
	condCampaign = condApp + "/campaigns/c1"
)

// condModel is one user whose inline policy allows GetCampaign under cond.
func condModel(t *testing.T, cond string) *Model {
	t.Helper()
	cat, err := catalog.Load()
	require.NoError(t, err)
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"mobiletargeting:GetCampaign",` +
		`"Resource":"` + condApp + `/*","Condition":{` + cond + `}}]}`
	s := &entity.Set{
		Accounts:  []entity.Account{{ID: condAccount}},
		Users:     []entity.User{{ARN: condUser, InlinePolicies: map[string]json.RawMessage{"read": json.RawMessage(doc)}}},
		Resources: []entity.Resource{{ARN: condApp}, {ARN: condCampaign}},
	}
	_, m := resolve(t, cat, s, nil, 7)
	return m
}

func TestConditionalOnRequestKeys(t *testing.T) {
	tests := []struct {
		name       string
		cond       string
		want       engine.ConditionTerm
		allowWith  Context
		denyWith   Context
		denyReason Verdict
	}{
		{
			name:      "source IP",
			cond:      `"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}`,
			want:      engine.ConditionTerm{Operator: "IpAddress", Key: "aws:SourceIp", Values: []string{"203.0.113.0/24", "2001:db8::/32"}},
			allowWith: Context{"aws:SourceIp": {Values: []string{"203.0.113.7"}}},
			denyWith:  Context{"aws:SourceIp": {Values: []string{"198.51.100.1"}}},
		},
		{
			name:      "request tag",
			cond:      `"StringEquals":{"aws:RequestTag/env":"prod"}`,
			want:      engine.ConditionTerm{Operator: "StringEquals", Key: "aws:RequestTag/env", Values: []string{"prod"}},
			allowWith: Context{"aws:RequestTag/env": {Values: []string{"prod"}}},
			denyWith:  Context{"aws:RequestTag/env": {Values: []string{"dev"}}},
		},
		{
			name:      "current time",
			cond:      `"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}`,
			want:      engine.ConditionTerm{Operator: "DateLessThan", Key: "aws:CurrentTime", Values: []string{"2027-01-01T00:00:00Z"}},
			allowWith: Context{"aws:CurrentTime": {Values: []string{"2026-12-05T04:00:00Z"}}},
			denyWith:  Context{"aws:CurrentTime": {Values: []string{"2027-02-01T00:00:00Z"}}},
		},
		{
			name:      "MFA",
			cond:      `"Bool":{"aws:MultiFactorAuthPresent":"true"}`,
			want:      engine.ConditionTerm{Operator: "Bool", Key: "aws:MultiFactorAuthPresent", Values: []string{"true"}},
			allowWith: Context{"aws:MultiFactorAuthPresent": {Values: []string{"true"}}},
			denyWith:  Context{"aws:MultiFactorAuthPresent": {Values: []string{"false"}}},
		},
		{
			name:      "tag keys with a set operator",
			cond:      `"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}`,
			want:      engine.ConditionTerm{Operator: "ForAllValues:StringEquals", Key: "aws:TagKeys", Values: []string{"env", "team"}},
			allowWith: Context{"aws:TagKeys": {Values: []string{"env"}, Multi: true}},
			denyWith:  Context{"aws:TagKeys": {Values: []string{"env", "owner"}, Multi: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := condModel(t, tt.cond)
			p, ok := m.Principal(condUser)
			require.True(t, ok)

			open := m.Ask(p, "mobiletargeting:GetCampaign", condCampaign, nil)
			require.Equal(t, Conditional, open.Verdict)
			assert.Equal(t, []engine.ConditionTerm{tt.want}, open.Conditions)
			require.Len(t, open.Statements, 1)
			assert.Equal(t, "Read", open.Statements[0].Sid)
			assert.Equal(t, engine.Unknown, open.Statements[0].Outcome)
			require.NotNil(t, open.AllowedWhen)
			require.NotNil(t, open.DeniedWhen)

			allowed := m.Ask(p, "mobiletargeting:GetCampaign", condCampaign, tt.allowWith)
			assert.Equal(t, Allowed, allowed.Verdict)
			require.Len(t, allowed.Statements, 1)
			assert.Equal(t, engine.True, allowed.Statements[0].Outcome)

			denied := m.Ask(p, "mobiletargeting:GetCampaign", condCampaign, tt.denyWith)
			assert.Equal(t, ImplicitDeny, denied.Verdict)

			// The examples the answer gives decide the same way when fixed.
			assert.Equal(t, Allowed, m.Ask(p, "mobiletargeting:GetCampaign", condCampaign, open.AllowedWhen).Verdict)
			assert.True(t, m.Ask(p, "mobiletargeting:GetCampaign", condCampaign, open.DeniedWhen).Verdict.Denied())

			// WhoCan gives the same answers.
			list, _, err := m.WhoCan("mobiletargeting:GetCampaign", condCampaign, Options{Context: tt.allowWith})
			require.NoError(t, err)
			require.Len(t, list, 1)
			assert.Equal(t, Allowed, list[0].Verdict)
			list, _, err = m.WhoCan("mobiletargeting:GetCampaign", condCampaign, Options{Context: tt.denyWith})
			require.NoError(t, err)
			assert.Empty(t, list)
		})
	}
}

func TestConditionalDenyIsExplicitWhenFixed(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	doc := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":"mobiletargeting:GetCampaign","Resource":"*"},` +
		`{"Sid":"OnlyCorp","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
	s := &entity.Set{
		Accounts: []entity.Account{{ID: condAccount}},
		Users:    []entity.User{{ARN: condUser, InlinePolicies: map[string]json.RawMessage{"p": json.RawMessage(doc)}}},
	}
	_, m := resolve(t, cat, s, nil, 1)
	p, _ := m.Principal(condUser)
	a := m.Ask(p, "mobiletargeting:GetCampaign", condCampaign, nil)
	require.Equal(t, Conditional, a.Verdict)
	assert.Equal(t, []engine.ConditionTerm{{Operator: "NotIpAddress", Key: "aws:SourceIp", Values: []string{"10.0.0.0/8"}}}, a.Conditions)
	assert.Equal(t, Allowed, m.Ask(p, "mobiletargeting:GetCampaign", condCampaign, Context{"aws:SourceIp": {Values: []string{"10.1.1.1"}}}).Verdict)
	denied := m.Ask(p, "mobiletargeting:GetCampaign", condCampaign, Context{"aws:SourceIp": {Values: []string{"192.0.2.1"}}})
	require.Equal(t, ExplicitDeny, denied.Verdict)
	require.Len(t, denied.Statements, 1)
	assert.Equal(t, "OnlyCorp", denied.Statements[0].Sid)
}

func TestContextMayNotFixDerivedKeys(t *testing.T) {
	m := condModel(t, `"Bool":{"aws:MultiFactorAuthPresent":"true"}`)
	for _, k := range []string{"aws:PrincipalArn", "aws:PrincipalTag/team", "aws:ResourceTag/env", "aws:username"} {
		_, _, err := m.WhoCan("mobiletargeting:GetCampaign", condCampaign, Options{Context: Context{k: {Values: []string{"x"}}}})
		var ie *InputError
		require.ErrorAs(t, err, &ie, k)
		assert.Equal(t, "context", ie.Field)
		assert.Contains(t, ie.Msg, k)
	}
}

// TestContextMayNotNameAKeyTwice: condition keys are case-insensitive, so
// a context giving one key in two cases would fix it to two values, and
// which one an answer used would depend on map order.
func TestContextMayNotNameAKeyTwice(t *testing.T) {
	m := condModel(t, `"Bool":{"aws:MultiFactorAuthPresent":"true"}`)
	ctx := Context{"aws:MultiFactorAuthPresent": {Values: []string{"true"}}, "AWS:multifactorauthpresent": {Values: []string{"false"}}}
	_, _, err := m.WhoCan("mobiletargeting:GetCampaign", condCampaign, Options{Context: ctx})
	var ie *InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "context", ie.Field)
	assert.Equal(t, `"AWS:multifactorauthpresent" and "aws:MultiFactorAuthPresent" name the same condition key (key names are case-insensitive): give it once`, ie.Msg)
}
