package catalog_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMatchActions(t *testing.T) {
	t.Parallel()
	c := load(t)
	tests := []struct {
		name      string
		pattern   string
		wantCount int
		want      []string // checked when not nil: the exact result
		wantAll   string   // every match must start with this (case-insensitively)
	}{
		{name: "everything", pattern: "*", wantCount: 238},
		{name: "every mobiletargeting", pattern: "mobiletargeting:*", wantCount: 123, wantAll: "mobiletargeting:"},
		{name: "every sms-voice folded", pattern: "SMS-Voice:*", wantCount: 115, wantAll: "sms-voice:"},
		{name: "get star", pattern: "mobiletargeting:Get*", wantCount: 50, wantAll: "mobiletargeting:get"},
		{name: "send star upper prefix", pattern: "SMS-VOICE:send*", want: []string{
			"sms-voice:SendDestinationNumberVerificationCode", "sms-voice:SendMediaMessage",
			"sms-voice:SendNotifyTextMessage", "sms-voice:SendNotifyVoiceMessage", "sms-voice:SendRcsMessage",
			"sms-voice:SendTextMessage", "sms-voice:SendVoiceMessage",
		}},
		{name: "question mark is one char", pattern: "mobiletargeting:GetApp?", want: []string{"mobiletargeting:GetApps"}},
		{name: "question marks", pattern: "mobiletargeting:GetApp??", want: nil, wantCount: 0},
		{name: "inner star", pattern: "mobiletargeting:Get*Channel", wantCount: 10, wantAll: "mobiletargeting:get"},
		{name: "corpus pattern", pattern: "sms-voice:putoptedO?tNumbeR", want: []string{"sms-voice:PutOptedOutNumber"}},
		{name: "leading star", pattern: "sms-voice:*tNumber", want: []string{
			"sms-voice:DeleteOptedOutNumber", "sms-voice:PutOptedOutNumber",
		}},
		{name: "star matches empty", pattern: "mobiletargeting:GetApps*", want: []string{"mobiletargeting:GetApps"}},
		{name: "star matches more", pattern: "mobiletargeting:GetApp*", want: []string{
			"mobiletargeting:GetApp", "mobiletargeting:GetApplicationDateRangeKpi",
			"mobiletargeting:GetApplicationSettings", "mobiletargeting:GetApps",
		}},
		{name: "no wildcard", pattern: "MOBILETARGETING:getapp", want: []string{"mobiletargeting:GetApp"}},
		{name: "other service", pattern: "s3:Get*", wantCount: 0},
		{name: "other service no wildcard", pattern: "s3:GetObject", wantCount: 0},
		{name: "wildcard prefix matches nothing", pattern: "*:GetApps", want: nil},
		{name: "no colon matches nothing", pattern: "mobile*", want: nil},
		{name: "wildcard in prefix matches nothing", pattern: "sms-*:CarrierLookup", want: nil},
		{name: "prefix must match whole", pattern: "mobile:*", wantCount: 0},
		{name: "no colon", pattern: "mobiletargeting*", want: nil},
		{name: "empty", pattern: "", wantCount: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, a := range c.MatchActions(tc.pattern) {
				got = append(got, a.FullName)
				if tc.wantAll != "" {
					assert.True(t, strings.HasPrefix(strings.ToLower(a.FullName), tc.wantAll), "MatchActions(%q) includes %q", tc.pattern, a.FullName)
				}
				assert.True(t, a.MatchedBy(tc.pattern), "%s.MatchedBy(%q) = false, but MatchActions returned it", a.FullName, tc.pattern)
			}
			if tc.want != nil {
				assert.Equal(t, tc.want, got, "MatchActions(%q)", tc.pattern)
			} else {
				assert.Len(t, got, tc.wantCount, "MatchActions(%q)", tc.pattern)
			}
			assert.True(t, slices.IsSorted(got), "MatchActions(%q) is not sorted: %v", tc.pattern, got)
			// The shared answer is the same actions, the first time and remembered.
			for range 2 {
				shared := c.ActionsMatching(tc.pattern)
				assert.True(t, slices.Equal(shared, c.MatchActions(tc.pattern)), "ActionsMatching(%q) = %v, MatchActions gave %v", tc.pattern, shared, got)
			}
		})
	}
}

func TestMatchActionsCopies(t *testing.T) {
	t.Parallel()
	c := load(t)
	for _, pattern := range []string{"*", "mobiletargeting:Get*", "mobiletargeting:GetApp"} {
		first := c.MatchActions(pattern)
		want := first[0]
		first[0] = nil
		assert.Same(t, want, c.MatchActions(pattern)[0], "MatchActions(%q)[0] after the caller changed an earlier answer", pattern)
		assert.Same(t, want, c.ActionsMatching(pattern)[0], "ActionsMatching(%q)[0] after the caller changed an answer of MatchActions", pattern)
	}
}

func TestMatchedBy(t *testing.T) {
	t.Parallel()
	c := load(t)
	a, _ := c.Action("mobiletargeting:GetSegmentVersions")
	tests := []struct {
		pattern string
		want    bool
	}{
		{pattern: "*", want: true},
		{pattern: "mobiletargeting:GetSegmentVersions", want: true},
		{pattern: "mobiletargeting:getsegmentversions", want: true},
		{pattern: "mobiletargeting:*Versions", want: true},
		{pattern: "mobiletargeting:*Segment*", want: true},
		{pattern: "mobiletargeting:G?tS*V*s", want: true},
		{pattern: "mobiletargeting:**", want: true},
		{pattern: "mobiletargeting:GetSegmentVersion", want: false},
		{pattern: "mobiletargeting:GetSegmentVersions?", want: false},
		{pattern: "mobiletargeting:?", want: false},
		{pattern: "mobiletargeting:GetSegment", want: false},
		{pattern: "sms-voice:*", want: false},
		{pattern: "", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, a.MatchedBy(tc.pattern), "MatchedBy(%q)", tc.pattern)
		})
	}
}

func BenchmarkMatchActions(b *testing.B) {
	c := load(b)
	for _, bc := range []struct{ name, pattern string }{
		{name: "service", pattern: "mobiletargeting:Get*"},
		{name: "all", pattern: "*:*Channel"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = c.MatchActions(bc.pattern)
			}
		})
	}
}
