package loadgen

import (
	"fmt"
	"hash/fnv"
	"maps"
	"slices"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// A Workload is a generated model and the requests made for it.
type Workload struct {
	Model      *entity.Set
	Policies   int // policy documents in Model
	Principals int // users and roles
	Checks     []Check
	// Batches holds, for each configured size, BatchesPerSize requests of
	// that many items.
	Batches map[int][]Batch
}

// A Check is a Check request and the decision it is made to get.
type Check struct {
	Kind    string // what the request tries, e.g. "own-team-read"
	Request *pdpv1.CheckRequest
	Want    pdpv1.Decision
}

// A Batch is a BatchCheck request of one user's items and the decision
// each is made to get. The batch gives the principal and the context the
// items share; an item gives the keys where it differs.
type Batch struct {
	Request *pdpv1.BatchCheckRequest
	Want    []pdpv1.Decision
}

// Generate builds the model and the requests of cfg.
func Generate(cfg Config) (*Workload, error) {
	m, err := build(cfg)
	if err != nil {
		return nil, err
	}
	w := &Workload{Model: m.set, Policies: m.policies, Principals: len(m.users) + len(m.roles),
		Batches: make(map[int][]Batch)}
	for range cfg.Checks {
		a := m.ask()
		w.Checks = append(w.Checks, Check{Kind: a.kind, Want: a.want, Request: &pdpv1.CheckRequest{
			Principal: a.principal, Action: a.action, Resource: a.resource, Context: contextOf(a.context),
		}})
	}
	for _, n := range cfg.BatchSizes {
		for range cfg.BatchesPerSize {
			w.Batches[n] = append(w.Batches[n], m.batch(n))
		}
	}
	return w, nil
}

// ask is one request in the making, with its whole context.
type ask struct {
	kind      string
	principal string
	action    string
	resource  string
	context   map[string]string
	want      pdpv1.Decision
}

const (
	allow        = pdpv1.Decision_DECISION_ALLOW
	implicitDeny = pdpv1.Decision_DECISION_IMPLICIT_DENY
	explicitDeny = pdpv1.Decision_DECISION_EXPLICIT_DENY
)

// kind is one way of making a request, and how often it is drawn.
type kind struct {
	name   string
	weight int
	make   func(m *model, p *principal) ask
}

// userKinds and roleKinds are the requests of users and of roles. Each
// make function states why its request gets the decision it wants, from
// the documents model.go writes.
var (
	userKinds = []kind{
		{"own-team-read", 25, (*model).ownTeamRead},
		{"own-team-write", 10, (*model).ownTeamWrite},
		{"write-without-tls", 4, (*model).writeWithoutTLS},
		{"prod-delete", 7, (*model).prodDelete},
		{"other-team-read", 10, (*model).otherTeamRead},
		{"journey-from-office", 7, (*model).journeyFromOffice},
		{"journey-from-elsewhere", 4, (*model).journeyFromElsewhere},
		{"quarantined-app", 5, (*model).quarantinedApp},
		{"unapproved-region", 3, (*model).unapprovedRegion},
		{"shared-segment", 5, (*model).sharedSegment},
	}
	roleKinds = []kind{
		{"cross-account-shared", 8, (*model).crossAccountShared},
		{"cross-account-unshared", 4, (*model).crossAccountUnshared},
		{"role-team-read", 5, (*model).roleTeamRead},
		{"role-write", 3, (*model).roleWrite},
	}
)

func weightOf(kinds []kind) int {
	n := 0
	for _, k := range kinds {
		n += k.weight
	}
	return n
}

func (m *model) draw(kinds []kind) kind {
	n := m.r.IntN(weightOf(kinds))
	for _, k := range kinds {
		if n < k.weight {
			return k
		}
		n -= k.weight
	}
	return kinds[len(kinds)-1]
}

// ask draws a user's request four times in five, else a role's.
func (m *model) ask() ask {
	if m.r.IntN(5) < 4 {
		return m.userAsk(&m.users[m.r.IntN(len(m.users))])
	}
	p := &m.roles[m.r.IntN(len(m.roles))]
	k := m.draw(roleKinds)
	a := k.make(m, p)
	a.kind = k.name
	return a
}

func (m *model) userAsk(p *principal) ask {
	k := m.draw(userKinds)
	a := k.make(m, p)
	a.kind = k.name
	return a
}

// batch is n requests of one user, with the user and the usual context
// given once.
func (m *model) batch(n int) Batch {
	p := &m.users[m.r.IntN(len(m.users))]
	base := m.baseContext(p)
	b := Batch{Request: &pdpv1.BatchCheckRequest{Principal: p.arn, Context: contextOf(base)}}
	for range n {
		a := m.userAsk(p)
		diff := make(map[string]string)
		for k, v := range a.context {
			if base[k] != v {
				diff[k] = v
			}
		}
		b.Request.Items = append(b.Request.Items, &pdpv1.BatchCheckItem{Action: a.action, Resource: a.resource,
			Context: contextOf(diff)})
		b.Want = append(b.Want, a.want)
	}
	return b
}

// baseContext is what a principal's requests usually carry: an approved
// region, an address of its office network, TLS and its SDK.
func (m *model) baseContext(p *principal) map[string]string {
	return map[string]string{
		"aws:RequestedRegion": "us-east-1",
		"aws:SourceIp":        fmt.Sprintf("10.%d.%d.%d", p.account, p.office, 10+hostOf(p.arn)%200),
		"aws:SecureTransport": "true",
		"aws:UserAgent":       "aws-sdk-go-v2/1.36.3 os/linux lang/go#1.26 api/pinpoint#1.35.2",
	}
}

// hostOf spreads principals over the hosts of their office network.
func hostOf(arn string) int {
	h := fnv.New32a()
	h.Write([]byte(arn))
	return int(h.Sum32() % 1000)
}

func contextOf(kv map[string]string) map[string]*pdpv1.ContextValue {
	if len(kv) == 0 {
		return nil
	}
	out := make(map[string]*pdpv1.ContextValue, len(kv))
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		out[k] = &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: kv[k]}}
	}
	return out
}

// target is an action and the kind of resource it acts on: "" for the app
// itself, else the path element of a child (childARN).
type target struct{ action, on string }

var (
	readTargets = []target{
		{"mobiletargeting:GetApp", ""}, {"mobiletargeting:GetCampaigns", ""}, {"mobiletargeting:GetSegments", ""},
		{"mobiletargeting:ListJourneys", ""}, {"mobiletargeting:GetCampaign", "campaigns"},
		{"mobiletargeting:GetCampaignVersions", "campaigns"}, {"mobiletargeting:GetSegment", "segments"},
		{"mobiletargeting:GetJourney", "journeys"},
	}
	writeTargets = []target{
		{"mobiletargeting:CreateCampaign", ""}, {"mobiletargeting:CreateSegment", ""},
		{"mobiletargeting:UpdateCampaign", "campaigns"}, {"mobiletargeting:UpdateSegment", "segments"},
		{"mobiletargeting:UpdateJourney", "journeys"},
	}
	deleteTargets = []target{
		{"mobiletargeting:DeleteCampaign", "campaigns"}, {"mobiletargeting:DeleteSegment", "segments"},
		{"mobiletargeting:DeleteJourney", "journeys"},
	}
)

// request builds an ask of p for a target on app k, with p's usual
// context.
func (m *model) request(p *principal, k int, t target, want pdpv1.Decision) ask {
	res := m.appARN(k)
	if t.on != "" {
		n := 0
		for _, c := range children {
			if c.kind == t.on {
				n = c.n
			}
		}
		res = childARN(res, t.on, m.r.IntN(n))
	}
	return ask{principal: p.arn, action: t.action, resource: res, context: m.baseContext(p), want: want}
}

func pick[T any](m *model, list []T) T { return list[m.r.IntN(len(list))] }

// openApp picks an app of p's own team and account that no inline policy
// of p quarantines.
func (m *model) openApp(p *principal) int {
	var open []int
	for _, k := range m.ownApps(p.account, p.team) {
		if !slices.Contains(p.quarantined, k) {
			open = append(open, k)
		}
	}
	return pick(m, open)
}

// ownTeamRead: the group's Read-TEAM policy allows reads of resources
// tagged with the team; both boundaries allow Get* and List*; nothing
// denies reads of an open app in an approved region.
func (m *model) ownTeamRead(p *principal) ask {
	return m.request(p, m.openApp(p), pick(m, readTargets), allow)
}

// ownTeamWrite: TeamWrite allows writes where the resource's team tag
// equals the principal's, over TLS; ReadOnlyBoundary does not allow them.
// Deletes are drawn only outside production, where NoProdDeletes does
// not apply.
func (m *model) ownTeamWrite(p *principal) ask {
	want := allow
	if p.boundary == readOnlyBoundary {
		want = implicitDeny
	}
	k := m.openApp(p)
	targets := writeTargets
	if m.apps[k].env != "prod" {
		targets = append(slices.Clone(writeTargets), deleteTargets...)
	}
	return m.request(p, k, pick(m, targets), want)
}

// writeWithoutTLS: TeamWrite requires aws:SecureTransport, and no other
// policy of a user allows writes on its own team's apps.
func (m *model) writeWithoutTLS(p *principal) ask {
	a := m.request(p, m.openApp(p), pick(m, writeTargets), implicitDeny)
	a.context["aws:SecureTransport"] = "false"
	return a
}

// prodDelete: NoProdDeletes, attached to every team group, denies deletes
// of resources tagged env=prod (so does a quarantine, when the app is
// quarantined).
func (m *model) prodDelete(p *principal) ask {
	var prod []int
	for _, k := range m.ownApps(p.account, p.team) {
		if m.apps[k].env == "prod" {
			prod = append(prod, k)
		}
	}
	return m.request(p, pick(m, prod), pick(m, deleteTargets), explicitDeny)
}

// otherTeamRead: reads of campaigns are allowed only by the reader's own
// team tag; inline grants cover journeys and segments only.
func (m *model) otherTeamRead(p *principal) ask {
	t := pick(m, []target{{"mobiletargeting:GetCampaign", "campaigns"}, {"mobiletargeting:GetCampaignVersions", "campaigns"}})
	return m.request(p, m.otherApp(p.account, p.team), t, implicitDeny)
}

// journeyFromOffice: a JourneyAccess inline policy allows reading another
// team's journeys from the office network; both boundaries allow Get*.
func (m *model) journeyFromOffice(p *principal) ask {
	return m.request(p, pick(m, p.journeyApps), target{"mobiletargeting:GetJourney", "journeys"}, allow)
}

// journeyFromElsewhere: the same outside the office network, where the
// IpAddress condition fails.
func (m *model) journeyFromElsewhere(p *principal) ask {
	a := m.request(p, pick(m, p.journeyApps), target{"mobiletargeting:GetJourney", "journeys"}, implicitDeny)
	a.context["aws:SourceIp"] = fmt.Sprintf("198.51.100.%d", 1+m.r.IntN(254))
	return a
}

// quarantinedApp: a Quarantine inline policy denies everything on the
// app and what is under it.
func (m *model) quarantinedApp(p *principal) ask {
	return m.request(p, pick(m, p.quarantined), pick(m, readTargets), explicitDeny)
}

// unapprovedRegion: the RegionGuard SCP, attached at every account's OU
// level, denies requests outside the approved regions.
func (m *model) unapprovedRegion(p *principal) ask {
	a := m.request(p, m.openApp(p), pick(m, readTargets), explicitDeny)
	a.context["aws:RequestedRegion"] = "ap-southeast-2"
	return a
}

// sharedSegment: a SegmentAccess inline policy allows reading another
// team's segments in us-east-1; both boundaries allow Get*.
func (m *model) sharedSegment(p *principal) ask {
	return m.request(p, pick(m, p.segmentApps), target{"mobiletargeting:GetSegment", "segments"}, allow)
}

// crossAccountShared: a session of a role that an app's resource policy
// names reads the app or its campaigns from another account: the role's
// CrossAccountRead and the resource policy both allow. A role that no app
// names reads its own team's segments instead.
func (m *model) crossAccountShared(p *principal) ask {
	var shared []int
	for _, k := range m.sharedApps {
		if slices.ContainsFunc(m.apps[k].sharedWith, func(i int) bool { return &m.roles[i] == p }) {
			shared = append(shared, k)
		}
	}
	if len(shared) == 0 {
		return m.roleTeamRead(p)
	}
	t := pick(m, []target{{"mobiletargeting:GetApp", ""}, {"mobiletargeting:GetCampaigns", ""}, {"mobiletargeting:GetCampaign", "campaigns"}})
	a := m.request(p, pick(m, shared), t, allow)
	a.principal = p.session
	return a
}

// crossAccountUnshared: across accounts the resource policy must allow
// too, and this app's does not name the role, or the app has none.
func (m *model) crossAccountUnshared(p *principal) ask {
	var other []int
	for k := range m.apps {
		if m.apps[k].account != p.account && !slices.ContainsFunc(m.apps[k].sharedWith, func(i int) bool { return &m.roles[i] == p }) {
			other = append(other, k)
		}
	}
	a := m.request(p, pick(m, other), target{"mobiletargeting:GetCampaign", "campaigns"}, implicitDeny)
	a.principal = p.session
	return a
}

// roleTeamRead: the role's Read-TEAM policy allows reading its own team's
// segments in its account.
func (m *model) roleTeamRead(p *principal) ask {
	a := m.request(p, m.openApp(p), target{"mobiletargeting:GetSegment", "segments"}, allow)
	if m.r.IntN(2) == 0 {
		a.principal = p.session
	}
	return a
}

// roleWrite: no policy of a role allows changing campaigns.
func (m *model) roleWrite(p *principal) ask {
	return m.request(p, m.openApp(p), target{"mobiletargeting:UpdateCampaign", "campaigns"}, implicitDeny)
}
