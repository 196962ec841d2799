package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestActionMatching(t *testing.T) {
	t.Parallel()
	cat := benchCatalog(t)
	tests := []struct {
		name    string
		pattern string
		action  string
		want    Decision
	}{
		{"exact", "mobiletargeting:GetApp", "mobiletargeting:GetApp", Allow},
		{"case-insensitive prefix and name", "MobileTargeting:getapp", "mobiletargeting:GetApp", Allow},
		{"name wildcard", "mobiletargeting:Get*", "mobiletargeting:GetApp", Allow},
		{"question mark is one character", "mobiletargeting:GetAp?", "mobiletargeting:GetApp", Allow},
		{"question mark is not zero characters", "mobiletargeting:GetApp?", "mobiletargeting:GetApp", ImplicitDeny},
		{"lone star", "*", "sms-voice:SendTextMessage", Allow},
		{"no wildcard in the prefix", "mobile*:GetApp", "mobiletargeting:GetApp", ImplicitDeny},
		{"no colon covers nothing", "mobiletargeting*", "mobiletargeting:GetApp", ImplicitDeny},
		{"other service", "sms-voice:*", "mobiletargeting:GetApp", ImplicitDeny},
		{"action outside the catalog, by wildcard", "mobiletargeting:*", "mobiletargeting:FutureAction", Allow},
		{"action outside the catalog, by name", "mobiletargeting:FutureAction", "MOBILETARGETING:futureaction", Allow},
		{"action outside the catalog, no match", "mobiletargeting:Get*", "mobiletargeting:FutureAction", ImplicitDeny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ps := mustCompile(t, cat, IdentityPolicy, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"`+tc.pattern+`","Resource":"*"}]}`)
			req := &Request{Principal: "arn:aws:iam::111122223333:user/alice", Action: tc.action, Resource: "*", Context: NewContext(0)}
			assert.Equal(t, tc.want, Evaluate(&Policies{Identity: ps}, req), "%q for %q", tc.pattern, tc.action)
		})
	}
}
