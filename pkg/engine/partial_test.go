package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEvaluatePartial(t *testing.T) {
	cat := benchCatalog(t)
	const (
		user     = "arn:aws:iam::111122223333:user/alice"
		campaign = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a/campaigns/c"
	)
	identity := mustCompile(t, cat, IdentityPolicy, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Read","Effect":"Allow","Action":"mobiletargeting:GetCampaign","Resource":"*",
		 "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
		{"Sid":"Update","Effect":"Allow","Action":"mobiletargeting:UpdateCampaign","Resource":"*"},
		{"Sid":"NoDelete","Effect":"Deny","Action":"mobiletargeting:DeleteCampaign","Resource":"*",
		 "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}},
		{"Effect":"Allow","Action":"mobiletargeting:DeleteCampaign","Resource":"*"}]}`)
	open := func(string) bool { return true }
	tests := []struct {
		name          string
		action        string
		ctx           map[string]string
		open          OpenKeys
		allowed, deny Tri
		openTerms     []ConditionTerm
	}{
		{"open key makes an Allow unknown", "mobiletargeting:GetCampaign", nil, open, Unknown, False,
			[]ConditionTerm{{Operator: "IpAddress", Key: "aws:SourceIp", Values: []string{"10.0.0.0/8"}}}},
		{"a fixed key decides", "mobiletargeting:GetCampaign", map[string]string{"aws:SourceIp": "10.1.1.1"}, open, True, False, nil},
		{"without open keys an absent key is absent", "mobiletargeting:GetCampaign", nil, nil, False, False, nil},
		{"no condition", "mobiletargeting:UpdateCampaign", nil, open, True, False, nil},
		{"an unknown Deny makes an Allow unknown", "mobiletargeting:DeleteCampaign", nil, open, Unknown, Unknown,
			[]ConditionTerm{{Operator: "Bool", Key: "aws:MultiFactorAuthPresent", Values: []string{"false"}}}},
		{"a Deny that holds", "mobiletargeting:DeleteCampaign", map[string]string{"aws:MultiFactorAuthPresent": "false"}, open, False, True, nil},
		{"nothing covers the action", "mobiletargeting:GetSegment", nil, open, False, False, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := NewContext(4)
			for k, v := range tt.ctx {
				ctx.Set(k, v)
			}
			p := &Policies{Identity: identity}
			r := &Request{Principal: user, Action: tt.action, Resource: campaign, Context: ctx}
			res := EvaluatePartial(p, r, tt.open)
			assert.Equal(t, tt.allowed, res.Allowed)
			assert.Equal(t, tt.deny, res.Denied)
			var terms []ConditionTerm
			for _, s := range res.Statements {
				terms = append(terms, s.Open...)
			}
			assert.Equal(t, tt.openTerms, terms)
			if tt.open == nil {
				// Without open keys it agrees with Evaluate.
				require.Equal(t, Evaluate(p, r) == Allow, res.Allowed == True)
			}
		})
	}
}

func TestReaches(t *testing.T) {
	cat := benchCatalog(t)
	d, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"mobiletargeting:GetCampaign","Resource":"arn:aws:mobiletargeting:*:*:apps/a/*"},
		{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","NotResource":"arn:aws:mobiletargeting:*:*:apps/keep"}]}`),
		ParseOptions{ID: "p", Type: IdentityPolicy})
	require.NoError(t, err)
	cd, err := CompileDocument(cat, d)
	require.NoError(t, err)
	assert.True(t, cd.Reaches("mobiletargeting:GetCampaign", "arn:aws:mobiletargeting:us-east-1:1:apps/a/campaigns/c"))
	assert.False(t, cd.Reaches("mobiletargeting:GetCampaign", "arn:aws:mobiletargeting:us-east-1:1:apps/b/campaigns/c"))
	assert.False(t, cd.Reaches("mobiletargeting:GetSegment", "arn:aws:mobiletargeting:us-east-1:1:apps/a/segments/s"))
	assert.True(t, cd.Reaches("mobiletargeting:DeleteApp", "arn:aws:mobiletargeting:us-east-1:1:apps/other"))
	assert.False(t, cd.Reaches("mobiletargeting:DeleteApp", "arn:aws:mobiletargeting:us-east-1:1:apps/keep"))
}
