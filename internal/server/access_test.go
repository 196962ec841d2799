package server_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/servertest"
)

// newAccessClient serves the access service of an examples/model server.
func newAccessClient(t *testing.T) (*servertest.Env, pdpv1.AccessServiceClient) {
	e := servertest.NewEnv(t, servertest.Options{})
	conn := dial(t, func(gs *grpc.Server) { server.NewAccess(e.Srv, e.St).Register(gs) })
	return e, pdpv1.NewAccessServiceClient(conn)
}

const smsSenderRole = "arn:aws:iam::111122223333:role/service/sms-sender"

func TestAccessWhoCanIsConditionalOnSourceIP(t *testing.T) {
	e, c := newAccessClient(t)
	req := &pdpv1.WhoCanRequest{Action: "sms-voice:SendTextMessage", Resource: smsPool, MinRevision: e.SeedRev}
	resp, err := c.WhoCan(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, e.SeedRev, resp.GetRevision())
	var sender *pdpv1.PrincipalAccess
	for _, p := range resp.GetPrincipals() {
		if p.GetPrincipal() == smsSenderRole {
			sender = p
		}
	}
	require.NotNil(t, sender, "sms-sender missing from %v", resp.GetPrincipals())
	assert.Equal(t, "Role", sender.GetKind())
	ans := sender.GetAnswer()
	require.Equal(t, pdpv1.Access_ACCESS_CONDITIONAL, ans.GetAccess())
	// The guardrail SCP's region condition and the policy's source IP
	// condition decide.
	var terms []string
	for _, c := range ans.GetConditions() {
		terms = append(terms, c.GetOperator()+" "+c.GetKey()+" "+strings.Join(c.GetValues(), ","))
	}
	assert.Equal(t, []string{"StringNotEquals aws:RequestedRegion us-east-1,eu-west-1",
		"IpAddress aws:SourceIp 203.0.113.0/24,2001:db8::/32"}, terms)
	require.NotEmpty(t, ans.GetAllowedWhen())

	// Fixing the keys decides it.
	req.Context = map[string]*pdpv1.ContextValue{"aws:SourceIp": str("203.0.113.9"), "aws:RequestedRegion": str("us-east-1")}
	resp, err = c.WhoCan(t.Context(), req)
	require.NoError(t, err)
	found := false
	for _, p := range resp.GetPrincipals() {
		if p.GetPrincipal() == smsSenderRole {
			found = true
			assert.Equal(t, pdpv1.Access_ACCESS_ALLOWED, p.GetAnswer().GetAccess())
		}
	}
	assert.True(t, found)
	req.Context = map[string]*pdpv1.ContextValue{"aws:SourceIp": str("198.51.100.1"), "aws:RequestedRegion": str("us-east-1")}
	req.IncludeDenied = true
	resp, err = c.WhoCan(t.Context(), req)
	require.NoError(t, err)
	for _, p := range resp.GetPrincipals() {
		if p.GetPrincipal() == smsSenderRole {
			assert.Equal(t, pdpv1.Access_ACCESS_IMPLICIT_DENY, p.GetAnswer().GetAccess())
		}
	}
}

func TestAccessPagesAndLists(t *testing.T) {
	e, c := newAccessClient(t)
	var all []string
	token := ""
	for range 20 {
		resp, err := c.WhoCan(t.Context(), &pdpv1.WhoCanRequest{Action: "mobiletargeting:GetCampaign",
			Resource:      "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/campaigns/spring-sale",
			IncludeDenied: true, PageSize: 2, PageToken: token})
		require.NoError(t, err)
		for _, p := range resp.GetPrincipals() {
			all = append(all, p.GetPrincipal())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	require.Empty(t, token)
	assert.IsIncreasing(t, all)
	assert.Greater(t, len(all), 2)

	what, err := c.WhatCan(t.Context(), &pdpv1.WhatCanRequest{Principal: smsSender, Resource: smsPool})
	require.NoError(t, err)
	assert.Equal(t, e.SeedRev, what.GetRevision())
	require.NotEmpty(t, what.GetActions())
	scopes, err := c.WhatCan(t.Context(), &pdpv1.WhatCanRequest{Principal: smsSender})
	require.NoError(t, err)
	require.NotEmpty(t, scopes.GetScopes())

	which, err := c.WhichResources(t.Context(), &pdpv1.WhichResourcesRequest{Principal: smsSender, Action: "sms-voice:SendTextMessage"})
	require.NoError(t, err)
	require.NotEmpty(t, which.GetResources())
	assert.NotEmpty(t, which.GetUnlisted())
}

func TestAccessImpactOfDeletingAUser(t *testing.T) {
	e, c := newAccessClient(t)
	alice := "arn:aws:iam::111122223333:user/alice"
	resp, err := c.Impact(t.Context(), &pdpv1.ImpactRequest{Changes: []*pdpv1.Change{servertest.DeleteChange(servertest.UserKey(alice))}})
	require.NoError(t, err)
	assert.Equal(t, e.SeedRev, resp.GetFromRevision())
	require.Positive(t, resp.GetTotal())
	assert.Positive(t, resp.GetLost())
	assert.Zero(t, resp.GetGained())
	require.Len(t, resp.GetByPrincipal(), 1)
	assert.Equal(t, alice, resp.GetByPrincipal()[0].GetKey())
	for _, ch := range resp.GetChanges() {
		assert.Equal(t, pdpv1.Access_ACCESS_IMPLICIT_DENY, ch.GetAfter())
	}

	// The same change applied is seen between two revisions.
	rev := e.Apply(t, "remove alice", servertest.DeleteChange(servertest.UserKey(alice)))
	byRev, err := c.Impact(t.Context(), &pdpv1.ImpactRequest{FromRevision: e.SeedRev, ToRevision: rev})
	require.NoError(t, err)
	assert.Equal(t, resp.GetTotal(), byRev.GetTotal())
	assert.Equal(t, rev, byRev.GetToRevision())
}

func TestAccessRefusesBadInput(t *testing.T) {
	_, c := newAccessClient(t)
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"unknown action", func() error {
			_, err := c.WhoCan(t.Context(), &pdpv1.WhoCanRequest{Action: "mobiletargeting:GetCampaignz", Resource: "*"})
			return err
		}, "action"},
		{"derived key", func() error {
			_, err := c.WhoCan(t.Context(), &pdpv1.WhoCanRequest{Action: "mobiletargeting:GetApp", Resource: "*",
				Context: map[string]*pdpv1.ContextValue{"aws:PrincipalTag/team": str("x")}})
			return err
		}, "context"},
		{"unknown principal", func() error {
			_, err := c.WhatCan(t.Context(), &pdpv1.WhatCanRequest{Principal: "arn:aws:iam::111122223333:user/nobody"})
			return err
		}, "principal"},
		{"bad page size", func() error {
			_, err := c.WhichResources(t.Context(), &pdpv1.WhichResourcesRequest{Principal: smsSender, Action: "sms-voice:SendTextMessage", PageSize: -1})
			return err
		}, "page_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			st, ok := status.FromError(err)
			require.True(t, ok)
			require.Equal(t, codes.InvalidArgument, st.Code(), st.Message())
			var br *errdetails.BadRequest
			for _, d := range st.Details() {
				if b, ok := d.(*errdetails.BadRequest); ok {
					br = b
				}
			}
			require.NotNil(t, br)
			assert.Equal(t, tt.field, br.GetFieldViolations()[0].GetField())
		})
	}
}

// TestAccessRefusesBadPageTokens: a page token is the cursor its listing
// issued (for WhoCan the ARN of a user or role, for WhichResources the ARN
// of a resource), bounded; anything else is INVALID_ARGUMENT naming
// page_token instead of a page that silently skips results.
func TestAccessRefusesBadPageTokens(t *testing.T) {
	t.Parallel()
	e, c := newAccessClient(t)
	const campaign = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/campaigns/spring-sale"
	whoCan := func(token string) error {
		_, err := c.WhoCan(t.Context(), &pdpv1.WhoCanRequest{Action: "mobiletargeting:GetCampaign", Resource: campaign,
			PageSize: 2, PageToken: token, MinRevision: e.SeedRev})
		return err
	}
	whichResources := func(token string) error {
		_, err := c.WhichResources(t.Context(), &pdpv1.WhichResourcesRequest{Principal: smsSender, Action: "sms-voice:SendTextMessage",
			PageSize: 2, PageToken: token, MinRevision: e.SeedRev})
		return err
	}
	tests := []struct {
		name    string
		call    func(string) error
		token   string
		wantErr string // part of the violation's description; "" for OK
	}{
		{name: "who can: garbage", call: whoCan, token: "zzz", wantErr: `malformed page token "zzz"`},
		{name: "who can: huge", call: whoCan, token: strings.Repeat("a", 5000), wantErr: "5000 bytes is over the limit"},
		{name: "who can: control characters", call: whoCan, token: "\u0001\n", wantErr: "malformed page token"},
		{name: "who can: resource ARN", call: whoCan, token: campaign, wantErr: "the ARN of a user or role"},
		{name: "who can: group ARN", call: whoCan, token: "arn:aws:iam::111122223333:group/marketing", wantErr: "the ARN of a user or role"},
		{name: "who can: session ARN", call: whoCan, token: "arn:aws:sts::111122223333:assumed-role/analyst/s1", wantErr: "the ARN of a user or role"},
		{name: "who can: user ARN", call: whoCan, token: "arn:aws:iam::111122223333:user/alice"},
		{name: "who can: role ARN with a path", call: whoCan, token: smsSenderRole},
		{name: "who can: user no longer in the model", call: whoCan, token: "arn:aws:iam::111122223333:user/gone"},
		{name: "which resources: garbage", call: whichResources, token: "zzz", wantErr: `malformed page token "zzz"`},
		{name: "which resources: huge", call: whichResources, token: "arn:aws:s3:::" + strings.Repeat("b", 5000), wantErr: "over the limit"},
		{name: "which resources: control characters", call: whichResources, token: "arn:aws:s3:::a\u0001\n", wantErr: "the ARN of a resource"},
		{name: "which resources: resource ARN", call: whichResources, token: smsPool},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.call(tc.token)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			got := decodeError(err)
			assert.Equal(t, codes.InvalidArgument, got.Code, "%v", got)
			assert.Equal(t, []string{"page_token"}, got.Fields, "%v", got)
			assert.Contains(t, got.Msg, tc.wantErr, "%v", got)
		})
	}
}
