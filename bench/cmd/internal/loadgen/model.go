package loadgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/pdp-dev/pdp/pkg/entity"
)

// Config sizes the generated model and request set.
type Config struct {
	Accounts int // accounts of the organization, each with every team
	Teams    int
	// Apps are spread evenly over the accounts and teams: every (account,
	// team) pair gets Apps/(Accounts*Teams) of them, at least three.
	Apps          int
	Users         int
	Roles         int // at least one per account, to share apps with
	InlinePerUser int // inline policies of each user
	InlinePerRole int // inline policies of each role
	// Checks is the number of distinct Check requests; BatchSizes the item
	// counts of the BatchCheck requests, BatchesPerSize distinct ones each.
	Checks         int
	BatchSizes     []int
	BatchesPerSize int
	Seed           uint64
}

// DefaultConfig is the load test's model: 1,500 users and 300 roles,
// 6,000 resources, and about 10,000 policies.
func DefaultConfig() Config {
	return Config{
		Accounts: 4, Teams: 25, Apps: 600, Users: 1500, Roles: 300,
		InlinePerUser: 6, InlinePerRole: 3,
		Checks: 1000, BatchSizes: []int{100, 1000}, BatchesPerSize: 8, Seed: 1,
	}
}

// children are the resources of each app besides the app itself, by the
// path element of their ARN.
var children = []struct {
	kind string
	n    int
}{{"campaigns", 4}, {"segments", 3}, {"journeys", 2}}

var envs = []string{"prod", "staging", "dev"}

// Boundary kinds of users.
const (
	noBoundary = iota
	marketingBoundary
	readOnlyBoundary
)

// check reports what cannot generate a model with every request kind.
func (c Config) check() error {
	var errs []error
	if c.Accounts < 2 || c.Accounts > 99 {
		errs = append(errs, errors.New("accounts must be 2 to 99: apps are shared across accounts"))
	}
	if c.Teams < 2 {
		errs = append(errs, errors.New("teams must be at least 2: requests reach other teams' apps"))
	}
	if pairs := c.Accounts * c.Teams; pairs > 0 && (c.Apps%pairs != 0 || c.Apps/pairs < 3) {
		errs = append(errs, fmt.Errorf("apps must be a multiple of accounts × teams = %d, and at least 3 times it", pairs))
	} else if pairs > 0 && max(c.InlinePerUser, c.InlinePerRole)/3 >= c.Apps/pairs {
		errs = append(errs, fmt.Errorf("%d apps per account and team leave no app unquarantined by %d inline policies",
			c.Apps/pairs, max(c.InlinePerUser, c.InlinePerRole)))
	}
	if c.Users < c.Accounts*c.Teams {
		errs = append(errs, errors.New("users must be at least accounts × teams"))
	}
	if c.Roles < c.Accounts {
		errs = append(errs, errors.New("roles must be at least one per account"))
	}
	if c.InlinePerUser < 3 || c.InlinePerRole < 3 {
		errs = append(errs, errors.New("users and roles need at least 3 inline policies, one of each kind"))
	}
	if c.Checks < 1 || c.BatchesPerSize < 1 || slices.ContainsFunc(c.BatchSizes, func(n int) bool { return n < 1 }) {
		errs = append(errs, errors.New("checks, batch sizes and batches per size must be positive"))
	}
	return errors.Join(errs...)
}

// app is one Amazon Pinpoint app and the resources under it.
type app struct {
	id      string
	account int
	team    int
	env     string
	// sharedWith are the roles (indexes) of other accounts that the app's
	// resource policy allows to read it; nil when it has no policy.
	sharedWith []int
}

// principal is a user or role and what its inline policies grant and deny.
type principal struct {
	arn      string
	session  string // for a role, the ARN of one of its sessions
	account  int
	team     int
	isRole   bool
	boundary int
	office   int // second octet of the office network 10.ACCOUNT.OFFICE.0/24
	// journeyApps are other teams' apps whose journeys an inline policy
	// grants from the office network; segmentApps other teams' apps whose
	// segments one grants; quarantined the own team's apps one denies.
	journeyApps, segmentApps []int
	quarantined              []int
}

// model is the generated organization, with the indexes requests are
// drawn from.
type model struct {
	cfg        Config
	r          *rand.Rand
	accounts   []string
	apps       []app
	users      []principal
	roles      []principal
	rolesOf    [][]int // roles by account
	appsOf     [][]int // apps by account*Teams+team
	policies   int     // policy documents in the set
	set        *entity.Set
	sharedApps []int // apps with a resource policy
}

func accountID(i int) string { return fmt.Sprintf("2100000000%02d", i+1) }
func teamName(t int) string  { return fmt.Sprintf("team%02d", t) }

func (m *model) appARN(k int) string {
	a := m.apps[k]
	return "arn:aws:mobiletargeting:us-east-1:" + m.accounts[a.account] + ":apps/" + a.id
}

// doc is a policy document as it is written: Version, then statements.
type doc struct {
	Version   string `json:"Version"`
	Statement []stmt `json:"Statement"`
}

type stmt struct {
	Sid       string         `json:"Sid,omitempty"`
	Effect    string         `json:"Effect"`
	Principal map[string]any `json:"Principal,omitempty"`
	Action    any            `json:"Action"`
	Resource  any            `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// raw marshals a document. It cannot fail: documents are built of strings,
// slices and maps.
func (m *model) raw(statements ...stmt) json.RawMessage {
	b, err := json.Marshal(doc{Version: "2012-10-17", Statement: statements})
	if err != nil {
		panic(err) // unreachable: see above
	}
	m.policies++
	return b
}

// Actions of the team policies, by what they do.
var (
	readActions = []string{
		"mobiletargeting:GetApp", "mobiletargeting:GetCampaigns", "mobiletargeting:GetSegments",
		"mobiletargeting:ListJourneys", "mobiletargeting:GetCampaign", "mobiletargeting:GetCampaignVersions",
		"mobiletargeting:GetSegment", "mobiletargeting:GetJourney",
	}
	writeActions = []string{
		"mobiletargeting:CreateCampaign", "mobiletargeting:CreateSegment",
		"mobiletargeting:UpdateCampaign", "mobiletargeting:UpdateSegment", "mobiletargeting:UpdateJourney",
		"mobiletargeting:DeleteCampaign", "mobiletargeting:DeleteSegment", "mobiletargeting:DeleteJourney",
	}
	deleteActions = []string{"mobiletargeting:DeleteCampaign", "mobiletargeting:DeleteSegment", "mobiletargeting:DeleteJourney"}
)

// allowedRegions are the regions the organization's RegionGuard SCP
// leaves open.
var allowedRegions = []string{"us-east-1", "eu-west-1"}

// build generates the organization. Every document it writes is one of a
// few kinds, and requests rely on what each kind allows: see requests.go.
func build(cfg Config) (*model, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	m := &model{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed)), set: &entity.Set{}}
	m.buildOrganization()
	m.buildManaged()
	m.buildApps()
	m.buildRoles()
	m.buildUsers()
	m.buildResources() // last: resource policies name roles
	return m, nil
}

func (m *model) buildOrganization() {
	s := m.set
	s.SCPs = []entity.SCP{
		{Name: "FullAWSAccess", Document: m.raw(stmt{Effect: "Allow", Action: "*", Resource: "*"})},
		{Name: "RegionGuard", Document: m.raw(stmt{Sid: "DenyOutsideApprovedRegions", Effect: "Deny", Action: "*", Resource: "*",
			Condition: map[string]any{"StringNotEquals": map[string]any{"aws:RequestedRegion": allowedRegions}}})},
		{Name: "ProtectOptOutLists", Document: m.raw(stmt{Sid: "ProtectOptOutLists", Effect: "Deny",
			Action: []string{"sms-voice:DeleteOptOutList", "sms-voice:DeleteOptedOutNumber"}, Resource: "*"})},
	}
	for i := range m.cfg.Accounts {
		id := accountID(i)
		m.accounts = append(m.accounts, id)
		s.Accounts = append(s.Accounts, entity.Account{ID: id, Name: fmt.Sprintf("unit-%d", i+1),
			SCPs: [][]string{{"FullAWSAccess"}, {"FullAWSAccess", "RegionGuard"}, {"FullAWSAccess", "ProtectOptOutLists"}}})
	}
}

// buildManaged writes the managed policies: a read policy per team, one
// ABAC write policy, the production guard, two boundaries and the roles'
// read policy.
func (m *model) buildManaged() {
	s := m.set
	for t := range m.cfg.Teams {
		s.ManagedPolicies = append(s.ManagedPolicies, entity.ManagedPolicy{
			Name: "Read-" + teamName(t), Description: "Read the apps, campaigns, segments and journeys of " + teamName(t),
			Document: m.raw(stmt{Sid: "ReadTeamResources", Effect: "Allow", Action: readActions,
				Resource:  "arn:aws:mobiletargeting:*:*:apps/*",
				Condition: map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/team": teamName(t)}}}),
		})
	}
	s.ManagedPolicies = append(s.ManagedPolicies,
		entity.ManagedPolicy{Name: "TeamWrite", Description: "Change the resources tagged with the caller's own team, over TLS only",
			Document: m.raw(stmt{Sid: "WriteOwnTeam", Effect: "Allow", Action: writeActions,
				Resource: "arn:aws:mobiletargeting:*:*:apps/*",
				Condition: map[string]any{
					"StringEquals": map[string]any{"aws:ResourceTag/team": "${aws:PrincipalTag/team}"},
					"Bool":         map[string]any{"aws:SecureTransport": "true"},
				}})},
		entity.ManagedPolicy{Name: "NoProdDeletes", Description: "Never delete what is tagged env=prod",
			Document: m.raw(stmt{Sid: "DenyProdDeletes", Effect: "Deny", Action: deleteActions, Resource: "*",
				Condition: map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/env": "prod"}}})},
		entity.ManagedPolicy{Name: "MarketingBoundary", Path: "/boundaries/",
			Document: m.raw(stmt{Effect: "Allow", Action: []string{"mobiletargeting:*", "sms-voice:Describe*", "sms-voice:Send*"}, Resource: "*"})},
		entity.ManagedPolicy{Name: "ReadOnlyBoundary", Path: "/boundaries/",
			Document: m.raw(stmt{Effect: "Allow", Action: []string{"mobiletargeting:Get*", "mobiletargeting:List*"}, Resource: "*"})},
		entity.ManagedPolicy{Name: "CrossAccountRead", Description: "Read apps and campaigns that their owners share",
			Document: m.raw(stmt{Effect: "Allow",
				Action:   []string{"mobiletargeting:GetApp", "mobiletargeting:GetCampaigns", "mobiletargeting:GetCampaign"},
				Resource: "arn:aws:mobiletargeting:*:*:apps/*"})},
	)
	for a := range m.cfg.Accounts {
		for t := range m.cfg.Teams {
			s.Groups = append(s.Groups, entity.Group{Name: teamName(t), Account: accountID(a),
				ManagedPolicies: []string{"Read-" + teamName(t), "NoProdDeletes"},
				InlinePolicies: map[string]json.RawMessage{"ReadKpis": m.raw(stmt{Effect: "Allow",
					Action:   []string{"mobiletargeting:GetApplicationDateRangeKpi", "mobiletargeting:GetCampaignDateRangeKpi"},
					Resource: "arn:aws:mobiletargeting:*:" + accountID(a) + ":apps/*"})},
			})
		}
	}
}

// buildApps lays the apps out so that app k belongs to account k%Accounts
// and team (k/Accounts)%Teams, with environments varying within a pair.
func (m *model) buildApps() {
	pairs := m.cfg.Accounts * m.cfg.Teams
	m.appsOf = make([][]int, pairs)
	for k := range m.cfg.Apps {
		a, t, rep := k%m.cfg.Accounts, (k/m.cfg.Accounts)%m.cfg.Teams, k/pairs
		m.apps = append(m.apps, app{id: fmt.Sprintf("app%04d", k), account: a, team: t, env: envs[(rep+t)%len(envs)]})
		m.appsOf[a*m.cfg.Teams+t] = append(m.appsOf[a*m.cfg.Teams+t], k)
	}
}

// ownApps returns the apps of an account and team; otherApps picks an app
// of the same account and another team.
func (m *model) ownApps(a, t int) []int { return m.appsOf[a*m.cfg.Teams+t] }

func (m *model) otherApp(a, t int) int {
	o := (t + 1 + m.r.IntN(m.cfg.Teams-1)) % m.cfg.Teams
	apps := m.ownApps(a, o)
	return apps[m.r.IntN(len(apps))]
}

// inline writes the inline policies of a principal, cycling through the
// three kinds: a journey grant from the office network, a segment grant,
// a quarantine of one of the team's own apps.
func (m *model) inline(p *principal, n int) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, n)
	own := slices.Clone(m.ownApps(p.account, p.team))
	m.r.Shuffle(len(own), func(i, j int) { own[i], own[j] = own[j], own[i] })
	cidr := fmt.Sprintf("10.%d.%d.0/24", p.account, p.office)
	segmentAction := "mobiletargeting:GetSegment"
	if p.isRole {
		segmentAction = "mobiletargeting:UpdateSegment"
	}
	for j := range n {
		switch j % 3 {
		case 0:
			k := m.otherApp(p.account, p.team)
			p.journeyApps = append(p.journeyApps, k)
			out[fmt.Sprintf("JourneyAccess%d", j/3)] = m.raw(stmt{Sid: "JourneysFromOffice", Effect: "Allow",
				Action:    []string{"mobiletargeting:GetJourney", "mobiletargeting:GetJourneyRuns"},
				Resource:  m.appARN(k) + "/journeys/*",
				Condition: map[string]any{"IpAddress": map[string]any{"aws:SourceIp": cidr}}})
		case 1:
			k := m.otherApp(p.account, p.team)
			p.segmentApps = append(p.segmentApps, k)
			out[fmt.Sprintf("SegmentAccess%d", j/3)] = m.raw(stmt{Sid: "SharedSegments", Effect: "Allow",
				Action:    []string{segmentAction, "mobiletargeting:GetSegmentVersions"},
				Resource:  m.appARN(k) + "/segments/*",
				Condition: map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": "us-east-1"}}})
		case 2:
			k := own[j/3] // distinct: Config.check leaves one app over
			p.quarantined = append(p.quarantined, k)
			out[fmt.Sprintf("Quarantine%d", j/3)] = m.raw(stmt{Sid: "Quarantined", Effect: "Deny",
				Action: "mobiletargeting:*", Resource: []string{m.appARN(k), m.appARN(k) + "/*"}})
		}
	}
	return out
}

func (m *model) buildRoles() {
	m.rolesOf = make([][]int, m.cfg.Accounts)
	for i := range m.cfg.Roles {
		a, t := i%m.cfg.Accounts, (i/m.cfg.Accounts)%m.cfg.Teams
		name := fmt.Sprintf("analyst%04d", i)
		p := principal{arn: "arn:aws:iam::" + m.accounts[a] + ":role/analytics/" + name,
			session: "arn:aws:sts::" + m.accounts[a] + ":assumed-role/" + name + "/dashboard-" + fmt.Sprint(i%7),
			account: a, team: t, isRole: true, office: 100 + t}
		inline := m.inline(&p, m.cfg.InlinePerRole)
		m.roles = append(m.roles, p)
		m.rolesOf[a] = append(m.rolesOf[a], i)
		m.set.Roles = append(m.set.Roles, entity.Role{ARN: p.arn,
			ManagedPolicies: []string{"Read-" + teamName(t), "CrossAccountRead"},
			InlinePolicies:  inline,
			Tags:            map[string]string{"team": teamName(t), "function": "analytics"}})
	}
}

func (m *model) buildUsers() {
	for i := range m.cfg.Users {
		a, t := i%m.cfg.Accounts, (i/m.cfg.Accounts)%m.cfg.Teams
		p := principal{arn: fmt.Sprintf("arn:aws:iam::%s:user/%s/user%05d", m.accounts[a], teamName(t), i),
			account: a, team: t, boundary: i % 3, office: t}
		inline := m.inline(&p, m.cfg.InlinePerUser)
		m.users = append(m.users, p)
		u := entity.User{ARN: p.arn, Groups: []string{teamName(t)}, ManagedPolicies: []string{"TeamWrite"},
			InlinePolicies: inline,
			Tags:           map[string]string{"team": teamName(t), "cost-center": fmt.Sprintf("cc-%03d", i%97)}}
		switch p.boundary {
		case marketingBoundary:
			u.PermissionsBoundary = "MarketingBoundary"
		case readOnlyBoundary:
			u.PermissionsBoundary = "ReadOnlyBoundary"
		}
		m.set.Users = append(m.set.Users, u)
	}
}

// buildResources writes every app with its campaigns, segments and
// journeys, tagged with the app's team and environment. One app in four
// has a resource policy sharing it with three roles of the next account.
func (m *model) buildResources() {
	for k := range m.apps {
		ap := &m.apps[k]
		base := m.appARN(k)
		tags := map[string]string{"team": teamName(ap.team), "env": ap.env, "cost-center": fmt.Sprintf("cc-%03d", k%97)}
		r := entity.Resource{ARN: base, Tags: tags}
		if k%4 == 3 {
			partners := m.rolesOf[(ap.account+1)%m.cfg.Accounts]
			var names []string
			for range 3 {
				i := partners[m.r.IntN(len(partners))]
				if !slices.Contains(ap.sharedWith, i) {
					ap.sharedWith = append(ap.sharedWith, i)
					names = append(names, m.roles[i].arn)
				}
			}
			r.Policy = m.raw(stmt{Sid: "ShareWithPartnerAnalysts", Effect: "Allow",
				Principal: map[string]any{"AWS": names},
				Action:    []string{"mobiletargeting:GetApp", "mobiletargeting:GetCampaigns", "mobiletargeting:GetCampaign"},
				Resource:  []string{base, base + "/campaigns/*"}})
			m.sharedApps = append(m.sharedApps, k)
		}
		m.set.Resources = append(m.set.Resources, r)
		for _, c := range children {
			for i := range c.n {
				m.set.Resources = append(m.set.Resources, entity.Resource{ARN: childARN(base, c.kind, i), Tags: tags})
			}
		}
	}
}

// childARN names the i-th campaign, segment or journey of an app.
func childARN(appARN, kind string, i int) string {
	return fmt.Sprintf("%s/%s/%s-%d", appARN, kind, kind[:len(kind)-1], i)
}
