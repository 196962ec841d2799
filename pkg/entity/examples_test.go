package entity

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// loadExamples loads examples/model.
func loadExamples(tb testing.TB) *Set {
	tb.Helper()
	s, err := LoadDir(os.DirFS("../../examples"), "model")
	if err != nil {
		tb.Fatalf("LoadDir(examples/model):\n%v", err)
	}
	return s
}

func TestExamplesValidate(t *testing.T) {
	t.Parallel()
	s := loadExamples(t)
	warnings, err := s.Validate(loadCatalog(t))
	require.NoError(t, err, "Validate")
	assert.Empty(t, warnings, "Validate warnings")
	counts := map[string]int{"accounts": len(s.Accounts), "managed_policies": len(s.ManagedPolicies),
		"scps": len(s.SCPs), "users": len(s.Users), "groups": len(s.Groups), "roles": len(s.Roles),
		"resources": len(s.Resources)}
	for list, n := range counts {
		assert.NotZero(t, n, "examples define no %s", list)
	}
}

// TestExamplesDecide evaluates requests against the example organisation,
// building the engine's inputs from the resolution as the server does.
func TestExamplesDecide(t *testing.T) {
	t.Parallel()
	const (
		app       = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app"
		sale      = app + "/campaigns/spring-sale"
		winBack   = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/retention-app/campaigns/win-back"
		segment   = app + "/segments/active-users"
		pool      = "arn:aws:sms-voice:us-east-1:111122223333:pool/pool-marketing"
		optOut    = "arn:aws:sms-voice:us-east-1:111122223333:opt-out-list/Default"
		alice     = "arn:aws:iam::111122223333:user/alice"
		bob       = "arn:aws:iam::111122223333:user/bob"
		sender    = "arn:aws:sts::111122223333:assumed-role/sms-sender/worker-7"
		partner   = "arn:aws:sts::444455556666:assumed-role/partner-analytics/nightly"
		office    = "203.0.113.7"
		elsewhere = "198.51.100.20"
	)
	tests := []struct {
		name, principal, action, resource string
		context                           map[string]string
		want                              engine.Decision
	}{
		{"alice updates her team's campaign", alice, "mobiletargeting:UpdateCampaign", sale,
			map[string]string{"aws:SecureTransport": "true"}, engine.Allow},
		{"alice updates another team's campaign", alice, "mobiletargeting:UpdateCampaign", winBack,
			map[string]string{"aws:SecureTransport": "true"}, engine.ImplicitDeny},
		{"alice without TLS", alice, "mobiletargeting:UpdateCampaign", sale, nil, engine.ImplicitDeny},
		{"alice deletes a production campaign", alice, "mobiletargeting:DeleteCampaign", sale, nil, engine.ExplicitDeny},
		{"bob reads a segment through his group", bob, "mobiletargeting:GetSegment", segment, nil, engine.Allow},
		{"bob reads segments outside the approved regions", bob, "mobiletargeting:GetSegments",
			"arn:aws:mobiletargeting:ap-south-1:111122223333:apps/growth-app", nil, engine.ExplicitDeny},
		{"the SCP protects opt-out lists", alice, "sms-voice:DeleteOptOutList", optOut, nil, engine.ExplicitDeny},
		{"sender from the office", sender, "sms-voice:SendTextMessage", pool,
			map[string]string{"aws:SourceIp": office}, engine.Allow},
		{"sender from elsewhere", sender, "sms-voice:SendTextMessage", pool,
			map[string]string{"aws:SourceIp": elsewhere}, engine.ImplicitDeny},
		{"the boundary stops carrier lookups", sender, "sms-voice:CarrierLookup", "*", nil, engine.ImplicitDeny},
		{"partner reads a shared campaign across accounts", partner, "mobiletargeting:GetCampaign", sale, nil, engine.Allow},
		{"partner lists the shared app's campaigns", partner, "mobiletargeting:GetCampaigns", app, nil, engine.Allow},
		{"partner reads an unshared campaign", partner, "mobiletargeting:GetCampaign", winBack, nil, engine.ImplicitDeny},
	}
	cat := loadCatalog(t)
	res, err := loadExamples(t).Resolve(cat)
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, decide(t, cat, res, tc.principal, tc.action, tc.resource, tc.context),
				"%s %s on %s", tc.principal, tc.action, tc.resource)
		})
	}
}

// decide compiles what res says about a request and evaluates it.
func decide(t *testing.T, cat *catalog.Catalog, res *Resolved, principal, action, resource string,
	extra map[string]string) engine.Decision {
	t.Helper()
	pp, ok := res.Principal(principal)
	require.True(t, ok, "no principal %s", principal)
	compile := func(docs ...*engine.Document) *engine.PolicySet {
		ps, err := engine.Compile(cat, docs...)
		require.NoError(t, err)
		return ps
	}
	ctx := engine.NewContext(8)
	p := &engine.Policies{Identity: compile(pp.Identity...)}
	if pp.Boundary != nil {
		p.Boundary = compile(pp.Boundary)
	}
	if doc, tags, ok := res.Resource(resource); ok {
		if doc != nil {
			p.Resource = compile(doc)
		}
		for k, v := range tags {
			ctx.Set("aws:ResourceTag/"+k, v)
		}
	}
	chain, _ := res.SCPChain(pp.Account)
	for _, level := range chain {
		p.SCPs = append(p.SCPs, compile(level...))
	}
	for k, v := range pp.Tags {
		ctx.Set("aws:PrincipalTag/"+k, v)
	}
	region := "us-east-1"
	if f := strings.Split(resource, ":"); len(f) > 3 {
		region = f[3]
	}
	ctx.Set("aws:RequestedRegion", region)
	for k, v := range extra {
		ctx.Set(k, v)
	}
	return engine.Evaluate(p, &engine.Request{Principal: principal, Action: action, Resource: resource, Context: ctx})
}
