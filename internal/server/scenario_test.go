package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"google.golang.org/grpc/codes"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

const (
	allow        = pdpv1.Decision_DECISION_ALLOW
	explicitDeny = pdpv1.Decision_DECISION_EXPLICIT_DENY
	implicitDeny = pdpv1.Decision_DECISION_IMPLICIT_DENY
)

// Session policies of the scenarios, as a caller sends them.
const (
	// campaignsOnly narrows a session to reading campaigns.
	campaignsOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["mobiletargeting:GetCampaign","mobiletargeting:GetCampaigns"],"Resource":"*"}]}`
	// allButSegments allows everything except reading segments.
	allButSegments = `{"Version":"2012-10-17","Statement":[{"Sid":"AllButSegments","Effect":"Allow",
		"NotAction":"mobiletargeting:GetSegment*","Resource":"*"}]}`
	// denyNonReads allows everything and denies every action but reads.
	denyNonReads = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Sid":"ReadOnly","Effect":"Deny","NotAction":["mobiletargeting:Get*","mobiletargeting:List*"],"Resource":"*"}]}`
	// denyGrowthTeam allows everything but denies callers tagged team=growth.
	denyGrowthTeam = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Sid":"NotGrowth","Effect":"Deny","Action":"*","Resource":"*",
		 "Condition":{"StringEquals":{"aws:PrincipalTag/team":"growth"}}}]}`
	// denyAfter2026 allows everything but denies once 2026 has begun, by
	// the server's clock.
	denyAfter2026 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Sid":"Expired","Effect":"Deny","Action":"*","Resource":"*",
		 "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}}]}`
	denyBefore2026 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Sid":"NotYet","Effect":"Deny","Action":"*","Resource":"*",
		 "Condition":{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}}]}`
)

// matched writes a matched statement compactly: "IDENTITY
// managed:CampaignManagers#NeverDeleteProduction DENY", with the level for
// SCPs ("SCP[1] scp:MarketingGuardrails#... DENY").
func matched(m *pdpv1.MatchedStatement) string {
	typ := strings.TrimPrefix(m.GetType().String(), "POLICY_TYPE_")
	if m.GetType() == pdpv1.PolicyType_POLICY_TYPE_SCP {
		typ += fmt.Sprintf("[%d]", m.GetLevel())
	}
	return fmt.Sprintf("%s %s#%s %s", typ, m.GetPolicy(), m.GetSid(), strings.TrimPrefix(m.GetEffect().String(), "EFFECT_"))
}

// TestCheckScenarios decides requests against examples/model whose
// outcomes follow from its policies; a few also check the explanation.
func TestCheckScenarios(t *testing.T) {
	t.Parallel()
	ts := newExampleServer(t)
	tests := []struct {
		name string
		req  *pdpv1.CheckRequest
		want pdpv1.Decision
		// With an explanation: statements that must be among those
		// matched, the exact missing keys, and whether it is cross-account.
		wantMatched  []string
		wantMissing  []string
		crossAccount bool
	}{
		// Same account: an identity policy allows, nothing denies.
		{name: "same account/analyst reads a segment",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast()},
			want: allow},
		{name: "same account/group policy reads an app",
			req:  &pdpv1.CheckRequest{Principal: bob, Action: "mobiletargeting:GetApp", Resource: retention, Context: usEast()},
			want: allow},
		{name: "same account/nothing allows deleting a segment",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:DeleteSegment", Resource: activeUsers, Context: usEast()},
			want: implicitDeny},

		// Explicit denies: in an identity policy and in an SCP.
		{name: "explicit deny/never delete production",
			req:  &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:DeleteCampaign", Resource: springSale, Context: usEast(), Explain: true},
			want: explicitDeny, wantMatched: []string{"IDENTITY managed:CampaignManagers#NeverDeleteProduction DENY"}, wantMissing: []string{}},
		{name: "explicit deny/SCP protects opt-out lists",
			req:  &pdpv1.CheckRequest{Principal: smsSender, Action: "sms-voice:DeleteOptOutList", Resource: optOutList, Context: usEast(), Explain: true},
			want: explicitDeny, wantMatched: []string{"SCP[1] scp:MarketingGuardrails#ProtectOptOutLists DENY"}},

		// Cross account: the partner's role reads a campaign of the growth
		// app, allowed by both its own policy and the app's resource policy.
		{name: "cross account/partner reads a shared campaign",
			req:  &pdpv1.CheckRequest{Principal: partner, Action: "mobiletargeting:GetCampaign", Resource: springSale, Explain: true},
			want: allow, crossAccount: true,
			wantMatched: []string{
				"IDENTITY managed:PartnerAnalyticsRead#ReadSharedCampaigns ALLOW",
				"RESOURCE resource:" + growthApp + "#PartnerReadsCampaigns ALLOW",
			}},
		{name: "cross account/partner may not read another app",
			req:  &pdpv1.CheckRequest{Principal: partner, Action: "mobiletargeting:GetCampaign", Resource: winBack},
			want: implicitDeny},
		{name: "cross account/resource policy alone does not share segments",
			req:  &pdpv1.CheckRequest{Principal: partner, Action: "mobiletargeting:GetSegment", Resource: activeUsers},
			want: implicitDeny},
		{name: "cross account/another role of the partner is not named",
			req:  &pdpv1.CheckRequest{Principal: "arn:aws:sts::444455556666:assumed-role/intern/x", Action: "mobiletargeting:GetCampaign", Resource: springSale},
			want: implicitDeny},

		// ABAC: CampaignManagers compares aws:ResourceTag/team, from the
		// model's resources, with aws:PrincipalTag/team, from its users.
		{name: "tags/alice of growth reads a growth campaign",
			req:  &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: usEast(), Explain: true},
			want: allow, wantMissing: []string{},
			wantMatched: []string{"IDENTITY managed:CampaignManagers#ManageOwnTeamCampaigns ALLOW", "BOUNDARY boundary:MarketingBoundary#PinpointOnly ALLOW"}},
		{name: "tags/bob of retention may not read a growth campaign",
			req:  &pdpv1.CheckRequest{Principal: bob, Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: usEast()},
			want: implicitDeny},
		{name: "tags/bob of retention reads a retention campaign",
			req:  &pdpv1.CheckRequest{Principal: bob, Action: "mobiletargeting:UpdateCampaign", Resource: winBack, Context: usEast()},
			want: allow},
		{name: "tags/alice of growth may not read a retention campaign",
			req:  &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign", Resource: winBack, Context: usEast()},
			want: implicitDeny},
		{name: "tags/not over plain HTTP",
			req:  &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: usEast("aws:SecureTransport", "false")},
			want: implicitDeny},
		{name: "tags/an unlisted campaign has no tags",
			req:  &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign", Resource: growthApp + "/campaigns/unlisted", Context: usEast(), Explain: true},
			want: implicitDeny, wantMissing: []string{"aws:ResourceTag/team"}},
		{name: "tags/the caller tags an unlisted campaign",
			req:  &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign", Resource: growthApp + "/campaigns/unlisted", Context: usEast("aws:ResourceTag/team", "growth")},
			want: allow},

		// Session policies narrow the role's permissions.
		{name: "session policy/analyst without one reads segments",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast()},
			want: allow},
		{name: "session policy/campaigns only: no segments",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast(), SessionPolicies: []string{campaignsOnly}},
			want: implicitDeny},
		{name: "session policy/campaigns only: campaigns",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: usEast(), SessionPolicies: []string{campaignsOnly}, Explain: true},
			want: allow, wantMatched: []string{"IDENTITY inline:role/analyst:ReadCampaigns# ALLOW", "SESSION session_policies[0]# ALLOW"}},
		{name: "session policy/does not add what the role lacks",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:DeleteSegment", Resource: activeUsers, Context: usEast(), SessionPolicies: []string{allButSegments}},
			want: implicitDeny},

		// Permissions boundary: the sms-sender role may look up carriers,
		// but its boundary allows only Send* and Describe* in sms-voice.
		{name: "boundary/sending is inside the boundary",
			req:  &pdpv1.CheckRequest{Principal: smsSender, Action: "sms-voice:SendTextMessage", Resource: smsPool, Context: usEast()},
			want: allow},
		{name: "boundary/describing is inside the boundary",
			req:  &pdpv1.CheckRequest{Principal: smsSender, Action: "sms-voice:DescribePools", Resource: "*", Context: usEast()},
			want: allow},
		{name: "boundary/carrier lookup is outside the boundary",
			req:  &pdpv1.CheckRequest{Principal: smsSender, Action: "sms-voice:CarrierLookup", Resource: "*", Context: usEast(), Explain: true},
			want: implicitDeny, wantMatched: []string{"IDENTITY managed:SmsSenders#LookUpCarriers ALLOW"}},
		{name: "boundary/sending from outside the office network",
			req:  &pdpv1.CheckRequest{Principal: smsSender, Action: "sms-voice:SendTextMessage", Resource: smsPool, Context: usEast("aws:SourceIp", "198.51.100.1")},
			want: implicitDeny},

		// SCP: the Marketing OU denies regions other than us-east-1 and
		// eu-west-1, even where identity policies allow.
		{name: "SCP/approved region",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast("aws:RequestedRegion", "eu-west-1")},
			want: allow},
		{name: "SCP/region outside the approved ones",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast("aws:RequestedRegion", "ap-south-1"), Explain: true},
			want: explicitDeny, wantMatched: []string{"SCP[1] scp:MarketingGuardrails#DenyOutsideApprovedRegions DENY"}},
		{name: "SCP/no region at all: a negated operator matches a missing key",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegment", Resource: activeUsers, Explain: true},
			want: explicitDeny, wantMatched: []string{"SCP[1] scp:MarketingGuardrails#DenyOutsideApprovedRegions DENY"}},
		{name: "SCP/partner account is outside the organization",
			req:  &pdpv1.CheckRequest{Principal: partner, Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: ctxMap("aws:RequestedRegion", "ap-south-1")},
			want: allow},

		// NotAction, in session policies the caller sends.
		{name: "NotAction/allow all but segments: campaign",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: usEast(), SessionPolicies: []string{allButSegments}},
			want: allow},
		{name: "NotAction/allow all but segments: segment",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegmentVersions", Resource: activeUsers, Context: usEast(), SessionPolicies: []string{allButSegments}},
			want: implicitDeny},
		{name: "NotAction/deny all but reads: read",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast(), SessionPolicies: []string{denyNonReads}},
			want: allow},
		{name: "NotAction/deny all but reads: write",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:DeleteSegment", Resource: activeUsers, Context: usEast(), SessionPolicies: []string{denyNonReads}, Explain: true},
			want: explicitDeny, wantMatched: []string{"SESSION session_policies[0]#ReadOnly DENY"}},

		// Derived keys: the clock, the role's tags, session tags over them.
		{name: "derived/aws:CurrentTime from the server clock: after",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast(), SessionPolicies: []string{denyAfter2026}},
			want: explicitDeny},
		{name: "derived/aws:CurrentTime from the server clock: before",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast(), SessionPolicies: []string{denyBefore2026}},
			want: allow},
		{name: "derived/role tag team=analytics",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast(), SessionPolicies: []string{denyGrowthTeam}},
			want: allow},
		{name: "derived/session tag team=growth overrides the role's",
			req:  &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast(), SessionPolicies: []string{denyGrowthTeam}, SessionTags: map[string]string{"team": "growth"}},
			want: explicitDeny},
		{name: "derived/sms-sender role tag team=growth",
			req:  &pdpv1.CheckRequest{Principal: smsSender, Action: "sms-voice:DescribePools", Resource: "*", Context: usEast(), SessionPolicies: []string{denyGrowthTeam}},
			want: explicitDeny},
		{name: "derived/session tag team=ops overrides sms-sender's growth",
			req:  &pdpv1.CheckRequest{Principal: smsSender, Action: "sms-voice:DescribePools", Resource: "*", Context: usEast(), SessionPolicies: []string{denyGrowthTeam}, SessionTags: map[string]string{"team": "ops"}},
			want: allow},

		// A principal the model does not know: the caller's context is
		// taken as given, principal tags included.
		{name: "unknown principal/caller's tag team=growth is used",
			req:  &pdpv1.CheckRequest{Principal: "arn:aws:sts::111122223333:assumed-role/ghost/s", Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast("aws:PrincipalTag/team", "growth"), SessionPolicies: []string{denyGrowthTeam}},
			want: explicitDeny},
		{name: "unknown principal/caller's tag team=retention is used",
			req:  &pdpv1.CheckRequest{Principal: "arn:aws:sts::111122223333:assumed-role/ghost/s", Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast("aws:PrincipalTag/team", "retention"), SessionPolicies: []string{denyGrowthTeam}, Explain: true},
			want: implicitDeny, wantMatched: []string{"SESSION session_policies[0]# ALLOW"}},
		{name: "unknown principal/a user with no policies",
			req:  &pdpv1.CheckRequest{Principal: stranger, Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast("aws:PrincipalTag/team", "growth", "aws:PrincipalArn", stranger)},
			want: implicitDeny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := ts.client.Check(t.Context(), tc.req)
			require.NoError(t, err, "Check")
			assert.Equal(t, tc.want, resp.GetDecision(), "decision (explanation %v)", resp.GetExplanation())
			assert.EqualValues(t, 1, resp.GetRevision(), "revision")
			ex := resp.GetExplanation()
			if !tc.req.GetExplain() {
				assert.Nil(t, ex, "explanation, asked for none")
				return
			}
			require.NotNil(t, ex, "explanation")
			var got []string
			for _, m := range ex.GetMatched() {
				got = append(got, matched(m))
			}
			for _, w := range tc.wantMatched {
				assert.Contains(t, got, w, "matched statements")
			}
			if tc.wantMissing != nil && !slices.Equal(ex.GetMissingKeys(), tc.wantMissing) {
				assert.Equal(t, tc.wantMissing, ex.GetMissingKeys(), "missing keys")
			}
			assert.Equal(t, tc.crossAccount, ex.GetCrossAccount(), "cross account")
		})
	}
}

// TestCheckDerivedKeysRejected checks that a caller may not give a key the
// server derives for the request, and names the key.
func TestCheckDerivedKeysRejected(t *testing.T) {
	t.Parallel()
	ts := newExampleServer(t)
	tests := []struct {
		name      string
		principal string
		resource  string
		key       string
	}{
		{name: "principal tag of a known user", principal: alice, resource: springSale, key: "aws:PrincipalTag/team"},
		{name: "principal tag of a known role session", principal: analyst, resource: activeUsers, key: "aws:PrincipalTag/team"},
		{name: "principal tag in another case", principal: bob, resource: springSale, key: "AWS:principaltag/Team"},
		// U+0130, the dotted capital I, lowers to an ASCII i without
		// folding to it: the engine reads this name as aws:principaltag/team.
		{name: "principal tag under a name that lowers to it", principal: alice, resource: springSale, key: "aws:Pr\u0130ncipalTag/team"},
		{name: "principal ARN of a known user", principal: alice, resource: springSale, key: "aws:PrincipalArn"},
		{name: "username of a known user", principal: bob, resource: springSale, key: "aws:username"},
		{name: "resource tag of a known resource", principal: stranger, resource: springSale, key: "aws:ResourceTag/env"},
		{name: "current time, known principal", principal: alice, resource: springSale, key: "aws:CurrentTime"},
		{name: "current time, unknown principal", principal: stranger, resource: growthApp + "/campaigns/unlisted", key: "aws:CurrentTime"},
		{name: "epoch time, unknown principal", principal: stranger, resource: "*", key: "aws:EpochTime"},
		{name: "current time under a name that lowers to it", principal: stranger, resource: "*", key: "aws:CurrentT\u0130me"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := &pdpv1.CheckRequest{Principal: tc.principal, Action: "mobiletargeting:GetCampaign", Resource: tc.resource,
				Context: usEast(tc.key, "2026-01-01T00:00:00Z")}
			resp, err := ts.client.Check(t.Context(), req)
			require.Error(t, err, "Check gave %v, want INVALID_ARGUMENT", resp.GetDecision())
			got := decodeError(err)
			assert.Equal(t, codes.InvalidArgument, got.Code, "error %v", got)
			assert.Equal(t, []string{"context[" + tc.key + "]"}, got.Fields, "error %v", got)
		})
	}
}
