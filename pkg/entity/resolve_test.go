package entity

import (
	"maps"
	"slices"
	"testing"

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
	if err != nil {
		t.Fatal(err)
	}
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
			if ok != tc.wantOK {
				t.Fatalf("Principal(%q) ok = %v, want %v", tc.arn, ok, tc.wantOK)
			}
			if !ok {
				return
			}
			if pp.ARN != tc.wantARN || pp.Kind != tc.wantKind || pp.Account != tc.wantARN[13:25] {
				t.Errorf("ARN, Kind, Account = %q, %q, %q; want %q, %q, %q", pp.ARN, pp.Kind, pp.Account,
					tc.wantARN, tc.wantKind, tc.wantARN[13:25])
			}
			if got := ids(pp.Identity); !slices.Equal(got, tc.wantIdentity) {
				t.Errorf("Identity = %q, want %q", got, tc.wantIdentity)
			}
			for _, d := range pp.Identity {
				if d.Type != engine.IdentityPolicy {
					t.Errorf("identity document %s has type %v", d.ID, d.Type)
				}
			}
			gotBoundary := ""
			if pp.Boundary != nil {
				gotBoundary = pp.Boundary.ID
				if pp.Boundary.Type != engine.BoundaryPolicy {
					t.Errorf("boundary has type %v", pp.Boundary.Type)
				}
			}
			if gotBoundary != tc.wantBoundary {
				t.Errorf("Boundary = %q, want %q", gotBoundary, tc.wantBoundary)
			}
			if !maps.Equal(pp.Tags, tc.wantTags) {
				t.Errorf("Tags = %v, want %v", pp.Tags, tc.wantTags)
			}
		})
	}
}

func TestResolveParsesOnce(t *testing.T) {
	t.Parallel()
	res, err := loadExamples(t).Resolve(loadCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := res.Principal("arn:aws:iam::111122223333:user/alice")
	sender, _ := res.Principal("arn:aws:iam::111122223333:role/service/sms-sender")
	bob, _ := res.Principal("arn:aws:iam::111122223333:user/bob")
	analyst, _ := res.Principal("arn:aws:iam::111122223333:role/analyst")
	if alice.Boundary != sender.Boundary {
		t.Error("two principals with one boundary got two documents")
	}
	if alice.Identity[0] != bob.Identity[0] {
		t.Error("a managed policy attached twice was parsed twice")
	}
	// The group's copy of SegmentReaders shares the statements of the
	// managed policy the analyst role attaches directly.
	if alice.Identity[1] == analyst.Identity[0] ||
		alice.Identity[1].Statements[0] != analyst.Identity[0].Statements[0] {
		t.Error("the group's copy of a managed policy does not share its parse")
	}
}

func TestResolveResource(t *testing.T) {
	t.Parallel()
	res, err := loadExamples(t).Resolve(loadCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
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
			if ok != tc.wantOK {
				t.Fatalf("Resource(%q) ok = %v, want %v", tc.arn, ok, tc.wantOK)
			}
			got := ""
			if doc != nil {
				got = doc.ID
				if doc.Type != engine.ResourcePolicy {
					t.Errorf("policy type %v", doc.Type)
				}
			}
			if got != tc.wantPolicy || !maps.Equal(tags, tc.wantTags) {
				t.Errorf("Resource(%q) = %q, %v; want %q, %v", tc.arn, got, tags, tc.wantPolicy, tc.wantTags)
			}
		})
	}
}

func TestResolveSCPChain(t *testing.T) {
	t.Parallel()
	res, err := loadExamples(t).Resolve(loadCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
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
			if ok != tc.wantOK {
				t.Fatalf("SCPChain(%q) ok = %v, want %v", tc.account, ok, tc.wantOK)
			}
			var got [][]string
			for _, level := range chain {
				got = append(got, ids(level))
				for _, d := range level {
					if d.Type != engine.SCPPolicy {
						t.Errorf("SCP %s has type %v", d.ID, d.Type)
					}
				}
			}
			if !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("SCPChain(%q) = %q, want %q", tc.account, got, tc.want)
			}
		})
	}
}

func TestResolveLists(t *testing.T) {
	t.Parallel()
	res, err := loadExamples(t).Resolve(loadCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Accounts(), []string{"111122223333", "444455556666"}; !slices.Equal(got, want) {
		t.Errorf("Accounts() = %q, want %q", got, want)
	}
	for name, list := range map[string][]string{"Principals": res.Principals(), "Resources": res.Resources()} {
		if len(list) == 0 || !slices.IsSorted(list) {
			t.Errorf("%s() = %q, want a sorted non-empty list", name, list)
		}
	}
	ps := res.Principals()
	for _, arn := range ps {
		if _, ok := res.Principal(arn); !ok {
			t.Errorf("Principal(%q) of Principals() not found", arn)
		}
	}
	ps[0] = "changed"
	if res.Principals()[0] == "changed" {
		t.Error("Principals() returns the Resolved's own slice")
	}
	if len(res.Warnings()) != 0 {
		t.Errorf("Warnings() = %v", res.Warnings())
	}
}
