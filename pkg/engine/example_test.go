package engine_test

import (
	"fmt"
	"log"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// examplePolicy lets a principal read the campaigns of one app, in any
// region, when the campaign's team tag is the principal's.
const examplePolicy = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "ReadOwnTeamsCampaigns",
    "Effect": "Allow",
    "Action": "mobiletargeting:GetCampaign",
    "Resource": "arn:aws:mobiletargeting:*:111122223333:apps/abc123/campaigns/*",
    "Condition": {
      "StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"},
      "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}
    }
  }]
}`

// exampleCall is one authorization question as a server receives it.
type exampleCall struct {
	principal, action, resource string
	sourceIP                    string
	principalTags, resourceTags []engine.Tag
}

// Example parses, validates and compiles a policy once, then decides
// requests with one Context and one Request reused from decision to
// decision: Reset empties the context and keeps its room, SetKey sets a
// key resolved once, and SetTag sets a tag key without building its name,
// so a decision allocates nothing.
func Example() {
	cat, err := catalog.Load()
	if err != nil {
		log.Fatal(err)
	}
	doc, err := engine.Parse([]byte(examplePolicy), engine.ParseOptions{ID: "read-campaigns", Type: engine.IdentityPolicy})
	if err != nil {
		log.Fatal(err)
	}
	if err := engine.Validate(cat, doc, engine.ValidateOptions{Quota: engine.QuotaManaged}).Err(); err != nil {
		log.Fatal(err)
	}
	set, err := engine.Compile(cat, doc)
	if err != nil {
		log.Fatal(err)
	}
	policies := &engine.Policies{Identity: set}

	// One context and one request per worker, reused for every decision.
	ctx := engine.NewContext(8)
	req := &engine.Request{Context: ctx}

	calls := []exampleCall{{
		principal: "arn:aws:iam::111122223333:user/alice", action: "mobiletargeting:GetCampaign",
		resource: "arn:aws:mobiletargeting:eu-west-1:111122223333:apps/abc123/campaigns/spring",
		sourceIP: "203.0.113.7", principalTags: []engine.Tag{{Key: "team", Value: "growth"}},
		resourceTags: []engine.Tag{{Key: "team", Value: "growth"}},
	}, {
		principal: "arn:aws:iam::111122223333:user/bob", action: "mobiletargeting:GetCampaign",
		resource: "arn:aws:mobiletargeting:eu-west-1:111122223333:apps/abc123/campaigns/spring",
		sourceIP: "203.0.113.8", principalTags: []engine.Tag{{Key: "team", Value: "billing"}},
		resourceTags: []engine.Tag{{Key: "team", Value: "growth"}},
	}}
	for i := range calls {
		call := &calls[i]
		// decide: begin
		ctx.Reset()
		ctx.SetKey(engine.KeyPrincipalArn, call.principal)
		ctx.SetKey(engine.KeySourceIP, call.sourceIP)
		ctx.SetTags(engine.PrincipalTag, call.principalTags)
		ctx.SetTags(engine.ResourceTag, call.resourceTags)
		req.Principal, req.Action, req.Resource = call.principal, call.action, call.resource
		decision := engine.Evaluate(policies, req)
		// decide: end
		fmt.Println(call.principal, decision)
	}
	// Output:
	// arn:aws:iam::111122223333:user/alice Allow
	// arn:aws:iam::111122223333:user/bob ImplicitDeny
}
