package policycheck

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

const (
	apps    = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/"
	allApps = "arn:aws:mobiletargeting:*:111122223333:apps/*"
)

// policy writes a 2012-10-17 policy document of the given statements.
func policy(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// allow writes an Allow statement of one action and one resource.
func allow(action, resource string) string {
	return `{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}`
}

func newChecker(t *testing.T) *Checker {
	t.Helper()
	cat, err := catalog.Load()
	require.NoError(t, err)
	return New(cat)
}

// statementIndexes lists the statements of a report's reasons.
func statementIndexes(r *Report) []int {
	out := []int{}
	for _, reason := range r.Reasons {
		out = append(out, reason.StatementIndex)
	}
	return out
}

const region = `"Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}`
const tls = `"Condition":{"Bool":{"aws:SecureTransport":"true"}}`
const regionTLS = `"Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"},"Bool":{"aws:SecureTransport":"true"}}`

func TestCheckNoNewAccess(t *testing.T) {
	t.Parallel()
	c := newChecker(t)
	tests := []struct {
		name, reason      string
		existing, updated string
		typ               engine.PolicyType
		want              Result
		wantStatements    []int
		wantNote          string
	}{
		{name: "identical", reason: "the same policy grants the same access",
			existing: policy(allow("mobiletargeting:Get*", allApps)), updated: policy(allow("mobiletargeting:Get*", allApps)), want: Pass},
		{name: "added action", reason: "DeleteApp is granted nowhere in the existing policy",
			existing: policy(allow("mobiletargeting:GetApp", allApps)), updated: policy(allow("mobiletargeting:GetApp", allApps), allow("mobiletargeting:DeleteApp", allApps)),
			want: Fail, wantStatements: []int{1}},
		{name: "narrower action wildcard", reason: "GetApp is one of the Get* actions",
			existing: policy(allow("mobiletargeting:Get*", allApps)), updated: policy(allow("mobiletargeting:GetApp", allApps)), want: Pass},
		{name: "wider action wildcard", reason: "Get* adds every other Get action",
			existing: policy(allow("mobiletargeting:GetApp", allApps)), updated: policy(allow("mobiletargeting:Get*", allApps)), want: Fail, wantStatements: []int{0}},
		{name: "action names fold case", reason: "action names match without regard to case",
			existing: policy(allow("mobiletargeting:getapp", allApps)), updated: policy(allow("MobileTargeting:GetApp", allApps)), want: Pass},
		{name: "narrower resource", reason: "one app is inside apps/*",
			existing: policy(allow("mobiletargeting:GetApp", allApps)), updated: policy(allow("mobiletargeting:GetApp", apps+"a1")), want: Pass},
		{name: "wider resource", reason: "apps/* adds every other app",
			existing: policy(allow("mobiletargeting:GetApp", apps+"a1")), updated: policy(allow("mobiletargeting:GetApp", allApps)), want: Fail, wantStatements: []int{0}},
		{name: "star equals arn star over the action's ARNs", reason: "every app ARN starts with arn:",
			existing: policy(allow("mobiletargeting:GetApp", "arn:*")), updated: policy(allow("mobiletargeting:GetApp", "*")), want: Pass},
		{name: "wildcard-only action needs star", reason: "CarrierLookup acts on \"*\", which arn:* does not match",
			existing: policy(allow("sms-voice:CarrierLookup", "arn:*")), updated: policy(allow("sms-voice:CarrierLookup", "*")), want: Fail, wantStatements: []int{0}},
		{name: "other partition", reason: "the app format takes any partition; arn:aws: covers only one",
			existing: policy(allow("mobiletargeting:GetApp", "arn:aws:mobiletargeting:*:*:apps/*")), updated: policy(allow("mobiletargeting:GetApp", "arn:*:mobiletargeting:*:*:apps/*")),
			want: Fail, wantStatements: []int{0}},
		{name: "segment patterns", reason: "apps/a1/segments/s? is inside apps/*/segments/*",
			existing: policy(allow("mobiletargeting:GetSegment", apps+"*/segments/*")), updated: policy(allow("mobiletargeting:GetSegment", apps+"a1/segments/s?")), want: Pass},
		{name: "question mark narrower than star", reason: "apps/a* holds apps/a12, which apps/a? does not",
			existing: policy(allow("mobiletargeting:GetApp", apps+"a?")), updated: policy(allow("mobiletargeting:GetApp", apps+"a*")), want: Fail, wantStatements: []int{0}},
		{name: "star crosses slashes", reason: "apps/* covers the segments under every app",
			existing: policy(allow("mobiletargeting:GetSegment", apps+"*")), updated: policy(allow("mobiletargeting:GetSegment", apps+"a1/segments/*")), want: Pass},
		{name: "patterns equal over the resource type", reason: "every segment ARN of GetSegment has /segments/ after the app",
			existing: policy(allow("mobiletargeting:GetSegment", apps+"*/segments/*")), updated: policy(allow("mobiletargeting:GetSegment", apps+"*")), want: Pass},
		{name: "patterns differ over another resource type", reason: "app ARNs of GetApp have no /segments/ part",
			existing: policy(allow("mobiletargeting:GetApp", apps+"*/segments/*")), updated: policy(allow("mobiletargeting:GetApp", apps+"*")), want: Fail, wantStatements: []int{0}},
		{name: "union of existing statements", reason: "two existing statements together cover the new one",
			existing: policy(allow("mobiletargeting:GetApp", apps+"a*"), allow("mobiletargeting:GetApp", apps+"b*")),
			updated:  policy(`{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":["` + apps + `a1","` + apps + `b1"]}`), want: Pass},
		{name: "new statement split", reason: "two new statements within one existing statement",
			existing: policy(allow("mobiletargeting:Get*", allApps)), updated: policy(allow("mobiletargeting:GetApp", allApps), allow("mobiletargeting:GetSegment", allApps)), want: Pass},
		{name: "NotAction within catalog", reason: "NotAction sms-voice:* grants mobiletargeting:* of the catalog, which the existing policy has",
			existing: policy(allow("mobiletargeting:*", "*")), updated: policy(`{"Effect":"Allow","NotAction":"sms-voice:*","Resource":"*"}`),
			want: Pass, wantNote: "NotAction also allows every action of other services"},
		{name: "NotAction widening", reason: "NotAction Delete* grants every Create and Update action",
			existing: policy(allow("mobiletargeting:Get*", "*")), updated: policy(`{"Effect":"Allow","NotAction":"mobiletargeting:Delete*","Resource":"*"}`),
			want: Fail, wantStatements: []int{0}},
		{name: "NotResource in new within star", reason: "all apps but one are within *",
			existing: policy(allow("mobiletargeting:GetApp", "*")), updated: policy(`{"Effect":"Allow","Action":"mobiletargeting:GetApp","NotResource":"` + apps + `secret"}`), want: Pass},
		{name: "NotResource in existing excludes the new resource", reason: "the existing policy grants every app but secret",
			existing: policy(`{"Effect":"Allow","Action":"mobiletargeting:GetApp","NotResource":"` + apps + `secret"}`), updated: policy(allow("mobiletargeting:GetApp", apps+"secret")),
			want: Fail, wantStatements: []int{0}},
		{name: "NotResource in existing covers another resource", reason: "public is not secret",
			existing: policy(`{"Effect":"Allow","Action":"mobiletargeting:GetApp","NotResource":"` + apps + `secret"}`), updated: policy(allow("mobiletargeting:GetApp", apps+"public")), want: Pass},
		{name: "Deny carve-out of actions", reason: "the new Deny of every action but Get* takes back the rest of mobiletargeting:*",
			existing: policy(allow("mobiletargeting:Get*", allApps)),
			updated:  policy(allow("mobiletargeting:*", allApps), `{"Effect":"Deny","NotAction":"mobiletargeting:Get*","Resource":"*"}`), want: Pass},
		{name: "Deny carve-out of resources", reason: "the new Deny of every app but public leaves public only",
			existing: policy(allow("mobiletargeting:GetApp", apps+"public")),
			updated:  policy(allow("mobiletargeting:GetApp", allApps), `{"Effect":"Deny","Action":"mobiletargeting:GetApp","NotResource":"`+apps+`public"}`), want: Pass},
		{name: "conditional Deny carve-out removes nothing", reason: "a Deny with conditions may not apply, so the access may be new",
			existing: policy(allow("mobiletargeting:Get*", allApps)),
			updated:  policy(allow("mobiletargeting:*", allApps), `{"Effect":"Deny","NotAction":"mobiletargeting:Get*","Resource":"*",`+tls+`}`), want: Fail, wantStatements: []int{0}},
		{name: "existing Deny removes access", reason: "DeleteApp was denied by the existing policy",
			existing: policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*"}`),
			updated:  policy(allow("mobiletargeting:*", "*")), want: Fail, wantStatements: []int{0}},
		{name: "same Deny kept", reason: "the policy keeps its Deny",
			existing: policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*"}`),
			updated:  policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*"}`), want: Pass},
		{name: "same conditional Deny kept", reason: "the conditional Deny applies in the same cases",
			existing: policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*",`+region+`}`),
			updated:  policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*",`+region+`}`), want: Pass},
		{name: "conditional Deny dropped", reason: "without the Deny, DeleteApp is new where the condition held",
			existing: policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*",`+region+`}`),
			updated:  policy(allow("mobiletargeting:*", "*")), want: Fail, wantStatements: []int{0}},
		{name: "conditional Deny made unconditional", reason: "an unconditional Deny denies in every case the conditional one did",
			existing: policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*",`+region+`}`),
			updated:  policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*"}`), want: Pass},
		{name: "conditional Deny narrowed", reason: "a Deny with one more condition applies in fewer cases",
			existing: policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*",`+region+`}`),
			updated:  policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*",`+regionTLS+`}`),
			want:     Fail, wantStatements: []int{0}},
		{name: "condition added to Allow", reason: "the new Allow applies in fewer cases",
			existing: policy(allow("mobiletargeting:GetApp", allApps)),
			updated:  policy(`{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"` + allApps + `",` + region + `}`), want: Pass},
		{name: "condition removed from Allow", reason: "the existing policy granted it only in us-east-1",
			existing: policy(`{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"` + allApps + `",` + region + `}`),
			updated:  policy(allow("mobiletargeting:GetApp", allApps)), want: Fail, wantStatements: []int{0}},
		{name: "condition kept and one added", reason: "both conditions imply the existing one",
			existing: policy(`{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"` + allApps + `",` + region + `}`),
			updated:  policy(`{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"` + allApps + `",` + regionTLS + `}`), want: Pass},
		{name: "condition replaced", reason: "SecureTransport does not imply the region",
			existing: policy(`{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"` + allApps + `",` + region + `}`),
			updated:  policy(`{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"` + allApps + `",` + tls + `}`), want: Fail, wantStatements: []int{0}},
		{name: "condition value changed", reason: "us-west-2 is another region",
			existing: policy(`{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"*",` + region + `}`),
			updated:  policy(`{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-west-2"}}}`), want: Fail, wantStatements: []int{0}},
		{name: "condition key case", reason: "condition keys match without regard to case",
			existing: policy(`{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"*",` + region + `}`),
			updated:  policy(`{"Effect":"Allow","Action":"mobiletargeting:GetApp","Resource":"*","Condition":{"StringEquals":{"AWS:requestedregion":"us-east-1"}}}`), want: Pass},
		{name: "only a Deny added", reason: "a Deny never grants",
			existing: policy(allow("mobiletargeting:*", "*")), updated: policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"*","Resource":"*"}`), want: Pass},
		{name: "same variable", reason: "the same variable stands for the same value in both",
			existing: policy(allow("mobiletargeting:GetApp", apps+"${aws:username}")), updated: policy(allow("mobiletargeting:GetApp", apps+"${aws:username}")), want: Pass},
		{name: "variable within star", reason: "apps/* holds whatever the variable is",
			existing: policy(allow("mobiletargeting:GetApp", allApps)), updated: policy(allow("mobiletargeting:GetApp", apps+"${aws:username}")), want: Pass},
		{name: "star beyond variable", reason: "apps/* holds apps the variable does not name",
			existing: policy(allow("mobiletargeting:GetApp", apps+"${aws:username}")), updated: policy(allow("mobiletargeting:GetApp", allApps)), want: Fail, wantStatements: []int{0}},
		{name: "other service only", reason: "s3 actions are outside pdp's domain and are not checked",
			existing: policy(allow("mobiletargeting:GetApp", "*")), updated: policy(allow("mobiletargeting:GetApp", "*"), allow("s3:GetObject", "*")),
			want: Pass, wantNote: `"s3:GetObject" is outside pdp's domain`},
		{name: "star action within both services", reason: "within the catalog, * is mobiletargeting:* and sms-voice:*",
			existing: policy(allow("mobiletargeting:*", "*"), allow("sms-voice:*", "*")), updated: policy(allow("*", "*")),
			want: Pass, wantNote: "also matches every action of other services"},
		{name: "sms-voice action added", reason: "SendTextMessage is not a Describe action",
			existing: policy(allow("sms-voice:Describe*", "*")), updated: policy(allow("sms-voice:SendTextMessage", "*")), want: Fail, wantStatements: []int{0}},
		{name: "resource policy wider principal", reason: "every principal is more than one account",
			existing: policy(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"mobiletargeting:GetApp","Resource":"*"}`),
			updated:  policy(`{"Effect":"Allow","Principal":"*","Action":"mobiletargeting:GetApp","Resource":"*"}`),
			typ:      engine.ResourcePolicy, want: Fail, wantStatements: []int{0}},
		{name: "resource policy narrower principal", reason: "one account is among every principal",
			existing: policy(`{"Effect":"Allow","Principal":"*","Action":"mobiletargeting:GetApp","Resource":"*"}`),
			updated:  policy(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"mobiletargeting:GetApp","Resource":"*"}`),
			typ:      engine.ResourcePolicy, want: Pass},
		{name: "resource policy account and root ARN", reason: "an account ID stands for its root ARN",
			existing: policy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"mobiletargeting:GetApp","Resource":"*"}`),
			updated:  policy(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"mobiletargeting:GetApp","Resource":"*"}`),
			typ:      engine.ResourcePolicy, want: Pass},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := c.CheckNoNewAccess(t.Context(), []byte(tc.existing), []byte(tc.updated), tc.typ)
			require.NoError(t, err)
			assert.Equal(t, tc.want, rep.Result, tc.reason)
			if tc.want == Fail {
				assert.Equal(t, tc.wantStatements, statementIndexes(rep), tc.reason)
			} else {
				assert.Empty(t, rep.Reasons, tc.reason)
			}
			if tc.wantNote != "" {
				assert.Contains(t, strings.Join(rep.Notes, "\n"), tc.wantNote)
			}
		})
	}
}

func TestCheckAccessNotGranted(t *testing.T) {
	t.Parallel()
	c := newChecker(t)
	deleteApp := Access{Actions: []string{"mobiletargeting:DeleteApp"}}
	tests := []struct {
		name, reason   string
		doc            string
		access         Access
		want           Result
		wantStatements []int
		wantNote       string
	}{
		{name: "action granted", reason: "the statement names the action",
			doc: policy(allow("mobiletargeting:DeleteApp", allApps)), access: deleteApp, want: Fail, wantStatements: []int{0}},
		{name: "action granted by wildcard", reason: "Delete* covers DeleteApp",
			doc: policy(allow("mobiletargeting:Delete*", "*")), access: deleteApp, want: Fail, wantStatements: []int{0}},
		{name: "action not granted", reason: "Get* does not cover DeleteApp",
			doc: policy(allow("mobiletargeting:Get*", "*")), access: deleteApp, want: Pass},
		{name: "NotAction excludes it", reason: "NotAction Delete* leaves DeleteApp out",
			doc: policy(`{"Effect":"Allow","NotAction":"mobiletargeting:Delete*","Resource":"*"}`), access: deleteApp, want: Pass},
		{name: "NotAction grants it", reason: "NotAction Get* grants every other action",
			doc: policy(`{"Effect":"Allow","NotAction":"mobiletargeting:Get*","Resource":"*"}`), access: deleteApp, want: Fail, wantStatements: []int{0}},
		{name: "Deny carve-out", reason: "an unconditional Deny takes DeleteApp back",
			doc: policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"mobiletargeting:Delete*","Resource":"*"}`), access: deleteApp, want: Pass},
		{name: "Deny carve-out on part of the resources", reason: "the Deny covers apps/* in one account; other accounts stay granted",
			doc: policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"`+allApps+`"}`), access: deleteApp, want: Fail, wantStatements: []int{0}},
		{name: "conditional Deny", reason: "a Deny with conditions may not apply",
			doc: policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"mobiletargeting:Delete*","Resource":"*",`+tls+`}`), access: deleteApp, want: Fail, wantStatements: []int{0}},
		{name: "conditional Allow", reason: "an Allow with conditions may grant",
			doc: policy(`{"Effect":"Allow","Action":"mobiletargeting:DeleteApp","Resource":"*",` + region + `}`), access: deleteApp, want: Fail, wantStatements: []int{0}},
		{name: "resources only, other app", reason: "no action is granted on apps/a2",
			doc: policy(allow("mobiletargeting:*", apps+"a1")), access: Access{Resources: []string{apps + "a2"}}, want: Pass},
		{name: "resources only, same app", reason: "some action is granted on apps/a1",
			doc: policy(allow("mobiletargeting:GetApp", apps+"a1")), access: Access{Resources: []string{apps + "a1"}}, want: Fail, wantStatements: []int{0}},
		{name: "actions and resources, other resource", reason: "DeleteApp is granted on a1 only",
			doc:    policy(allow("mobiletargeting:DeleteApp", apps+"a1")),
			access: Access{Actions: []string{"mobiletargeting:DeleteApp"}, Resources: []string{apps + "a2"}}, want: Pass},
		{name: "actions and resources, pattern resource", reason: "apps/a* in the access meets apps/a1",
			doc:    policy(allow("mobiletargeting:DeleteApp", apps+"a1")),
			access: Access{Actions: []string{"mobiletargeting:DeleteApp"}, Resources: []string{apps + "a*"}}, want: Fail, wantStatements: []int{0}},
		{name: "NotResource leaves the resource out", reason: "every app but secret",
			doc:    policy(`{"Effect":"Allow","Action":"mobiletargeting:*","NotResource":"` + apps + `secret"}`),
			access: Access{Resources: []string{apps + "secret"}}, want: Pass},
		{name: "Deny NotResource carve-out", reason: "every app but public is denied",
			doc:    policy(allow("mobiletargeting:*", "*"), `{"Effect":"Deny","Action":"*","NotResource":"`+apps+`public"}`),
			access: Access{Resources: []string{apps + "secret"}}, want: Pass},
		{name: "variable in Allow", reason: "the user name may be alice",
			doc:    policy(allow("mobiletargeting:GetApp", apps+"${aws:username}")),
			access: Access{Resources: []string{apps + "alice"}}, want: Fail, wantStatements: []int{0}},
		{name: "variable in Deny", reason: "the Deny removes alice only if the user is alice",
			doc:    policy(allow("mobiletargeting:GetApp", "*"), `{"Effect":"Deny","Action":"*","Resource":"`+apps+`${aws:username}"}`),
			access: Access{Resources: []string{apps + "alice"}}, want: Fail, wantStatements: []int{0}},
		{name: "wildcard-only action", reason: "CarrierLookup acts on * only",
			doc: policy(allow("sms-voice:CarrierLookup", "*")), access: Access{Actions: []string{"sms-voice:CarrierLookup"}}, want: Fail, wantStatements: []int{0}},
		{name: "wildcard-only action with an ARN", reason: "an ARN never matches the * CarrierLookup acts on",
			doc: policy(allow("sms-voice:CarrierLookup", "arn:*")), access: Access{Actions: []string{"sms-voice:CarrierLookup"}}, want: Pass},
		{name: "two statements grant", reason: "each statement grants one of the actions",
			doc:    policy(allow("mobiletargeting:DeleteApp", "*"), allow("mobiletargeting:GetSegments", "*"), allow("mobiletargeting:GetApp", "*")),
			access: Access{Actions: []string{"mobiletargeting:DeleteApp", "mobiletargeting:GetSegments"}}, want: Fail, wantStatements: []int{0, 1}},
		{name: "outside domain", reason: "s3 actions are not checked",
			doc: policy(allow("*", "*")), access: Access{Actions: []string{"s3:GetObject"}}, want: Pass, wantNote: `"s3:GetObject" is outside pdp's domain`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := c.CheckAccessNotGranted(t.Context(), []byte(tc.doc), tc.access, engine.IdentityPolicy)
			require.NoError(t, err)
			assert.Equal(t, tc.want, rep.Result, tc.reason)
			if tc.want == Fail {
				assert.Equal(t, tc.wantStatements, statementIndexes(rep), tc.reason)
			} else {
				assert.Empty(t, rep.Reasons, tc.reason)
			}
			if tc.wantNote != "" {
				assert.Contains(t, strings.Join(rep.Notes, "\n"), tc.wantNote)
			}
		})
	}
}

func TestCheckReasonText(t *testing.T) {
	t.Parallel()
	c := newChecker(t)
	existing := policy(allow("mobiletargeting:GetApp", apps+"a1"))
	updated := `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "mobiletargeting:GetApp", "Resource": "` + apps + `a*",
     ` + region + `}
  ]
}`
	rep, err := c.CheckNoNewAccess(t.Context(), []byte(existing), []byte(updated), engine.IdentityPolicy)
	require.NoError(t, err)
	require.Len(t, rep.Reasons, 1)
	r := rep.Reasons[0]
	assert.Equal(t, Reason{
		Description: `Statement[0] (Sid "Read") grants access the existing policy does not, for example ` +
			`mobiletargeting:GetApp on ` + apps + `a` + "; it has conditions, and access it may grant counts as granted",
		StatementIndex: 0, StatementID: "Read", Line: 4, Column: 5, Conditional: true,
	}, r)
}

func TestCheckErrors(t *testing.T) {
	t.Parallel()
	c := newChecker(t)
	good := policy(allow("mobiletargeting:GetApp", "*"))
	tests := []struct {
		name    string
		run     func() error
		wantErr string
	}{
		{"bad JSON in existing", func() error {
			_, err := c.CheckNoNewAccess(t.Context(), []byte(`{"Version":`), []byte(good), engine.IdentityPolicy)
			return err
		}, `policy "existing"`},
		{"bad effect in new", func() error {
			_, err := c.CheckNoNewAccess(t.Context(), []byte(good), []byte(`{"Version":"2012-10-17","Statement":{"Effect":"Maybe","Action":"*","Resource":"*"}}`), engine.IdentityPolicy)
			return err
		}, `policy "new"`},
		{"policy type", func() error {
			_, err := c.CheckNoNewAccess(t.Context(), []byte(good), []byte(good), engine.SCPPolicy)
			return err
		}, "IDENTITY_POLICY or RESOURCE_POLICY"},
		{"empty access", func() error {
			_, err := c.CheckAccessNotGranted(t.Context(), []byte(good), Access{}, engine.IdentityPolicy)
			return err
		}, "at least one action or resource"},
		{"unknown action", func() error {
			_, err := c.CheckAccessNotGranted(t.Context(), []byte(good), Access{Actions: []string{"mobiletargeting:GetAppz"}}, engine.IdentityPolicy)
			return err
		}, `access.actions[0]: unknown action "mobiletargeting:GetAppz" (did you mean`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.run()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

func TestParsePolicyType(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]engine.PolicyType{
		"IDENTITY_POLICY": engine.IdentityPolicy, "identity": engine.IdentityPolicy,
		"RESOURCE_POLICY": engine.ResourcePolicy, "resource": engine.ResourcePolicy,
	} {
		got, err := ParsePolicyType(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParsePolicyType("SERVICE_CONTROL_POLICY")
	assert.ErrorIs(t, err, ErrPolicyType)
}

func TestCheckStopsWithContext(t *testing.T) {
	t.Parallel()
	c := newChecker(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	doc := []byte(policy(allow("*", "*")))
	_, err := c.CheckNoNewAccess(ctx, doc, doc, engine.IdentityPolicy)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = c.CheckAccessNotGranted(ctx, doc, Access{Actions: []string{"mobiletargeting:GetApp"}}, engine.IdentityPolicy)
	assert.ErrorIs(t, err, context.Canceled)
}

// TestCheckManyStatements compares policies of six statements that
// differ in one, with overlapping wildcard resources.
func TestCheckManyStatements(t *testing.T) {
	t.Parallel()
	c := newChecker(t)
	var stmts []string
	for i := range 6 {
		stmts = append(stmts, fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":["mobiletargeting:*","sms-voice:*"],`+
			`"Resource":["%sapp%d*/segments/*","arn:aws:sms-voice:*:111122223333:pool/p%d?"]}`, i, apps, i, i))
	}
	stmts = append(stmts, `{"Effect":"Deny","NotAction":"mobiletargeting:Get*","Resource":"*",`+tls+`}`)
	existing := policy(stmts...)
	widened := slices.Clone(stmts)
	widened[3] = `{"Sid":"S3","Effect":"Allow","Action":["mobiletargeting:*","sms-voice:*"],"Resource":"` + apps + `*"}`

	rep, err := c.CheckNoNewAccess(t.Context(), []byte(existing), []byte(existing), engine.IdentityPolicy)
	require.NoError(t, err)
	assert.Equal(t, Pass, rep.Result)
	rep, err = c.CheckNoNewAccess(t.Context(), []byte(existing), []byte(policy(widened...)), engine.IdentityPolicy)
	require.NoError(t, err)
	assert.Equal(t, []int{3}, statementIndexes(rep))
}

func TestCheckNotesUnknownAction(t *testing.T) {
	t.Parallel()
	c := newChecker(t)
	rep, err := c.CheckNoNewAccess(t.Context(), []byte(policy(allow("mobiletargeting:GetApp", "*"))),
		[]byte(policy(allow("mobiletargeting:GetAppz", "*"))), engine.IdentityPolicy)
	require.NoError(t, err)
	assert.Equal(t, Pass, rep.Result, "a misspelt action grants nothing")
	assert.Equal(t, []string{`new Statement[0]: action "mobiletargeting:GetAppz" names no action of the catalog (pdp validate suggests the closest)`}, rep.Notes)
}
