package catalog_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSuggestAction(t *testing.T) {
	t.Parallel()
	c := load(t)
	tests := []struct {
		name, in string
		want     string // "" means no suggestion
	}{
		{name: "style guide example", in: "mobiletargeting:GetCampaignz", want: "mobiletargeting:GetCampaigns"},
		{name: "missing letter", in: "mobiletargeting:GetSegmnt", want: "mobiletargeting:GetSegment"},
		{name: "swapped letters", in: "sms-voice:SendTextMesasge", want: "sms-voice:SendTextMessage"},
		{name: "case only", in: "SMS-VOICE:carrierlookup", want: "sms-voice:CarrierLookup"},
		{name: "misspelt prefix", in: "mobiletargetng:GetApp", want: "mobiletargeting:GetApp"},
		{name: "prefix case", in: "MobileTargeting:GetAppz", want: "mobiletargeting:GetApps"},
		{name: "one missing", in: "mobiletargeting:GetAp", want: "mobiletargeting:GetApp"},
		{name: "no prefix", in: "SendTextMesage", want: "sms-voice:SendTextMessage"},
		{name: "v1 action", in: "sms-voice:ListConfigurationSet", want: "sms-voice:ListConfigurationSets"},
		{name: "far off", in: "mobiletargeting:DoSomethingElse"},
		{name: "other service", in: "s3:GetObject"},
		{name: "short", in: "mobiletargeting:X"},
		{name: "empty", in: ""},
		{name: "empty name", in: "mobiletargeting:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := c.SuggestAction(tc.in)
			assert.Equal(t, tc.want != "", ok, "SuggestAction(%q) has a suggestion", tc.in)
			assert.Equal(t, tc.want, got, "SuggestAction(%q)", tc.in)
		})
	}
}

func BenchmarkSuggestAction(b *testing.B) {
	c := load(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.SuggestAction("mobiletargeting:GetCampaignz"); !ok {
			b.Fatal("no suggestion")
		}
	}
}
