// Package decidetest generates decision requests over examples/model for
// tests that compare the doors to one decision (gRPC Check, AuthZEN's
// evaluation API, Envoy ext_authz). A request is drawn from the model's
// principals and resources, unknown ones, the catalog's actions and
// contexts that vary the keys the model's conditions test, so that every
// kind of decision occurs.
package decidetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// Principals of examples/model, one the model does not know and a
// malformed one.
var Principals = []string{
	"arn:aws:iam::bad",
	"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/bob",
	"arn:aws:sts::111122223333:assumed-role/analyst/s1", "arn:aws:sts::111122223333:assumed-role/sms-sender/s1",
	"arn:aws:sts::444455556666:assumed-role/partner-analytics/s1", "arn:aws:iam::111122223333:user/ghost",
}

// A Resource is a resource ARN with the actions that act on its type, so
// that requests often ask what a caller would ask of it.
type Resource struct {
	ARN     string
	Actions []string
}

// Resources of examples/model, resources it does not name, and "*".
var Resources = []Resource{
	{"arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app", []string{"mobiletargeting:GetApp", "mobiletargeting:DeleteApp",
		"mobiletargeting:GetCampaigns", "mobiletargeting:CreateCampaign", "mobiletargeting:GetSegments", "mobiletargeting:CreateSegment"}},
	{"arn:aws:mobiletargeting:us-east-1:111122223333:apps/*", []string{"mobiletargeting:GetApps", "mobiletargeting:CreateApp"}},
	{"arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/campaigns/spring-sale", campaignActions},
	{"arn:aws:mobiletargeting:us-east-1:111122223333:apps/retention-app/campaigns/win-back", campaignActions},
	{"arn:aws:mobiletargeting:eu-west-1:111122223333:apps/growth-app/campaigns/spring-sale", campaignActions},
	{"arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users", segmentActions},
	{"arn:aws:mobiletargeting:ap-south-1:111122223333:apps/growth-app/segments/active-users", segmentActions},
	{"arn:aws:mobiletargeting:us-east-1:111122223333:templates/welcome/EMAIL", []string{"mobiletargeting:GetEmailTemplate",
		"mobiletargeting:UpdateEmailTemplate", "mobiletargeting:DeleteEmailTemplate", "mobiletargeting:CreateEmailTemplate"}},
	{"arn:aws:sms-voice:us-east-1:111122223333:pool/pool-marketing", []string{"sms-voice:DeletePool", "sms-voice:UpdatePool",
		"sms-voice:TagResource", "sms-voice:ListTagsForResource"}},
	{"arn:aws:sms-voice:us-east-1:111122223333:opt-out-list/Default", []string{"sms-voice:DeleteOptOutList",
		"sms-voice:DescribeOptedOutNumbers", "sms-voice:PutOptedOutNumber"}},
	{"*", []string{"sms-voice:DescribePools", "sms-voice:DescribeOptOutLists", "mobiletargeting:GetApps"}},
}

var (
	campaignActions = []string{"mobiletargeting:GetCampaign", "mobiletargeting:UpdateCampaign", "mobiletargeting:DeleteCampaign",
		"mobiletargeting:GetCampaignVersions", "mobiletargeting:TagResource", "mobiletargeting:UntagResource", "mobiletargeting:ListTagsForResource"}
	segmentActions = []string{"mobiletargeting:GetSegment", "mobiletargeting:UpdateSegment", "mobiletargeting:DeleteSegment"}
)

// named are actions the model's policies name.
var named = []string{"mobiletargeting:GetSegment", "mobiletargeting:GetCampaign", "mobiletargeting:UpdateCampaign",
	"mobiletargeting:DeleteCampaign", "mobiletargeting:GetApp", "mobiletargeting:GetApps", "sms-voice:DescribePools"}

// Regions, source addresses (inside and outside the model's ranges) and
// team tags the contexts take.
var (
	Regions   = []string{"us-east-1", "eu-west-1", "ap-south-1"}
	SourceIPs = []string{"203.0.113.7", "198.51.100.20", "2001:db8::5", "10.1.2.3"}
	Teams     = []string{"growth", "retention"}
)

// A Request is one generated decision request, as Check takes it and as
// the JSON context of an AuthZEN evaluation.
type Request struct {
	Check   *pdpv1.CheckRequest
	Context map[string]any
}

// A Generator draws requests; the same seeds draw the same requests.
type Generator struct {
	rng     *rand.Rand
	actions []string
}

// NewGenerator returns a generator asking for actions (the catalog's).
func NewGenerator(seed1, seed2 uint64, actions []string) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed1, seed2)), actions: actions}
}

func (g *Generator) pick(from []string) string { return from[g.rng.IntN(len(from))] }

// Next draws a request. A sixth ask for any action of the catalog, a
// sixth for one the policies name, the rest for one of the resource's type.
// aws:RequestedRegion is always set, mostly to the resource's Region;
// aws:SourceIp and aws:SecureTransport mostly; request tags (aws:RequestTag/team with aws:TagKeys) and session
// tags sometimes.
func (g *Generator) Next() Request {
	res := Resources[g.rng.IntN(len(Resources))]
	var action string
	switch g.rng.IntN(6) {
	case 0:
		action = g.pick(g.actions)
	case 1:
		action = g.pick(named)
	default:
		action = g.pick(res.Actions)
	}
	req := &pdpv1.CheckRequest{Principal: g.pick(Principals), Action: action, Resource: res.ARN, Context: map[string]*pdpv1.ContextValue{}}
	ctx := map[string]any{}
	set := func(k, v string) {
		req.Context[k] = &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: v}}
		ctx[k] = v
	}
	region := g.pick(Regions)
	if parts := strings.Split(res.ARN, ":"); len(parts) > 3 && g.rng.IntN(3) != 0 {
		region = parts[3] // most requests go to the resource's Region
	}
	set("aws:RequestedRegion", region)
	if g.rng.IntN(8) != 0 {
		set("aws:SourceIp", g.pick(SourceIPs))
	}
	if g.rng.IntN(8) != 0 {
		secure := g.rng.IntN(2) == 0
		set("aws:SecureTransport", map[bool]string{true: "true", false: "false"}[secure])
		ctx["aws:SecureTransport"] = secure // a JSON boolean: converted as Check's "true"/"false"
	}
	if g.rng.IntN(4) == 0 {
		set("aws:RequestTag/team", g.pick(Teams))
		req.Context["aws:TagKeys"] = &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_ListValue{ListValue: &pdpv1.StringList{Values: []string{"team"}}}}
		ctx["aws:TagKeys"] = []string{"team"}
	}
	if g.rng.IntN(6) == 0 {
		req.SessionTags = map[string]string{"team": g.pick(Teams)}
	}
	return Request{Check: req, Context: ctx}
}

// EvaluationBody is the AuthZEN evaluation request of r.
func EvaluationBody(r Request) ([]byte, error) {
	req := r.Check
	return json.Marshal(map[string]any{
		"subject":  map[string]any{"type": "aws_principal", "id": req.Principal, "properties": map[string]any{"session_tags": req.SessionTags}},
		"action":   map[string]any{"name": req.Action},
		"resource": map[string]any{"type": "aws_resource", "id": req.Resource},
		"context":  r.Context,
	})
}

// An Evaluation is what an AuthZEN evaluation answered.
type Evaluation struct {
	Status   int    // the HTTP status
	Allowed  bool   // "decision"
	Decision string // context.pdp.decision: Allow, ExplicitDeny, ImplicitDeny
}

// Evaluate posts body to the evaluation API at url.
func Evaluate(client *http.Client, url string, body []byte) (Evaluation, error) {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return Evaluation{}, err
	}
	defer resp.Body.Close()
	var got struct {
		Decision bool `json:"decision"`
		Context  struct {
			PDP struct {
				Decision string `json:"decision"`
			} `json:"pdp"`
		} `json:"context"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		return Evaluation{}, fmt.Errorf("evaluation answer (status %d): %w", resp.StatusCode, err)
	}
	return Evaluation{Status: resp.StatusCode, Allowed: got.Decision, Decision: got.Context.PDP.Decision}, nil
}
