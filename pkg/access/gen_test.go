package access

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/stretchr/testify/require"
)

// genSize says how large a generated model is.
type genSize struct {
	accounts, managed, users, roles, apps, children int
}

var genAccounts = []string{"111100000001", "111100000002", "111100000003"}

// genActions are the actions generated statements name; with the
// wildcards below they reach most of mobiletargeting.
var genActions = []string{
	"mobiletargeting:GetApp", "mobiletargeting:DeleteApp", "mobiletargeting:GetCampaign",
	"mobiletargeting:UpdateCampaign", "mobiletargeting:GetSegment", "mobiletargeting:UpdateSegment",
	"mobiletargeting:GetJourney", "mobiletargeting:TagResource", "mobiletargeting:CreateApp",
	"mobiletargeting:GetCampaigns",
}

// genConds are the conditions generated statements carry: on request keys
// the model cannot know, and on principal and resource tags.
var genConds = []string{
	`"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}`,
	`"NotIpAddress":{"aws:SourceIp":"10.1.0.0/16"}`,
	`"Bool":{"aws:MultiFactorAuthPresent":"true"}`,
	`"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}`,
	`"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}`,
	`"DateGreaterThan":{"aws:CurrentTime":"2026-06-01T00:00:00Z"}`,
	`"StringEquals":{"aws:RequestTag/env":"prod"}`,
	`"StringEqualsIfExists":{"aws:RequestTag/env":["prod","test"]}`,
	`"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}`,
	`"ForAnyValue:StringLike":{"aws:TagKeys":"cost*"}`,
	`"StringEquals":{"aws:RequestedRegion":"us-east-1"}`,
	`"Null":{"aws:RequestTag/env":"false"}`,
	`"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}`,
	`"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}`,
	`"StringEquals":{"aws:PrincipalTag/team":"growth"}`,
	`"StringNotEquals":{"aws:ResourceTag/stage":"locked"}`,
}

// genOpen lists, for each open key the conditions use, values that reach
// every side of every condition on it (nil: absent).
var genOpen = map[string][]*Value{
	"aws:SourceIp":               {nil, one("10.1.2.3"), one("10.2.0.1"), one("192.0.2.9"), one("203.0.113.5"), one("2001:db8::5")},
	"aws:SecureTransport":        {nil, one("true"), one("false")},
	"aws:ResourceTag/env":        {nil, one("prod"), one("dev")},
	"aws:MultiFactorAuthPresent": {nil, one("true"), one("false")},
	"aws:CurrentTime":            {nil, one("2026-01-01T00:00:00Z"), one("2026-09-01T00:00:00Z"), one("2027-06-01T00:00:00Z")},
	"aws:RequestTag/env":         {nil, one("prod"), one("test"), one("dev")},
	"aws:TagKeys":                {nil, multi(), multi("env"), multi("env", "team"), multi("costcenter"), multi("env", "other")},
	"aws:RequestedRegion":        {nil, one("us-east-1"), one("eu-west-1"), one("us-west-2")},
	"aws:MultiFactorAuthAge":     {nil, one("100"), one("7200")},
	// Open for resources the model does not list.
	"aws:ResourceTag/team":  {nil, one("growth"), one("retention"), one("ops")},
	"aws:ResourceTag/stage": {nil, one("locked"), one("live")},
}

func one(v string) *Value                  { return &Value{Values: []string{v}} }
func multi(v ...string) *Value             { return &Value{Values: append([]string{}, v...), Multi: true} }
func quote(s string) string                { b, _ := json.Marshal(s); return string(b) }
func pickOne[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// genStatement writes one random statement for an account.
func genStatement(r *rand.Rand, acct string, resourcePolicy bool, sid int) string {
	effect := "Allow"
	if r.IntN(5) == 0 {
		effect = "Deny"
	}
	var actions []string
	switch r.IntN(6) {
	case 0:
		actions = []string{"mobiletargeting:Get*"}
	case 1:
		actions = []string{"mobiletargeting:*"}
	default:
		for range 1 + r.IntN(3) {
			actions = append(actions, quote(pickOne(r, genActions)))
		}
	}
	if actions[0][0] != '"' {
		actions[0] = quote(actions[0])
	}
	app := fmt.Sprintf("arn:aws:mobiletargeting:us-east-1:%s:apps/a%d", acct, r.IntN(4))
	resource := pickOne(r, []string{`"*"`, quote(app), quote(app + "/*"), quote("arn:aws:mobiletargeting:*:" + acct + ":apps/*"),
		quote(app + "/campaigns/*")})
	resKey := "Resource"
	if r.IntN(12) == 0 {
		resKey = "NotResource"
	}
	var conds []string
	for range r.IntN(3) {
		c := pickOne(r, genConds)
		dup := false
		for _, d := range conds {
			dup = dup || d[:strings.IndexByte(d, ':')] == c[:strings.IndexByte(c, ':')]
		}
		if !dup {
			conds = append(conds, c)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `{"Sid":"S%d","Effect":%q,"Action":[%s],%q:%s`, sid, effect, strings.Join(actions, ","), resKey, resource)
	if resourcePolicy {
		principal := pickOne(r, []string{`"*"`, quote(pickOne(r, genAccounts)),
			quote(fmt.Sprintf("arn:aws:iam::%s:role/r%d", pickOne(r, genAccounts), r.IntN(20)))})
		fmt.Fprintf(&b, `,"Principal":{"AWS":%s}`, principal)
	}
	if len(conds) > 0 {
		fmt.Fprintf(&b, `,"Condition":{%s}`, strings.Join(conds, ","))
	}
	b.WriteString("}")
	return b.String()
}

func genDoc(r *rand.Rand, acct string, resourcePolicy bool, n int) json.RawMessage {
	stmts := make([]string, n)
	for i := range stmts {
		stmts[i] = genStatement(r, acct, resourcePolicy, i)
	}
	return json.RawMessage(`{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`)
}

var genTeams = []string{"growth", "retention", "ops"}

// genSet writes a random model of every policy type: SCP chains,
// customer managed policies (some used as boundaries), groups with inline
// policies, users, roles, and apps with campaigns and segments, some with
// resource policies, all with tags.
func genSet(r *rand.Rand, sz genSize) *entity.Set {
	s := &entity.Set{}
	s.SCPs = append(s.SCPs, entity.SCP{Name: "Root", Document: json.RawMessage(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},` +
			`{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`)})
	for i := range sz.accounts {
		acct := genAccounts[i]
		name := fmt.Sprintf("Guard%d", i)
		s.SCPs = append(s.SCPs, entity.SCP{Name: name, Document: genDoc(r, acct, false, 1+r.IntN(2))})
		levels := [][]string{{"Root"}, {name}}
		if i == sz.accounts-1 {
			levels = nil // one account outside any organization
		}
		s.Accounts = append(s.Accounts, entity.Account{ID: acct, SCPs: levels})
	}
	for i := range sz.managed {
		acct := genAccounts[i%sz.accounts]
		s.ManagedPolicies = append(s.ManagedPolicies, entity.ManagedPolicy{Name: fmt.Sprintf("M%d", i), Document: genDoc(r, acct, false, 1+r.IntN(3))})
	}
	for i := range 3 {
		s.ManagedPolicies = append(s.ManagedPolicies, entity.ManagedPolicy{Name: fmt.Sprintf("B%d", i), Document: genDoc(r, genAccounts[0], false, 1+r.IntN(2))})
	}
	managed := func() []string {
		var out []string
		for range r.IntN(4) {
			m := fmt.Sprintf("M%d", r.IntN(sz.managed))
			if !contains(out, m) {
				out = append(out, m)
			}
		}
		return out
	}
	boundary := func() string {
		if r.IntN(4) == 0 {
			return fmt.Sprintf("B%d", r.IntN(3))
		}
		return ""
	}
	for a := range sz.accounts {
		acct := genAccounts[a]
		for g := range 3 {
			s.Groups = append(s.Groups, entity.Group{Name: fmt.Sprintf("g%d", g), Account: acct, ManagedPolicies: managed(),
				InlinePolicies: map[string]json.RawMessage{"inline": genDoc(r, acct, false, 1)}})
		}
	}
	for i := range sz.users {
		acct := genAccounts[i%sz.accounts]
		u := entity.User{ARN: fmt.Sprintf("arn:aws:iam::%s:user/u%d", acct, i), ManagedPolicies: managed(),
			PermissionsBoundary: boundary(), Tags: map[string]string{"team": pickOne(r, genTeams)},
			Groups: []string{fmt.Sprintf("g%d", r.IntN(3))}}
		if r.IntN(3) == 0 {
			u.InlinePolicies = map[string]json.RawMessage{"own": genDoc(r, acct, false, 1+r.IntN(2))}
		}
		s.Users = append(s.Users, u)
	}
	for i := range sz.roles {
		acct := genAccounts[i%sz.accounts]
		ro := entity.Role{ARN: fmt.Sprintf("arn:aws:iam::%s:role/r%d", acct, i), ManagedPolicies: managed(),
			PermissionsBoundary: boundary(), Tags: map[string]string{"team": pickOne(r, genTeams)}}
		if r.IntN(2) == 0 {
			ro.InlinePolicies = map[string]json.RawMessage{"own": genDoc(r, acct, false, 1+r.IntN(2))}
		}
		s.Roles = append(s.Roles, ro)
	}
	for a := range sz.accounts {
		acct := genAccounts[a]
		for i := range sz.apps {
			app := fmt.Sprintf("arn:aws:mobiletargeting:us-east-1:%s:apps/a%d", acct, i)
			res := entity.Resource{ARN: app, Tags: genTags(r)}
			if r.IntN(2) == 0 {
				res.Policy = genDoc(r, acct, true, 1+r.IntN(2))
			}
			s.Resources = append(s.Resources, res)
			for c := range sz.children {
				kind := pickOne(r, []string{"campaigns", "segments", "journeys"})
				child := entity.Resource{ARN: fmt.Sprintf("%s/%s/c%d", app, kind, c), Tags: genTags(r)}
				if r.IntN(10) == 0 {
					child.Policy = genDoc(r, acct, true, 1)
				}
				s.Resources = append(s.Resources, child)
			}
		}
	}
	return s
}

func genTags(r *rand.Rand) map[string]string {
	t := map[string]string{"team": pickOne(r, genTeams)}
	if r.IntN(3) == 0 {
		t["stage"] = pickOne(r, []string{"locked", "live"})
	}
	return t
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// resolve resolves a Set through cache and compiles it.
func resolve(t testing.TB, cat *catalog.Catalog, s *entity.Set, cache *entity.DocCache, rev int64) (*entity.Resolved, *Model) {
	t.Helper()
	res, err := s.ResolveCached(cat, cache)
	require.NoError(t, err)
	m, err := NewModel(cat, res, rev)
	require.NoError(t, err)
	return res, m
}
