package server

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/entity"
)

// genConfig sizes a synthetic policy model.
type genConfig struct {
	accounts   int // AWS accounts, 10 OUs of an organization (every 20th outside it)
	managed    int // customer managed policies; the first genBoundaries are boundaries
	principals int // users (60%) and roles (40%) spread over the accounts
	resources  int // Pinpoint apps (1 in 20) with their campaigns and segments
}

// The model of the benchmarks: 100,000 principals and 1,000,000 resources.
var genLarge = genConfig{accounts: 100, managed: 500, principals: 100_000, resources: 1_000_000}

// genSmall is a model the tests compile in well under a second.
var genSmall = genConfig{accounts: 12, managed: 60, principals: 600, resources: 4_000}

const (
	genBoundaries   = 5  // managed policies named Boundary0..4, used as permissions boundaries
	genGroups       = 5  // groups per account
	genAppChildren  = 19 // campaigns and segments listed under each app
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

// genAccount is the ID of account i.
func genAccount(i int) string { return fmt.Sprintf("%012d", 200000000000+i) }

// genApp is the ARN of app j of account a.
func genApp(a string, j int) string {
	return "arn:aws:mobiletargeting:us-east-1:" + a + ":apps/app" + fmt.Sprint(j)
}

// genModel builds a deterministic synthetic model: SCP chains for the
// accounts of an organization, managed policies (some boundaries), groups,
// users and roles attaching 3 to 5 managed policies (20% with an inline
// policy, 10% with a boundary, users in groups), and Pinpoint apps with
// their campaigns and segments, tagged, one resource in 1,000 with a
// resource policy. Tag maps are shared between entities with the same tags.
func genModel(cfg genConfig) *entity.Set {
	r := rand.New(rand.NewPCG(1, 2))
	s := &entity.Set{}
	s.SCPs = append(s.SCPs, entity.SCP{Name: "FullAWSAccess",
		Document: doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	for ou := range genOUs {
		s.SCPs = append(s.SCPs, entity.SCP{Name: fmt.Sprintf("Guardrails%d", ou), Document: genGuardrail(ou)})
	}
	for i := range cfg.accounts {
		a := entity.Account{ID: genAccount(i), Name: fmt.Sprintf("account-%d", i)}
		if i%genOutsideEvery != genOutsideEvery-1 {
			a.SCPs = [][]string{{"FullAWSAccess"}, {"FullAWSAccess", fmt.Sprintf("Guardrails%d", i%genOUs)}, {"FullAWSAccess"}}
		}
		s.Accounts = append(s.Accounts, a)
	}
	for i := range cfg.managed {
		s.ManagedPolicies = append(s.ManagedPolicies, genManaged(r, i))
	}
	attachable := cfg.managed - genBoundaries
	for i := range cfg.accounts {
		for g := range genGroups {
			grp := entity.Group{Name: fmt.Sprintf("group%d", g), Account: genAccount(i),
				ManagedPolicies: genPick(r, attachable, 1+r.IntN(2), genBoundaries)}
			if r.IntN(10) < 3 {
				grp.InlinePolicies = map[string]json.RawMessage{"ListApps": genInline(genAccount(i), g)}
			}
			s.Groups = append(s.Groups, grp)
		}
	}
	tags := newTagInterner()
	for p := range cfg.principals {
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
		name := genManagedName(offset + r.IntN(attachable))
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func genManagedName(i int) string {
	if i < genBoundaries {
		return fmt.Sprintf("Boundary%d", i)
	}
	return fmt.Sprintf("Policy%03d", i)
}

func genManaged(r *rand.Rand, i int) entity.ManagedPolicy {
	m := entity.ManagedPolicy{Name: genManagedName(i), Description: fmt.Sprintf("synthetic policy %d", i)}
	if i < genBoundaries {
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
func genPrincipal(s *entity.Set, r *rand.Rand, tags tagInterner, cfg genConfig, attachable, p int) {
	ai := r.IntN(cfg.accounts)
	a := genAccount(ai)
	managed := genPick(r, attachable, 3+r.IntN(3), genBoundaries)
	var inline map[string]json.RawMessage
	if r.IntN(5) == 0 {
		inline = map[string]json.RawMessage{"Journeys": genInline(a, p%500)}
	}
	var boundary string
	if r.IntN(10) == 0 {
		boundary = genManagedName(r.IntN(genBoundaries))
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
func genResources(s *entity.Set, r *rand.Rand, tags tagInterner, cfg genConfig) {
	apps := cfg.resources / (1 + genAppChildren)
	for j := range apps {
		ai := j % cfg.accounts
		a := genAccount(ai)
		app := genApp(a, j/cfg.accounts)
		team := genTeams[r.IntN(len(genTeams))]
		res := entity.Resource{ARN: app, Tags: tags.get("env", genEnvs[r.IntN(2)], "team", team)}
		if j%genPolicyEvery == 0 {
			res.Policy = doc(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"Share","Effect":"Allow",`+
				`"Principal":{"AWS":"arn:aws:iam::%s:role/service/partner"},`+
				`"Action":["mobiletargeting:GetCampaign","mobiletargeting:GetCampaigns"],"Resource":[%q,%q]}]}`,
				genAccount((ai+1)%cfg.accounts), app, app+"/campaigns/*"))
		}
		s.Resources = append(s.Resources, res)
		for k := range genAppChildren {
			kind, id := "campaigns/c", k
			if k%2 == 1 {
				kind, id = "segments/s", k/2
			}
			s.Resources = append(s.Resources, entity.Resource{ARN: app + "/" + kind + fmt.Sprint(id),
				Tags: tags.get("env", genEnvs[r.IntN(2)], "team", team)})
		}
	}
}
