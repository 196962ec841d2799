package peers

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Account and Region are where every principal and resource of the workload
// lives: one account, so no decision is cross-account.
const (
	Account = "111122223333"
	Region  = "us-east-1"
)

// PoliciesPerPrincipal is how many of the N policies each principal holds:
// the size of the one identity PolicySet per principal that the server
// keeps, whatever N is.
const PoliciesPerPrincipal = 10

// ResourceKind is the resource type of an Amazon Pinpoint request.
type ResourceKind uint8

// The resource types the workload's actions act on.
const (
	Campaign ResourceKind = iota // arn:aws:mobiletargeting:REGION:ACCOUNT:apps/APP/campaigns/ID
	Segment                      // arn:aws:mobiletargeting:REGION:ACCOUNT:apps/APP/segments/ID
)

// Path returns the ARN path element of the kind: "campaigns" or "segments".
func (k ResourceKind) Path() string {
	if k == Segment {
		return "segments"
	}
	return "campaigns"
}

// Effect is what a policy does when it applies.
type Effect uint8

// A policy allows or denies.
const (
	Allow Effect = iota
	Deny
)

// A Policy is one principal's permission on one app, in the terms every
// translator starts from. An Allow policy grants its Actions on the app's
// campaigns and segments (Kinds) when the resource's team tag equals the
// principal's and the source IP is in CIDR; a Deny policy denies its
// Actions on everything in the app when the resource's env tag is Env.
type Policy struct {
	ID        string
	Principal int // index into Workload.Principals
	Effect    Effect
	Actions   []string // "mobiletargeting:Name", listed without wildcards
	App       string   // the app (project) ID
	// Kinds are the resource types under the app the policy covers; empty
	// means every resource under the app.
	Kinds     []ResourceKind
	TeamMatch bool   // aws:ResourceTag/team must equal aws:PrincipalTag/team
	CIDR      string // aws:SourceIp must be in it; "" for no such condition
	Env       string // aws:ResourceTag/env must equal it; "" for no such condition
}

// A Principal is an IAM user with a team tag.
type Principal struct {
	ARN  string
	Team string
}

// Outcome is what a request is meant to get, as IAM decides it.
type Outcome uint8

// The three outcomes. Cedar and OPA tell only allowed from not allowed.
const (
	Allowed  Outcome = iota // a policy allows it and none denies it
	NoPolicy                // nothing allows it: IAM's implicit deny
	Denied                  // a Deny policy applies: IAM's explicit deny
)

func (o Outcome) String() string {
	switch o {
	case Allowed:
		return "allowed"
	case Denied:
		return "denied"
	}
	return "no-policy"
}

// A Request is one authorization question with everything an engine may
// need: the principal's and the resource's tags and the source IP. Empty
// tags are absent.
type Request struct {
	Name          string // what the request exercises, for failure messages
	Principal     string // user ARN; may name a principal with no policies
	Action        string
	Resource      string // campaign or segment ARN
	App           string
	Kind          ResourceKind
	PrincipalTeam string
	ResourceTeam  string
	ResourceEnv   string
	SourceIP      string
	Want          Outcome
}

// A Workload is N policies over N/PoliciesPerPrincipal principals and the
// requests to decide against them, a third of each Outcome.
type Workload struct {
	N          int
	Principals []Principal
	Policies   []Policy
	Requests   []Request
}

// Sizes are the workload sizes the issue names.
var Sizes = []int{10, 1000, 10000}

// NumRequests is the number of requests generated for every size.
const NumRequests = 120

// The action sets of the Allow policies, chosen by policy index.
var (
	fullActions = []string{
		"mobiletargeting:GetCampaign", "mobiletargeting:GetSegment",
		"mobiletargeting:UpdateCampaign", "mobiletargeting:UpdateSegment",
		"mobiletargeting:DeleteCampaign", "mobiletargeting:DeleteSegment",
	}
	editActions = []string{"mobiletargeting:GetCampaign", "mobiletargeting:GetSegment", "mobiletargeting:UpdateCampaign"}
	readActions = []string{"mobiletargeting:GetCampaign", "mobiletargeting:GetSegment"}
	denyActions = []string{"mobiletargeting:DeleteCampaign", "mobiletargeting:DeleteSegment"}
)

// Generate builds the workload of n policies (n a positive multiple of
// PoliciesPerPrincipal). It is deterministic: the same n gives the same
// workload on every run.
//
// Policy i belongs to principal i/10. Within each group of ten, policies
// 0–1 allow all six campaign and segment actions, 2–4 read and update
// campaigns, 5–7 read, each on its own app; policies 8 and 9 deny deletes
// of prod resources in the apps of policies 0 and 1.
func Generate(n int) *Workload {
	if n <= 0 || n%PoliciesPerPrincipal != 0 {
		panic(fmt.Sprintf("peers: workload size %d is not a positive multiple of %d", n, PoliciesPerPrincipal))
	}
	w := &Workload{N: n}
	for p := range n / PoliciesPerPrincipal {
		w.Principals = append(w.Principals, Principal{
			ARN:  fmt.Sprintf("arn:aws:iam::%s:user/u%05d", Account, p),
			Team: fmt.Sprintf("team%d", p%7),
		})
	}
	for i := range n {
		w.Policies = append(w.Policies, policy(i))
	}
	w.requests(rand.New(rand.NewPCG(uint64(n), 0x5eed)))
	return w
}

func policy(i int) Policy {
	p := Policy{ID: fmt.Sprintf("p%05d", i), Principal: i / PoliciesPerPrincipal}
	switch k := i % PoliciesPerPrincipal; {
	case k >= 8:
		p.Effect, p.Actions, p.App, p.Env = Deny, denyActions, AppID(i-8), "prod"
		return p
	case k < 2:
		p.Actions = fullActions
	case k < 5:
		p.Actions = editActions
	default:
		p.Actions = readActions
	}
	p.App, p.Kinds, p.TeamMatch, p.CIDR = AppID(i), []ResourceKind{Campaign, Segment}, true, CIDR(i)
	return p
}

// AppID is the Pinpoint project ID of the app policy i is about: 32 hex
// digits, like a real one.
func AppID(i int) string {
	h := uint64(i+1) * 0x9e3779b97f4a7c15
	return fmt.Sprintf("%016x%016x", h, h^0xdeadbeefcafef00d)
}

// CIDR is the source network policy i allows: a /24 of its own.
func CIDR(i int) string { return fmt.Sprintf("10.%d.%d.0/24", i/256%256, i%256) }

// inCIDR is an address inside CIDR(i).
func inCIDR(i int, r *rand.Rand) string {
	return fmt.Sprintf("10.%d.%d.%d", i/256%256, i%256, 1+r.IntN(254))
}

// ResourceARN is the ARN of a campaign or segment in an app.
func ResourceARN(app string, kind ResourceKind, id string) string {
	return fmt.Sprintf("arn:aws:mobiletargeting:%s:%s:apps/%s/%s/%s", Region, Account, app, kind.Path(), id)
}

// AppARN is the ARN of an app.
func AppARN(app string) string {
	return fmt.Sprintf("arn:aws:mobiletargeting:%s:%s:apps/%s", Region, Account, app)
}

// requests adds NumRequests requests, cycling through allowed, missing and
// denied ones; each request names a resource of its own, so that engines
// holding resources as entities see each with its own tags.
func (w *Workload) requests(r *rand.Rand) {
	for j := range NumRequests {
		var q Request
		switch j % 3 {
		case 0:
			q = w.hit(r)
		case 1:
			q = w.miss(r, j/3)
		default:
			q = w.denied(r)
		}
		q.Resource = ResourceARN(q.App, q.Kind, fmt.Sprintf("r%03d", j))
		w.Requests = append(w.Requests, q)
	}
}

// allowPolicy picks an Allow policy, only among those granting deletes if
// deletes is set.
func (w *Workload) allowPolicy(r *rand.Rand, deletes bool) int {
	base := r.IntN(w.N/PoliciesPerPrincipal) * PoliciesPerPrincipal
	if deletes {
		return base + r.IntN(2)
	}
	return base + r.IntN(8)
}

// fromPolicy is a request that policy i allows: one of its actions on a
// resource of the app, tags matching, from its network.
func (w *Workload) fromPolicy(r *rand.Rand, i int, name string) Request {
	p := w.Policies[i]
	pr := w.Principals[p.Principal]
	action := p.Actions[r.IntN(len(p.Actions))]
	return Request{
		Name: name, Principal: pr.ARN, Action: action, App: p.App, Kind: kindOf(action),
		PrincipalTeam: pr.Team, ResourceTeam: pr.Team, ResourceEnv: "dev",
		SourceIP: inCIDR(i, r), Want: Allowed,
	}
}

func kindOf(action string) ResourceKind {
	if action[len(action)-len("Segment"):] == "Segment" {
		return Segment
	}
	return Campaign
}

func (w *Workload) hit(r *rand.Rand) Request {
	q := w.fromPolicy(r, w.allowPolicy(r, false), "hit")
	// Half the hits are on prod resources, which the Deny policies leave
	// alone unless the action is a delete.
	if r.IntN(2) == 0 && !slices.Contains(denyActions, q.Action) {
		q.ResourceEnv = "prod"
	}
	return q
}

func (w *Workload) denied(r *rand.Rand) Request {
	q := w.fromPolicy(r, w.allowPolicy(r, true), "denied-prod-delete")
	q.Action = denyActions[r.IntN(len(denyActions))]
	q.Kind = kindOf(q.Action)
	q.ResourceEnv = "prod"
	q.Want = Denied
	return q
}

// miss is a request that no policy allows, each variant failing one part of
// an Allow policy that otherwise fits.
func (w *Workload) miss(r *rand.Rand, variant int) Request {
	i := w.allowPolicy(r, false)
	q := w.fromPolicy(r, i, "")
	q.Want = NoPolicy
	switch variant % 7 {
	case 0:
		q.Name, q.App = "miss-unknown-app", AppID(w.N+1+r.IntN(1000))
	case 1:
		q.Name, q.SourceIP = "miss-source-ip", fmt.Sprintf("192.0.2.%d", 1+r.IntN(254))
	case 2:
		q.Name, q.ResourceTeam = "miss-team-tag", "team-other"
	case 3:
		q.Name, q.ResourceTeam = "miss-no-team-tag", ""
	case 4:
		// Policies 5–7 of a group only read.
		i = i - i%PoliciesPerPrincipal + 5 + r.IntN(3)
		q = w.fromPolicy(r, i, "miss-action")
		q.Action, q.Kind, q.Want = "mobiletargeting:UpdateSegment", Segment, NoPolicy
	case 5:
		// Another principal's app: an Allow policy that fits all but its
		// principal. With one principal there is none, so a stranger asks.
		if len(w.Principals) > 1 {
			other := (i/PoliciesPerPrincipal + 1 + r.IntN(len(w.Principals)-1)) % len(w.Principals)
			q.Name, q.App = "miss-other-principal", AppID(other*PoliciesPerPrincipal+i%PoliciesPerPrincipal)
			q.SourceIP = inCIDR(other*PoliciesPerPrincipal+i%PoliciesPerPrincipal, r)
			break
		}
		fallthrough
	default:
		q.Name, q.Principal, q.PrincipalTeam = "miss-unknown-principal", fmt.Sprintf("arn:aws:iam::%s:user/stranger", Account), ""
	}
	return q
}
