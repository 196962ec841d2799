package awsfixture

import (
	"fmt"
	"slices"
)

// Account is the account the fixture's IAM export describes.
const Account = "111122223333"

// The other accounts of the organization, and its management account (to
// which no SCP applies).
const (
	MarketingAccount = "222233334444"
	SandboxAccount   = "333344445555"
	Management       = "999988887777"
	Region           = "us-east-1"
)

// Size is how many entities of each kind to generate.
type Size struct {
	Users, Roles, Groups, Policies int
}

// Small is the size of the committed fixture.
var Small = Size{Users: 60, Roles: 20, Groups: 10, Policies: 30}

// An Inline is a named inline policy.
type Inline struct {
	Name string
	Doc  string // compact JSON
}

// A Principal is a user or a role.
type Principal struct {
	Kind, Name, ARN string
	Groups          []string // users only, by name
	Managed         []string // attached policy ARNs
	Inline          []Inline
	Boundary        string // policy ARN, or ""
	Tags            [][2]string
	Trust           string // roles only
}

// A Group is an IAM group.
type Group struct {
	Name, ARN string
	Managed   []string
	Inline    []Inline
}

// A Managed is a managed policy with its versions; Versions[Default] is in
// force, and it is never the newest.
type Managed struct {
	Name, ARN, Path, Description string
	Versions                     []string
	Default                      int
	AWS                          bool
}

// A Resource is a Pinpoint or SMS and voice resource.
type Resource struct {
	ARN  string
	Tags map[string]string
	// Policy is its resource-based policy, if any; SMS and voice policies
	// come in the Pinpoint export, Pinpoint ones in a resource policy
	// directory (Pinpoint has no API for them).
	Policy string
}

// An SCP is a service control policy and the nodes it is attached to.
type SCP struct {
	ID, Name, Doc string
	Targets       []string
}

// A Node is the root, an OU or an account of the organization.
type Node struct {
	ID, Name, Parent string
	Account          bool
}

// A Fixture is one synthetic export.
type Fixture struct {
	Users, Roles []*Principal
	Groups       []*Group
	Policies     []*Managed
	Resources    []*Resource
	SCPs         []*SCP
	Nodes        []*Node
}

// New generates a fixture of the given size.
func New(size Size) *Fixture {
	f := &Fixture{}
	f.policies(size.Policies)
	f.groups(size.Groups)
	f.users(size.Users)
	f.roles(size.Roles)
	f.resources()
	f.organization()
	return f
}

// Policy returns the managed policy with an ARN.
func (f *Fixture) Policy(arn string) *Managed {
	for _, m := range f.Policies {
		if m.ARN == arn {
			return m
		}
	}
	return nil
}

func appARN(i int) string {
	return fmt.Sprintf("arn:aws:mobiletargeting:%s:%s:apps/app%02d", Region, Account, i)
}

const numApps = 6

func (f *Fixture) policies(n int) {
	for i := range n {
		name := fmt.Sprintf("Pinpoint-%04d", i)
		path := "/"
		if i%4 == 1 {
			path = "/messaging/"
		}
		m := &Managed{Name: name, ARN: "arn:aws:iam::" + Account + ":policy" + path + name, Path: path,
			Description: fmt.Sprintf("Pinpoint access profile %d", i), Default: 1 + i%2}
		for v := range 3 + i%2 {
			m.Versions = append(m.Versions, managedDoc(i, v, m.Default))
		}
		f.Policies = append(f.Policies, m)
	}
	// Permissions boundaries.
	for i := range 2 {
		name := fmt.Sprintf("Boundary-%d", i)
		m := &Managed{Name: name, ARN: "arn:aws:iam::" + Account + ":policy/" + name, Path: "/", Default: 0}
		m.Versions = []string{boundaryDoc(i), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}
		f.Policies = append(f.Policies, m)
	}
	// AWS managed policies, exported with --filter AWSManagedPolicy.
	for i, d := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["mobiletargeting:Get*","mobiletargeting:List*"],"Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sms-voice:Describe*"],"Resource":"*"},{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`,
	} {
		name := []string{"ExamplePinpointReadOnly", "ExampleSmsVoiceReadOnly"}[i]
		f.Policies = append(f.Policies, &Managed{Name: name, ARN: "arn:aws:iam::aws:policy/" + name, Path: "/", AWS: true,
			Versions: []string{d, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}, Default: 0})
	}
}

// managedDoc is version v of customer managed policy i; the default
// version differs from the others in what it grants, so that taking the
// wrong version changes decisions.
func managedDoc(i, v, def int) string {
	if v != def {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"Old%d","Effect":"Allow","Action":"mobiletargeting:*","Resource":"*"}]}`, v)
	}
	app := appARN(i % numApps)
	stmts := []string{fmt.Sprintf(`{"Sid":"ReadApp","Effect":"Allow","Action":["mobiletargeting:GetApp","mobiletargeting:GetCampaigns"],"Resource":"%s"}`, app)}
	if i%3 == 0 {
		stmts = append(stmts, `{"Sid":"TeamWrite","Effect":"Allow","Action":["mobiletargeting:CreateCampaign","mobiletargeting:DeleteApp"],`+
			`"Resource":"arn:aws:mobiletargeting:*:`+Account+`:apps/*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}`)
	}
	if i%4 == 1 {
		stmts = append(stmts, `{"Sid":"Send","Effect":"Allow","Action":["sms-voice:SendTextMessage","sms-voice:DeletePool"],`+
			`"Resource":"arn:aws:sms-voice:`+Region+`:`+Account+`:pool/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`)
	}
	if i%5 == 2 {
		stmts = append(stmts, `{"Sid":"KeepProd","Effect":"Deny","Action":"mobiletargeting:Delete*","Resource":"*",`+
			`"Condition":{"StringEquals":{"aws:ResourceTag/env":"prod"}}}`)
	}
	if i%7 == 3 {
		stmts = append(stmts, `{"Sid":"Objects","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`)
	}
	if i%6 == 4 {
		stmts = append(stmts, `{"Sid":"OptOut","Effect":"Allow","Action":["sms-voice:DeleteOptOutList","sms-voice:DescribeOptOutLists"],"Resource":"*"}`)
	}
	return `{"Version":"2012-10-17","Statement":[` + join(stmts) + `]}`
}

func boundaryDoc(i int) string {
	if i == 0 {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:*","Resource":"*"}]}`
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["mobiletargeting:Get*","sms-voice:*"],"Resource":"*"}]}`
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

// customer returns the ARN of customer managed policy i (mod their count).
func (f *Fixture) customer(i int) string {
	n := 0
	for _, m := range f.Policies {
		if !m.AWS && m.Name[0] == 'P' {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return f.Policies[i%n].ARN
}

var teams = []string{"growth", "retention", "ops"}

func (f *Fixture) groups(n int) {
	for i := range n {
		name := fmt.Sprintf("team-%02d", i)
		g := &Group{Name: name, ARN: "arn:aws:iam::" + Account + ":group/" + name}
		g.Managed = compact(f.customer(i * 3))
		if i%3 == 0 {
			g.Managed = append(g.Managed, "arn:aws:iam::aws:policy/ExamplePinpointReadOnly")
		}
		if i%2 == 0 {
			g.Inline = []Inline{{Name: "segments", Doc: fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`+
				`"Action":"mobiletargeting:GetSegments","Resource":"%s"}]}`, appARN(i%numApps))}}
		}
		f.Groups = append(f.Groups, g)
	}
}

func compact(s ...string) []string {
	return slices.DeleteFunc(s, func(x string) bool { return x == "" })
}

func (f *Fixture) users(n int) {
	for i := range n {
		name := fmt.Sprintf("user-%03d", i)
		path := "/"
		if i%5 == 0 {
			path = "/staff/"
		}
		u := &Principal{Kind: "user", Name: name, ARN: "arn:aws:iam::" + Account + ":user" + path + name,
			Tags: [][2]string{{"team", teams[i%len(teams)]}}}
		if len(f.Groups) > 0 {
			for j := range i % 3 {
				u.Groups = append(u.Groups, f.Groups[(i+j*4)%len(f.Groups)].Name)
			}
		}
		u.Managed = compact(f.customer(i))
		if i%4 == 0 {
			u.Managed = append(u.Managed, f.customer(i+7))
		}
		if i%9 == 0 {
			u.Managed = append(u.Managed, "arn:aws:iam::aws:policy/ExampleSmsVoiceReadOnly")
		}
		if i%3 == 1 {
			u.Inline = []Inline{{Name: "own-app", Doc: fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`+
				`"Action":["mobiletargeting:UpdateApplicationSettings","mobiletargeting:GetApp"],"Resource":"%s",`+
				`"Condition":{"StringEquals":{"aws:RequestedRegion":"%s"}}}]}`, appARN((i+2)%numApps), Region)}}
		}
		if i%6 == 2 {
			u.Boundary = "arn:aws:iam::" + Account + ":policy/Boundary-" + fmt.Sprint(i%2)
		}
		f.Users = append(f.Users, u)
	}
}

func (f *Fixture) roles(n int) {
	for i := range n {
		name := fmt.Sprintf("role-%02d", i)
		path := "/"
		if i%3 == 0 {
			path = "/service/"
		}
		r := &Principal{Kind: "role", Name: name, ARN: "arn:aws:iam::" + Account + ":role" + path + name,
			Tags:  [][2]string{{"team", teams[(i+1)%len(teams)]}, {"env", []string{"prod", "dev"}[i%2]}},
			Trust: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pinpoint.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}
		r.Managed = compact(f.customer(i*2 + 1))
		if i%4 == 2 {
			r.Managed = append(r.Managed, "arn:aws:iam::aws:policy/ExamplePinpointReadOnly")
		}
		if i%2 == 0 {
			r.Inline = []Inline{{Name: "sms", Doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
				`"Action":["sms-voice:SendTextMessage","sms-voice:ReleasePhoneNumber"],"Resource":"arn:aws:sms-voice:` + Region + `:` + Account + `:phone-number/*"}]}`}}
		}
		if i%3 == 1 {
			r.Boundary = "arn:aws:iam::" + Account + ":policy/Boundary-" + fmt.Sprint(i%2)
		}
		f.Roles = append(f.Roles, r)
	}
}

func (f *Fixture) resources() {
	for i := range numApps {
		r := &Resource{ARN: appARN(i), Tags: map[string]string{"team": teams[i%len(teams)], "env": []string{"prod", "dev"}[i%2]}}
		if i == 0 {
			r.Policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + Account +
				`:role/role-02"},"Action":["mobiletargeting:GetApp","mobiletargeting:DeleteApp"],"Resource":"` + appARN(0) + `"}]}`
		}
		f.Resources = append(f.Resources, r)
	}
	sms := "arn:aws:sms-voice:" + Region + ":" + Account + ":"
	f.Resources = append(f.Resources,
		&Resource{ARN: sms + "pool/pool-marketing", Tags: map[string]string{"team": "growth"},
			Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + Account +
				`:user/user-004"},"Action":"sms-voice:SendTextMessage","Resource":"` + sms + `pool/pool-marketing"}]}`},
		&Resource{ARN: sms + "pool/pool-alerts", Tags: map[string]string{"team": "ops", "env": "prod"}},
		&Resource{ARN: sms + "phone-number/phone-0123456789abcdef0", Tags: map[string]string{"team": "growth"},
			Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sms-voice:ReleasePhoneNumber","Resource":"` +
				sms + `phone-number/phone-0123456789abcdef0"}]}`},
		&Resource{ARN: sms + "phone-number/phone-fedcba98765432100"},
		&Resource{ARN: sms + "opt-out-list/Default", Tags: map[string]string{"env": "prod"}},
		&Resource{ARN: sms + "sender-id/ACME/US"},
		&Resource{ARN: sms + "configuration-set/marketing-default", Tags: map[string]string{"team": "growth"}},
	)
}

// The organization: a root, OU Marketing with OU Messaging under it (two
// levels), OU Sandbox; the fixture's account in Messaging.
func (f *Fixture) organization() {
	const root, mkt, msg, sbx = "r-ab12", "ou-ab12-mkt00001", "ou-ab12-msg00001", "ou-ab12-sbx00001"
	f.Nodes = []*Node{
		{ID: root, Name: "Root"},
		{ID: mkt, Name: "Marketing", Parent: root},
		{ID: msg, Name: "Messaging", Parent: mkt},
		{ID: sbx, Name: "Sandbox", Parent: root},
		{ID: Account, Name: "messaging-prod", Parent: msg, Account: true},
		{ID: MarketingAccount, Name: "marketing", Parent: mkt, Account: true},
		{ID: SandboxAccount, Name: "sandbox", Parent: sbx, Account: true},
		{ID: Management, Name: "management", Parent: root, Account: true},
	}
	f.SCPs = []*SCP{
		{ID: "p-FullAWSAccess", Name: "FullAWSAccess",
			Doc:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			Targets: []string{root, mkt, msg, sbx, Account, MarketingAccount, SandboxAccount, Management}},
		{ID: "p-mkt0guard1", Name: "MarketingGuardrails", Targets: []string{mkt},
			Doc: `{"Version":"2012-10-17","Statement":[{"Sid":"ProtectOptOut","Effect":"Deny","Action":["sms-voice:DeleteOptOutList"],"Resource":"*"}]}`},
		{ID: "p-msg0region", Name: "RegionLock", Targets: []string{msg},
			Doc: `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyUsEast1","Effect":"Deny","NotAction":"iam:*","Resource":"*",` +
				`"Condition":{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`},
		{ID: "p-sbx0nosms1", Name: "SandboxNoSms", Targets: []string{sbx},
			Doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sms-voice:*","Resource":"*"}]}`},
		{ID: "p-acct0nodel", Name: "NoAppDeletion", Targets: []string{Account},
			Doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"mobiletargeting:DeleteApp","Resource":"*",` +
				`"Condition":{"StringEquals":{"aws:ResourceTag/env":"prod"}}}]}`},
	}
}
