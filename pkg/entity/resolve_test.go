package entity

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/engine"
)

func ids(docs []*engine.Document) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out
}

func TestResolvePrincipal(t *testing.T) {
	t.Parallel()
	res, err := loadExamples(t).Resolve(loadCatalog(t))
	require.NoError(t, err)
	tests := []struct {
		name, arn    string
		wantOK       bool
		wantARN      string
		wantKind     string
		wantIdentity []string
		wantBoundary string
		wantTags     map[string]string
	}{
		{
			name: "user with a group and a boundary", arn: "arn:aws:iam::111122223333:user/alice", wantOK: true,
			wantARN: "arn:aws:iam::111122223333:user/alice", wantKind: KindUser,
			wantIdentity: []string{"managed:CampaignManagers", "group:marketing:managed:SegmentReaders", "group:marketing:inline:ListApps"},
			wantBoundary: "boundary:MarketingBoundary", wantTags: map[string]string{"team": "growth"},
		},
		{
			name: "user with an inline policy from a file", arn: "arn:aws:iam::111122223333:user/bob", wantOK: true,
			wantARN: "arn:aws:iam::111122223333:user/bob", wantKind: KindUser,
			wantIdentity: []string{"managed:CampaignManagers", "inline:user/bob:ManageRetentionJourneys",
				"group:marketing:managed:SegmentReaders", "group:marketing:inline:ListApps"},
			wantTags: map[string]string{"team": "retention"},
		},
		{
			name: "session of a role with a path", arn: "arn:aws:sts::111122223333:assumed-role/sms-sender/worker-7", wantOK: true,
			wantARN: "arn:aws:iam::111122223333:role/service/sms-sender", wantKind: KindRole,
			wantIdentity: []string{"managed:SmsSenders"}, wantBoundary: "boundary:MarketingBoundary",
			wantTags: map[string]string{"team": "growth"},
		},
		{
			name: "role ARN with its path", arn: "arn:aws:iam::111122223333:role/service/sms-sender", wantOK: true,
			wantARN: "arn:aws:iam::111122223333:role/service/sms-sender", wantKind: KindRole,
			wantIdentity: []string{"managed:SmsSenders"}, wantBoundary: "boundary:MarketingBoundary",
			wantTags: map[string]string{"team": "growth"},
		},
		{
			name: "role with managed and inline policies", arn: "arn:aws:iam::111122223333:role/analyst", wantOK: true,
			wantARN: "arn:aws:iam::111122223333:role/analyst", wantKind: KindRole,
			wantIdentity: []string{"managed:SegmentReaders", "managed:AnalyticsReadOnly", "inline:role/analyst:ReadCampaigns"},
			wantTags:     map[string]string{"team": "analytics"},
		},
		{
			name: "partner role", arn: "arn:aws:sts::444455556666:assumed-role/partner-analytics/nightly", wantOK: true,
			wantARN: "arn:aws:iam::444455556666:role/partner-analytics", wantKind: KindRole,
			wantIdentity: []string{"managed:PartnerAnalyticsRead"}, wantTags: map[string]string{"partner": "acme-analytics"},
		},
		{name: "unknown user", arn: "arn:aws:iam::111122223333:user/mallory"},
		{name: "a user is not a role", arn: "arn:aws:iam::111122223333:role/alice"},
		{name: "session in another account", arn: "arn:aws:sts::444455556666:assumed-role/sms-sender/x"},
		{name: "other partition", arn: "arn:aws-cn:iam::111122223333:user/alice"},
		{name: "session without a session name", arn: "arn:aws:sts::111122223333:assumed-role/sms-sender"},
		{name: "names match exactly", arn: "arn:aws:iam::111122223333:user/Alice"},
		{name: "not an ARN", arn: "alice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pp, ok := res.Principal(tc.arn)
			require.Equal(t, tc.wantOK, ok, "Principal(%q) found", tc.arn)
			if !ok {
				return
			}
			assert.Equal(t, tc.wantARN, pp.ARN, "ARN")
			assert.Equal(t, tc.wantKind, pp.Kind, "Kind")
			assert.Equal(t, tc.wantARN[13:25], pp.Account, "Account")
			assertElements(t, tc.wantIdentity, ids(pp.Identity), "Identity")
			for _, d := range pp.Identity {
				assert.Equal(t, engine.IdentityPolicy, d.Type, "type of identity document %s", d.ID)
			}
			gotBoundary := ""
			if pp.Boundary != nil {
				gotBoundary = pp.Boundary.ID
				assert.Equal(t, engine.BoundaryPolicy, pp.Boundary.Type, "type of the boundary")
			}
			assert.Equal(t, tc.wantBoundary, gotBoundary, "Boundary")
			assertElements(t, tc.wantTags, pp.Tags, "Tags")
		})
	}
}

func TestResolveParsesOnce(t *testing.T) {
	t.Parallel()
	res, err := loadExamples(t).Resolve(loadCatalog(t))
	require.NoError(t, err)
	alice, _ := res.Principal("arn:aws:iam::111122223333:user/alice")
	sender, _ := res.Principal("arn:aws:iam::111122223333:role/service/sms-sender")
	bob, _ := res.Principal("arn:aws:iam::111122223333:user/bob")
	analyst, _ := res.Principal("arn:aws:iam::111122223333:role/analyst")
	assert.Same(t, sender.Boundary, alice.Boundary, "two principals with one boundary got two documents")
	assert.Same(t, bob.Identity[0], alice.Identity[0], "a managed policy attached twice was parsed twice")
	// The group's copy of SegmentReaders shares the statements of the
	// managed policy the analyst role attaches directly.
	assert.NotSame(t, analyst.Identity[0], alice.Identity[1], "the group's copy of a managed policy is the policy itself")
	assert.Same(t, analyst.Identity[0].Statements[0], alice.Identity[1].Statements[0],
		"the group's copy of a managed policy does not share its parse")
}

func TestResolveResource(t *testing.T) {
	t.Parallel()
	res, err := loadExamples(t).Resolve(loadCatalog(t))
	require.NoError(t, err)
	const app = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app"
	tests := []struct {
		name, arn  string
		wantOK     bool
		wantPolicy string
		wantTags   map[string]string
	}{
		{"resource with a policy and tags", app, true, "resource:" + app, map[string]string{"team": "growth", "env": "prod"}},
		{"campaign under the app: the app's policy, its own tags", app + "/campaigns/spring-sale", true,
			"resource:" + app, map[string]string{"team": "growth", "env": "prod"}},
		{"undeclared resource under the app: the app's policy, no tags", app + "/campaigns/other", true,
			"resource:" + app, nil},
		{"resource without a policy", "arn:aws:mobiletargeting:us-east-1:111122223333:apps/retention-app", true,
			"", map[string]string{"team": "retention", "env": "prod"}},
		{"SMS pool", "arn:aws:sms-voice:us-east-1:111122223333:pool/pool-marketing", true, "",
			map[string]string{"team": "growth", "env": "prod"}},
		{"a prefix is not a parent", app + "-v2", false, "", nil},
		{"unknown resource", "arn:aws:sms-voice:us-east-1:111122223333:pool/other", false, "", nil},
		{"wildcard resource", "*", false, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc, tags, ok := res.Resource(tc.arn)
			require.Equal(t, tc.wantOK, ok, "Resource(%q) found", tc.arn)
			got := ""
			if doc != nil {
				got = doc.ID
				assert.Equal(t, engine.ResourcePolicy, doc.Type, "policy type")
			}
			assert.Equal(t, tc.wantPolicy, got, "Resource(%q) policy", tc.arn)
			assertElements(t, tc.wantTags, tags, "Resource(%q) tags", tc.arn)
		})
	}
}

func TestResolveSCPChain(t *testing.T) {
	t.Parallel()
	res, err := loadExamples(t).Resolve(loadCatalog(t))
	require.NoError(t, err)
	tests := []struct {
		name, account string
		wantOK        bool
		want          [][]string
	}{
		{"account in the organization", "111122223333", true,
			[][]string{{"scp:FullAWSAccess"}, {"scp:FullAWSAccess", "scp:MarketingGuardrails"}, {"scp:FullAWSAccess"}}},
		{"account outside any organization", "444455556666", true, nil},
		{"undeclared account", "999988887777", false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			chain, ok := res.SCPChain(tc.account)
			require.Equal(t, tc.wantOK, ok, "SCPChain(%q) found", tc.account)
			var got [][]string
			for _, level := range chain {
				got = append(got, ids(level))
				for _, d := range level {
					assert.Equal(t, engine.SCPPolicy, d.Type, "type of SCP %s", d.ID)
				}
			}
			assertElements(t, tc.want, got, "SCPChain(%q)", tc.account)
		})
	}
}

func TestResolveLists(t *testing.T) {
	t.Parallel()
	res, err := loadExamples(t).Resolve(loadCatalog(t))
	require.NoError(t, err)
	assert.Equal(t, []string{"111122223333", "444455556666"}, res.Accounts(), "Accounts()")
	for name, list := range map[string][]string{"Principals": res.Principals(), "Resources": res.Resources()} {
		assert.NotEmpty(t, list, "%s()", name)
		assert.True(t, slices.IsSorted(list), "%s() = %q, want a sorted list", name, list)
	}
	ps := res.Principals()
	for _, arn := range ps {
		_, ok := res.Principal(arn)
		assert.True(t, ok, "Principal(%q) of Principals() not found", arn)
	}
	ps[0] = "changed"
	assert.NotEqual(t, "changed", res.Principals()[0], "Principals() returns the Resolved's own slice")
	assert.Empty(t, res.Warnings(), "Warnings()")
}
