// Package modelgen builds deterministic synthetic policy models of a
// chosen size, for the tests and benchmarks of the snapshot and of the
// policy service: an organization's SCP chains, managed policies, groups,
// users, roles and Pinpoint resources, shaped like a large deployment.
package modelgen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/entity"
)

// Config sizes a synthetic policy model.
type Config struct {
	Accounts   int // AWS accounts, 10 OUs of an organization (every 20th outside it)
	Managed    int // customer managed policies; the first Boundaries are boundaries
	Principals int // users (60%) and roles (40%) spread over the accounts
	Resources  int // Pinpoint apps (1 in 20) with their campaigns and segments
}

// The model of the benchmarks: 100,000 principals and 1,000,000 resources.
var Large = Config{Accounts: 100, Managed: 500, Principals: 100_000, Resources: 1_000_000}

// Small is a model the tests compile in well under a second.
var Small = Config{Accounts: 12, Managed: 60, Principals: 600, Resources: 4_000}

const (
	Boundaries      = 5  // managed policies named Boundary0..4, used as permissions boundaries
	genGroups       = 5  // groups per account
	AppChildren     = 19 // campaigns and segments listed under each app
	genPolicyEvery  = 50 // one app in genPolicyEvery has a resource policy: 0.1% of the resources
	genOUs          = 10
	genOutsideEvery = 20
)

var (
	genTeams   = []string{"growth", "retention", "analytics", "platform", "payments", "search", "mobile", "web"}
	genEnvs    = []string{"prod", "staging"}
	genReads   = []string{"GetCampaign", "GetCampaigns", "GetSegment", "GetSegments", "GetJourney", "GetApp", "GetApps", "GetCampaignVersions", "GetSegmentVersions"}
	genWrites  = []string{"UpdateCampaign", "CreateCampaign", "UpdateSegment", "CreateSegment", "DeleteCampaign", "DeleteSegment", "UpdateJourney"}
	genRegions = []string{"us-east-1", "eu-west-1"}
)

// Account is the ID of account i.
func Account(i int) string { return fmt.Sprintf("%012d", 200000000000+i) }

// App is the ARN of app j of account a.
func App(a string, j int) string {
	return "arn:aws:mobiletargeting:us-east-1:" + a + ":apps/app" + fmt.Sprint(j)
}

// Generate builds a deterministic synthetic model: SCP chains for the
// accounts of an organization, managed policies (some boundaries), groups,
// users and roles attaching 3 to 5 managed policies (20% with an inline
// policy, 10% with a boundary, users in groups), and Pinpoint apps with
// their campaigns and segments, tagged, one resource in 1,000 with a
// resource policy. Tag maps are shared between entities with the same tags.
func Generate(cfg Config) *entity.Set {
	r := rand.New(rand.NewPCG(1, 2))
	s := &entity.Set{}
	s.SCPs = append(s.SCPs, entity.SCP{Name: "FullAWSAccess",
		Document: doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	for ou := range genOUs {
		s.SCPs = append(s.SCPs, entity.SCP{Name: fmt.Sprintf("Guardrails%d", ou), Document: genGuardrail(ou)})
	}
	for i := range cfg.Accounts {
		a := entity.Account{ID: Account(i), Name: fmt.Sprintf("account-%d", i)}
		if i%genOutsideEvery != genOutsideEvery-1 {
			a.SCPs = [][]string{{"FullAWSAccess"}, {"FullAWSAccess", fmt.Sprintf("Guardrails%d", i%genOUs)}, {"FullAWSAccess"}}
		}
		s.Accounts = append(s.Accounts, a)
	}
	for i := range cfg.Managed {
		s.ManagedPolicies = append(s.ManagedPolicies, genManaged(r, i))
	}
	attachable := cfg.Managed - Boundaries
	for i := range cfg.Accounts {
		for g := range genGroups {
			grp := entity.Group{Name: fmt.Sprintf("group%d", g), Account: Account(i),
				ManagedPolicies: genPick(r, attachable, 1+r.IntN(2), Boundaries)}
			if r.IntN(10) < 3 {
				grp.InlinePolicies = map[string]json.RawMessage{"ListApps": genInline(Account(i), g)}
			}
			s.Groups = append(s.Groups, grp)
		}
	}
	tags := newTagInterner()
	for p := range cfg.Principals {
		genPrincipal(s, r, tags, cfg, attachable, p)
	}
	genResources(s, r, tags, cfg)
	return s
}

func doc(s string) json.RawMessage { return json.RawMessage(s) }

// genPick returns n distinct policy names among the attachable ones.
func genPick(r *rand.Rand, attachable, n, offset int) []string {
	var out []string
	for len(out) < n {
		name := ManagedName(offset + r.IntN(attachable))
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func ManagedName(i int) string {
	if i < Boundaries {
		return fmt.Sprintf("Boundary%d", i)
	}
	return fmt.Sprintf("Policy%03d", i)
}

func genManaged(r *rand.Rand, i int) entity.ManagedPolicy {
	m := entity.ManagedPolicy{Name: ManagedName(i), Description: fmt.Sprintf("synthetic policy %d", i)}
	if i < Boundaries {
		m.Document = doc(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[`+
			`{"Sid":"PinpointOnly","Effect":"Allow","Action":"mobiletargeting:*","Resource":"*"},`+
			`{"Sid":"NotRegion%d","Effect":"Deny","Action":"mobiletargeting:Delete*","Resource":"*",`+
			`"Condition":{"StringEquals":{"aws:RequestedRegion":%q}}}]}`, i, genRegions[i%2]))
		return m
	}
	m.Document = genManagedDoc(r, i)
	return m
}

// genManagedDoc writes a managed policy of two or three statements: reads
// on some apps, team-scoped writes (ABAC), and sometimes a deny on
// production.
func genManagedDoc(r *rand.Rand, i int) json.RawMessage {
	var b strings.Builder
	b.WriteString(`{"Version":"2012-10-17","Statement":[`)
	fmt.Fprintf(&b, `{"Sid":"Read%d","Effect":"Allow","Action":%s,"Resource":["arn:aws:mobiletargeting:*:*:apps/app%d*","arn:aws:mobiletargeting:*:*:apps/app%d/*"]}`,
		i, genActions(r, genReads, 2+r.IntN(4)), i%50, i%50)
	fmt.Fprintf(&b, `,{"Sid":"ManageOwnTeam","Effect":"Allow","Action":%s,"Resource":"arn:aws:mobiletargeting:%s:*:apps/*",`+
		`"Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"},"Bool":{"aws:SecureTransport":"true"}}}`,
		genActions(r, genWrites, 1+r.IntN(3)), genRegions[i%2])
	if i%3 == 0 {
		b.WriteString(`,{"Sid":"NeverDeleteProduction","Effect":"Deny","Action":"mobiletargeting:Delete*","Resource":"*",` +
			`"Condition":{"StringEquals":{"aws:ResourceTag/env":"prod"}}}`)
	}
	b.WriteString(`]}`)
	return doc(b.String())
}

func genActions(r *rand.Rand, from []string, n int) string {
	var out []string
	for _, k := range r.Perm(len(from))[:n] {
		out = append(out, `"mobiletargeting:`+from[k]+`"`)
	}
	return "[" + strings.Join(out, ",") + "]"
}

func genGuardrail(ou int) json.RawMessage {
	return doc(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[`+
		`{"Sid":"DenyOutsideRegions","Effect":"Deny","Action":"*","Resource":"*",`+
		`"Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}},`+
		`{"Sid":"ProtectOU%d","Effect":"Deny","Action":["sms-voice:DeleteOptOutList","mobiletargeting:DeleteApp"],"Resource":"*"}]}`, ou))
}

func genInline(account string, n int) json.RawMessage {
	return doc(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`+
		`"Action":["mobiletargeting:GetJourney","mobiletargeting:GetApp"],`+
		`"Resource":"arn:aws:mobiletargeting:us-east-1:%s:apps/app%d/*"}]}`, account, n))
}

// tagInterner shares one map between entities with the same tags, as the
// generator would otherwise hold a million small maps.
type tagInterner map[string]map[string]string

func newTagInterner() tagInterner { return make(tagInterner) }

func (t tagInterner) get(kv ...string) map[string]string {
	key := strings.Join(kv, "\x00")
	if m, ok := t[key]; ok {
		return m
	}
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	t[key] = m
	return m
}

// genPrincipal adds principal p: a user (60%) or a role, with 3 to 5
// managed policies, in 20% of cases an inline policy, in 10% a boundary;
// users join 0 to 2 groups of their account.
func genPrincipal(s *entity.Set, r *rand.Rand, tags tagInterner, cfg Config, attachable, p int) {
	ai := r.IntN(cfg.Accounts)
	a := Account(ai)
	managed := genPick(r, attachable, 3+r.IntN(3), Boundaries)
	var inline map[string]json.RawMessage
	if r.IntN(5) == 0 {
		inline = map[string]json.RawMessage{"Journeys": genInline(a, p%500)}
	}
	var boundary string
	if r.IntN(10) == 0 {
		boundary = ManagedName(r.IntN(Boundaries))
	}
	t := tags.get("team", genTeams[r.IntN(len(genTeams))])
	if p%10 < 6 {
		u := entity.User{ARN: fmt.Sprintf("arn:aws:iam::%s:user/u%d", a, p), ManagedPolicies: managed,
			InlinePolicies: inline, PermissionsBoundary: boundary, Tags: t}
		for g := range r.IntN(3) {
			u.Groups = append(u.Groups, fmt.Sprintf("group%d", (p+g)%genGroups))
		}
		s.Users = append(s.Users, u)
		return
	}
	s.Roles = append(s.Roles, entity.Role{ARN: fmt.Sprintf("arn:aws:iam::%s:role/service/r%d", a, p), ManagedPolicies: managed,
		InlinePolicies: inline, PermissionsBoundary: boundary, Tags: t})
}

// genResources adds the apps of every account with their campaigns and
// segments; one app in genPolicyEvery shares its campaigns with a role of
// the next account.
func genResources(s *entity.Set, r *rand.Rand, tags tagInterner, cfg Config) {
	apps := cfg.Resources / (1 + AppChildren)
	for j := range apps {
		ai := j % cfg.Accounts
		a := Account(ai)
		app := App(a, j/cfg.Accounts)
		team := genTeams[r.IntN(len(genTeams))]
		res := entity.Resource{ARN: app, Tags: tags.get("env", genEnvs[r.IntN(2)], "team", team)}
		if j%genPolicyEvery == 0 {
			res.Policy = doc(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"Share","Effect":"Allow",`+
				`"Principal":{"AWS":"arn:aws:iam::%s:role/service/partner"},`+
				`"Action":["mobiletargeting:GetCampaign","mobiletargeting:GetCampaigns"],"Resource":[%q,%q]}]}`,
				Account((ai+1)%cfg.Accounts), app, app+"/campaigns/*"))
		}
		s.Resources = append(s.Resources, res)
		for k := range AppChildren {
			kind, id := "campaigns/c", k
			if k%2 == 1 {
				kind, id = "segments/s", k/2
			}
			s.Resources = append(s.Resources, entity.Resource{ARN: app + "/" + kind + fmt.Sprint(id),
				Tags: tags.get("env", genEnvs[r.IntN(2)], "team", team)})
		}
	}
}
