package catalog_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// corpusARNs are request action/resource pairs of the public conformance
// corpus (../shared/conformance/public.jsonl), one for each resource type it
// uses. Each ARN fits exactly one resource type of its action.
var corpusARNs = []struct {
	action, arn, wantType string
}{
	{action: "mobiletargeting:ListJourneys", arn: "arn:aws:mobiletargeting:ap-southeast-2:111122223333:apps/f00dcafe0000beef", wantType: "app"},
	{action: "mobiletargeting:GetApplicationDateRangeKpi", arn: "arn:aws:mobiletargeting:eu-west-1:111122223333:apps/ProdApp01/kpis/daterange/successful-delivery-rate", wantType: "application-metrics"},
	{action: "mobiletargeting:RemoveAttributes", arn: "arn:aws:mobiletargeting:ap-southeast-2:111122223333:apps/ProdApp01/attributes/endpoint-custom-attributes", wantType: "attribute"},
	{action: "mobiletargeting:UpdateCampaign", arn: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/a1b2c3d4e5f60718293a4b5c6d7e8f90/campaigns/7d9e0a1b2c3d", wantType: "campaign"},
	{action: "mobiletargeting:GetCampaignDateRangeKpi", arn: "arn:aws:mobiletargeting:ap-southeast-2:111122223333:apps/abc123/campaigns/7d9e0a1b2c3d/kpis/daterange/email-open-rate", wantType: "campaign-metrics"},
	{action: "mobiletargeting:UpdateBaiduChannel", arn: "arn:aws:mobiletargeting:eu-west-1:111122223333:apps/a1b2c3d4e5f60718293a4b5c6d7e8f90/channels/email", wantType: "channel"},
	{action: "mobiletargeting:GetChannels", arn: "arn:aws:mobiletargeting:ap-southeast-2:111122223333:apps/abc123/channels", wantType: "channels"},
	{action: "mobiletargeting:DeleteEndpoint", arn: "arn:aws:mobiletargeting:eu-west-1:111122223333:apps/abc123/endpoints/ep-001", wantType: "endpoint"},
	{action: "mobiletargeting:DeleteEventStream", arn: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc123/eventstream", wantType: "event-stream"},
	{action: "mobiletargeting:PutEvents", arn: "arn:aws:mobiletargeting:eu-west-1:111122223333:apps/a1b2c3d4e5f60718293a4b5c6d7e8f90/events", wantType: "events"},
	{action: "mobiletargeting:GetExportJob", arn: "arn:aws:mobiletargeting:ap-southeast-2:111122223333:apps/a1b2c3d4e5f60718293a4b5c6d7e8f90/jobs/export/a0b1c2", wantType: "export-job"},
	{action: "mobiletargeting:GetImportJob", arn: "arn:aws:mobiletargeting:eu-west-1:111122223333:apps/a1b2c3d4e5f60718293a4b5c6d7e8f90/jobs/import/a0b1c2", wantType: "import-job"},
	{action: "mobiletargeting:UpdateJourneyState", arn: "arn:aws:mobiletargeting:ap-southeast-2:111122223333:apps/f00dcafe0000beef/journeys/journey-onboarding", wantType: "journey"},
	{action: "mobiletargeting:GetJourneyExecutionActivityMetrics", arn: "arn:aws:mobiletargeting:ap-southeast-2:111122223333:apps/a1b2c3d4e5f60718293a4b5c6d7e8f90/journeys/5c6d7e8f/activities/Wait_2/execution-metrics", wantType: "journey-execution-activity-metrics"},
	{action: "mobiletargeting:GetJourneyExecutionMetrics", arn: "arn:aws:mobiletargeting:eu-west-1:111122223333:apps/abc123/journeys/journey-onboarding/execution-metrics", wantType: "journey-execution-metrics"},
	{action: "mobiletargeting:GetJourneyDateRangeKpi", arn: "arn:aws:mobiletargeting:ap-southeast-2:111122223333:apps/f00dcafe0000beef/journeys/5c6d7e8f/kpis/daterange/successful-delivery-rate", wantType: "journey-metrics"},
	{action: "mobiletargeting:CreateJourney", arn: "arn:aws:mobiletargeting:eu-west-1:111122223333:apps/ProdApp01/journeys", wantType: "journeys"},
	{action: "mobiletargeting:SendMessages", arn: "arn:aws:mobiletargeting:ap-southeast-2:111122223333:apps/a1b2c3d4e5f60718293a4b5c6d7e8f90/messages", wantType: "messages"},
	{action: "mobiletargeting:SendOTPMessage", arn: "arn:aws:mobiletargeting:us-west-2:111122223333:apps/abc123/otp", wantType: "otp"},
	{action: "mobiletargeting:PhoneNumberValidate", arn: "arn:aws:mobiletargeting:us-east-1:111122223333:phone/number/validate", wantType: "phone-number-validate"},
	{action: "mobiletargeting:UpdateRecommenderConfiguration", arn: "arn:aws:mobiletargeting:ap-southeast-2:111122223333:recommenders/rec-1", wantType: "recommender"},
	{action: "mobiletargeting:GetReports", arn: "arn:aws:mobiletargeting:eu-west-1:111122223333:reports", wantType: "reports"},
	{action: "mobiletargeting:UpdateSegment", arn: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/f00dcafe0000beef/segments/seg1", wantType: "segment"},
	{action: "mobiletargeting:ListTemplateVersions", arn: "arn:aws:mobiletargeting:us-east-1:111122223333:templates/welcome/SMS", wantType: "template"},
	{action: "mobiletargeting:ListTemplates", arn: "arn:aws:mobiletargeting:us-west-2:111122223333:templates", wantType: "templates"},
	{action: "mobiletargeting:DeleteUserEndpoints", arn: "arn:aws:mobiletargeting:us-east-1:111122223333:apps/ProdApp01/users/user-42", wantType: "user"},
	{action: "mobiletargeting:VerifyOTPMessage", arn: "arn:aws:mobiletargeting:eu-west-1:111122223333:apps/ProdApp01/verify-otp", wantType: "verify-otp"},
	{action: "sms-voice:DeleteDefaultSenderId", arn: "arn:aws:sms-voice:ap-southeast-2:111122223333:configuration-set/marketing", wantType: "ConfigurationSet"},
	{action: "sms-voice:PutMessageFeedback", arn: "arn:aws:sms-voice:eu-west-1:444455556666:message/msg-0123456789", wantType: "Message"},
	{action: "sms-voice:DeleteNotifyConfiguration", arn: "arn:aws:sms-voice:ap-southeast-2:111122223333:notify-configuration/notify-01", wantType: "NotifyConfiguration"},
	{action: "sms-voice:PutOptedOutNumber", arn: "arn:aws:sms-voice:us-east-1:111122223333:opt-out-list/Default", wantType: "OptOutList"},
	{action: "sms-voice:ReleasePhoneNumber", arn: "arn:aws:sms-voice:ap-southeast-2:111122223333:phone-number/phone-0123456789abcdef", wantType: "PhoneNumber"},
	{action: "sms-voice:DescribeKeywords", arn: "arn:aws:sms-voice:us-east-1:111122223333:pool/pool-0123abcd", wantType: "Pool"},
	{action: "sms-voice:SetAccountDefaultProtectConfiguration", arn: "arn:aws:sms-voice:eu-west-1:111122223333:protect-configuration/protect-01", wantType: "ProtectConfiguration"},
	{action: "sms-voice:DescribeRcsAgents", arn: "arn:aws:sms-voice:eu-west-1:111122223333:rcs-agent/rcs-99", wantType: "RcsAgent"},
	{action: "sms-voice:CreateRegistrationVersion", arn: "arn:aws:sms-voice:us-east-1:111122223333:registration/registration-01", wantType: "Registration"},
	{action: "sms-voice:DescribeRegistrationAttachments", arn: "arn:aws:sms-voice:ap-southeast-2:111122223333:registration-attachment/att-9", wantType: "RegistrationAttachment"},
	{action: "sms-voice:DescribeSenderIds", arn: "arn:aws:sms-voice:eu-west-1:111122223333:sender-id/MyCompany/GB", wantType: "SenderId"},
	{action: "sms-voice:VerifyDestinationNumber", arn: "arn:aws:sms-voice:ap-southeast-2:111122223333:verified-destination-number/verified-01", wantType: "VerifiedDestinationNumber"},
}

func TestMatchesCorpusARNs(t *testing.T) {
	t.Parallel()
	c := load(t)
	for _, tc := range corpusARNs {
		t.Run(tc.action, func(t *testing.T) {
			t.Parallel()
			a, ok := c.Action(tc.action)
			require.True(t, ok, "Action(%q) not found", tc.action)
			var fits []string
			for _, ar := range a.ResourceTypes {
				if ar.Type.Matches(tc.arn) {
					fits = append(fits, ar.Type.Name)
				}
			}
			assert.Equal(t, []string{tc.wantType}, fits, "the types of %s that %s fits", tc.action, tc.arn)
			if ar, ok := a.ResourceFor(tc.arn); assert.True(t, ok, "ResourceFor(%q) found nothing", tc.arn) {
				assert.Equal(t, tc.wantType, ar.Type.Name, "ResourceFor(%q)", tc.arn)
			}
			// A concrete ARN used as a Resource pattern overlaps its own type.
			rt := resourceType(t, c, a.Service.Prefix, tc.wantType)
			assert.True(t, rt.Overlaps(tc.arn), "%s.Overlaps(%q)", tc.wantType, tc.arn)
		})
	}
}

func resourceType(t *testing.T, c *catalog.Catalog, prefix, name string) *catalog.ResourceType {
	t.Helper()
	s, ok := c.Service(prefix)
	require.True(t, ok, "Service(%q) not found", prefix)
	rt, ok := s.ResourceType(name)
	require.True(t, ok, "%s.ResourceType(%q) not found", prefix, name)
	return rt
}

func TestMatches(t *testing.T) {
	t.Parallel()
	c := load(t)
	const acct = "arn:aws:mobiletargeting:us-east-1:111122223333:"
	tests := []struct {
		name, prefix, typ, arn string
		want                   bool
	}{
		{name: "app", prefix: "mobiletargeting", typ: "app", arn: acct + "apps/abc123", want: true},
		{name: "other partition", prefix: "mobiletargeting", typ: "app", arn: "arn:aws-cn:mobiletargeting:cn-north-1:111122223333:apps/abc123", want: true},
		{name: "id with star is literal", prefix: "mobiletargeting", typ: "app", arn: acct + "apps/a*c", want: true},
		{name: "empty id", prefix: "mobiletargeting", typ: "app", arn: acct + "apps/"},
		{name: "id with slash", prefix: "mobiletargeting", typ: "app", arn: acct + "apps/abc/def"},
		{name: "id with colon", prefix: "mobiletargeting", typ: "app", arn: acct + "apps/abc:def"},
		{name: "trailing slash", prefix: "mobiletargeting", typ: "app", arn: acct + "apps/abc123/"},
		{name: "resource case", prefix: "mobiletargeting", typ: "app", arn: acct + "Apps/abc123"},
		{name: "service case", prefix: "mobiletargeting", typ: "app", arn: "arn:aws:MobileTargeting:us-east-1:111122223333:apps/abc123"},
		{name: "other service", prefix: "mobiletargeting", typ: "app", arn: "arn:aws:sms-voice:us-east-1:111122223333:apps/abc123"},
		{name: "empty region", prefix: "mobiletargeting", typ: "app", arn: "arn:aws:mobiletargeting::111122223333:apps/abc123"},
		{name: "empty account", prefix: "mobiletargeting", typ: "app", arn: "arn:aws:mobiletargeting:us-east-1::apps/abc123"},
		{name: "missing arn", prefix: "mobiletargeting", typ: "app", arn: "aws:mobiletargeting:us-east-1:111122223333:apps/abc123"},
		{name: "empty", prefix: "mobiletargeting", typ: "app", arn: ""},
		{name: "star", prefix: "mobiletargeting", typ: "app", arn: "*"},
		{name: "fixed resource", prefix: "mobiletargeting", typ: "reports", arn: acct + "reports", want: true},
		{name: "fixed resource longer", prefix: "mobiletargeting", typ: "reports", arn: acct + "reportsx"},
		{name: "two placeholders", prefix: "sms-voice", typ: "SenderId", arn: "arn:aws:sms-voice:us-east-1:111122223333:sender-id/MyCompany/US", want: true},
		{name: "one of two placeholders", prefix: "sms-voice", typ: "SenderId", arn: "arn:aws:sms-voice:us-east-1:111122223333:sender-id/MyCompany"},
		// The literal '*' of "apps/*" stands for one or more characters other than ':'.
		{name: "apps literal star", prefix: "mobiletargeting", typ: "apps", arn: acct + "apps/*", want: true},
		{name: "apps any id", prefix: "mobiletargeting", typ: "apps", arn: acct + "apps/abc123", want: true},
		{name: "apps deeper path", prefix: "mobiletargeting", typ: "apps", arn: acct + "apps/abc123/campaigns/c1", want: true},
		{name: "apps nothing after slash", prefix: "mobiletargeting", typ: "apps", arn: acct + "apps/"},
		{name: "apps without slash", prefix: "mobiletargeting", typ: "apps", arn: acct + "apps"},
		{name: "apps colon", prefix: "mobiletargeting", typ: "apps", arn: acct + "apps/a:b"},
		{name: "recommenders", prefix: "mobiletargeting", typ: "recommenders", arn: acct + "recommenders/*", want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt := resourceType(t, c, tc.prefix, tc.typ)
			assert.Equal(t, tc.want, rt.Matches(tc.arn), "%s.Matches(%q)", tc.typ, tc.arn)
		})
	}
}

func TestMatchesDoesNotAllocate(t *testing.T) {
	c := load(t)
	rt := resourceType(t, c, "mobiletargeting", "journey-execution-activity-metrics")
	arn := "arn:aws:mobiletargeting:eu-west-1:111122223333:apps/ProdApp01/journeys/5c6d7e8f/activities/act1/execution-metrics"
	assert.Zero(t, testing.AllocsPerRun(100, func() { rt.Matches(arn) }), "allocations of Matches")
}

func TestOverlaps(t *testing.T) {
	t.Parallel()
	c := load(t)
	const mt = "arn:aws:mobiletargeting:"
	const sv = "arn:aws:sms-voice:"
	tests := []struct {
		name, prefix, typ, pattern string
		want                       bool
	}{
		{name: "star", prefix: "mobiletargeting", typ: "app", pattern: "*", want: true},
		{name: "stars", prefix: "mobiletargeting", typ: "app", pattern: "***", want: true},
		{name: "concrete", prefix: "mobiletargeting", typ: "app", pattern: mt + "us-east-1:111122223333:apps/abc123", want: true},
		{name: "region star", prefix: "mobiletargeting", typ: "app", pattern: mt + "*:111122223333:apps/abc123", want: true},
		{name: "every app", prefix: "mobiletargeting", typ: "app", pattern: mt + "*:111122223333:apps/*", want: true},
		{name: "under an app is not an app", prefix: "mobiletargeting", typ: "app", pattern: mt + "*:111122223333:apps/abc123/*"},
		{name: "under an app: campaign", prefix: "mobiletargeting", typ: "campaign", pattern: mt + "*:111122223333:apps/abc123/*", want: true},
		{name: "segments are not campaigns", prefix: "mobiletargeting", typ: "campaign", pattern: mt + "us-east-1:111122223333:apps/abc123/segments/*"},
		{name: "segments", prefix: "mobiletargeting", typ: "segment", pattern: mt + "us-east-1:111122223333:apps/abc123/segments/*", want: true},
		{name: "star spans colons", prefix: "sms-voice", typ: "Pool", pattern: "arn:*:pool/abc", want: true},
		{name: "service star", prefix: "sms-voice", typ: "Pool", pattern: sv + "*", want: true},
		{name: "other service", prefix: "mobiletargeting", typ: "app", pattern: sv + "us-east-1:111122223333:pool/*"},
		{name: "service case", prefix: "sms-voice", typ: "Pool", pattern: "arn:aws:SMS-Voice:*"},
		{name: "placeholder needs a char", prefix: "sms-voice", typ: "Pool", pattern: sv + "us-east-1:111122223333:pool/"},
		{name: "question mark", prefix: "sms-voice", typ: "Pool", pattern: sv + "us-east-1:111122223333:pool/?", want: true},
		{name: "no slash in id", prefix: "sms-voice", typ: "Pool", pattern: sv + "us-east-1:111122223333:pool/??/x"},
		{name: "no colon in id", prefix: "mobiletargeting", typ: "app", pattern: mt + "us-east-1:111122223333:apps/abc:*"},
		{name: "empty region", prefix: "mobiletargeting", typ: "app", pattern: mt + ":111122223333:apps/*"},
		{name: "question mark in region", prefix: "mobiletargeting", typ: "app", pattern: mt + "?:111122223333:apps/*", want: true},
		{name: "question mark can be colon", prefix: "mobiletargeting", typ: "reports", pattern: mt + "us-east-1:111122223333?reports", want: true},
		{name: "question mark needs a char", prefix: "mobiletargeting", typ: "reports", pattern: mt + "us-east-1:111122223333:?reports"},
		{name: "two placeholders", prefix: "sms-voice", typ: "SenderId", pattern: sv + "*:*:sender-id/*", want: true},
		{name: "one of two placeholders", prefix: "sms-voice", typ: "SenderId", pattern: sv + "*:*:sender-id/MyCompany"},
		{name: "second placeholder", prefix: "sms-voice", typ: "SenderId", pattern: sv + "*:*:sender-id/MyCompany/??", want: true},
		{name: "fixed path", prefix: "mobiletargeting", typ: "phone-number-validate", pattern: mt + "*:*:phone/number/validate", want: true},
		{name: "star in fixed path", prefix: "mobiletargeting", typ: "phone-number-validate", pattern: mt + "*:*:phone/*/validate", want: true},
		{name: "question mark is one char", prefix: "mobiletargeting", typ: "phone-number-validate", pattern: mt + "*:*:phone/?/validate"},
		{name: "templates vs template", prefix: "mobiletargeting", typ: "templates", pattern: mt + "*:*:templates/*"},
		{name: "template", prefix: "mobiletargeting", typ: "template", pattern: mt + "*:*:templates/*", want: true},
		{name: "templates star", prefix: "mobiletargeting", typ: "templates", pattern: mt + "*:*:templates*", want: true},
		{name: "policy variable", prefix: "sms-voice", typ: "Pool", pattern: sv + "us-east-1:111122223333:pool/${aws:username}", want: true},
		{name: "variable with default", prefix: "sms-voice", typ: "Pool", pattern: sv + "*:*:pool/${aws:PrincipalTag/pool, 'none'}", want: true},
		{name: "variable may hold a slash", prefix: "mobiletargeting", typ: "segment", pattern: mt + "*:*:apps/${aws:username}", want: true},
		{name: "literal star escape", prefix: "sms-voice", typ: "Pool", pattern: sv + "*:*:pool/${*}", want: true},
		{name: "literal question escape", prefix: "sms-voice", typ: "Pool", pattern: sv + "*:*:pool/${?}x", want: true},
		{name: "literal escapes are not wildcards", prefix: "mobiletargeting", typ: "reports", pattern: mt + "*:*:report${?}"},
		{name: "apps literal star", prefix: "mobiletargeting", typ: "apps", pattern: mt + "*:*:apps/*", want: true},
		{name: "apps concrete", prefix: "mobiletargeting", typ: "apps", pattern: mt + "us-east-1:111122223333:apps/abc123", want: true},
		{name: "apps needs slash", prefix: "mobiletargeting", typ: "apps", pattern: mt + "us-east-1:111122223333:apps"},
		{name: "empty pattern", prefix: "mobiletargeting", typ: "app", pattern: ""},
		{name: "not an ARN", prefix: "mobiletargeting", typ: "app", pattern: "abc"},
		{name: "long pattern", prefix: "mobiletargeting", typ: "app", pattern: mt + strings.Repeat("*a", 2000), want: true},
		{name: "long pattern no", prefix: "mobiletargeting", typ: "app", pattern: mt + strings.Repeat("*a", 2000) + "/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt := resourceType(t, c, tc.prefix, tc.typ)
			assert.Equal(t, tc.want, rt.Overlaps(tc.pattern), "%s.Overlaps(%q)", tc.typ, tc.pattern)
		})
	}
}

// FuzzOverlaps checks Overlaps against Matches: a pattern without wildcards
// or variables overlaps a type exactly when it matches, and a pattern made
// from a matching ARN by replacing characters with '?' or '*' still overlaps.
func FuzzOverlaps(f *testing.F) {
	for i, tc := range corpusARNs {
		f.Add(uint8(i), tc.arn, uint64(0))
		f.Add(uint8(i), tc.arn, uint64(0xf0f0))
	}
	f.Add(uint8(0), "arn:aws:mobiletargeting:us-east-1:1:apps/*", uint64(1))
	c, err := catalog.Load()
	if err != nil {
		f.Fatal(err)
	}
	types := c.ResourceTypes()
	f.Fuzz(func(t *testing.T, typ uint8, arn string, mask uint64) {
		rt := types[int(typ)%len(types)]
		matches := rt.Matches(arn)
		if !strings.ContainsAny(arn, "*?$") {
			require.Equal(t, matches, rt.Overlaps(arn), "%s: Overlaps(%q), want what Matches says", rt.Name, arn)
		}
		if !matches || strings.Contains(arn, "$") {
			return
		}
		pattern := []byte(arn)
		for i := range pattern {
			switch {
			case mask&(1<<(i%64)) == 0:
			case i%2 == 0:
				pattern[i] = '?'
			default:
				pattern[i] = '*'
			}
		}
		require.True(t, rt.Overlaps(string(pattern)), "%s: Overlaps(%q) = false, but it covers %q", rt.Name, pattern, arn)
	})
}

func BenchmarkMatches(b *testing.B) {
	c, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	s, _ := c.Service("mobiletargeting")
	rt, _ := s.ResourceType("campaign")
	arn := "arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc123/campaigns/camp1"
	b.ReportAllocs()
	for b.Loop() {
		if !rt.Matches(arn) {
			b.Fatal("no match")
		}
	}
}

func BenchmarkOverlaps(b *testing.B) {
	c, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	s, _ := c.Service("mobiletargeting")
	rt, _ := s.ResourceType("campaign")
	b.ReportAllocs()
	for b.Loop() {
		if !rt.Overlaps("arn:aws:mobiletargeting:*:111122223333:apps/abc123/*") {
			b.Fatal("no overlap")
		}
	}
}
