package catalog_test

import (
	"fmt"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

func Example() {
	c, err := catalog.Load()
	if err != nil {
		panic(err)
	}
	a, _ := c.Action("MOBILETARGETING:getsegment")
	fmt.Println(a.FullName, a.AccessLevel, a.ResourceTypes[0].Type.Name)

	arn := "arn:aws:mobiletargeting:us-east-1:111122223333:apps/abc123/segments/seg1"
	fmt.Println(a.ResourceTypes[0].Type.Matches(arn))

	for _, a := range c.MatchActions("sms-voice:*Keyword*") {
		fmt.Println(a.FullName)
	}
	if s, ok := c.SuggestAction("mobiletargeting:GetCampaignz"); ok {
		fmt.Printf("did you mean %q?\n", s)
	}
	k, _ := c.ConditionKey("aws:ResourceTag/team")
	fmt.Println(k.Name, k.Type, k.Global)
	// Output:
	// mobiletargeting:GetSegment Read segment
	// true
	// sms-voice:DeleteKeyword
	// sms-voice:DescribeKeywords
	// sms-voice:PutKeyword
	// did you mean "mobiletargeting:GetCampaigns"?
	// aws:ResourceTag/tag-key String true
}

func ExampleResourceType_Overlaps() {
	c, err := catalog.Load()
	if err != nil {
		panic(err)
	}
	s, _ := c.Service("mobiletargeting")
	pattern := "arn:aws:mobiletargeting:*:111122223333:apps/abc123/*"
	for _, name := range []string{"app", "campaign", "segment", "template"} {
		rt, _ := s.ResourceType(name)
		fmt.Println(name, rt.Overlaps(pattern))
	}
	// Output:
	// app false
	// campaign true
	// segment true
	// template false
}
