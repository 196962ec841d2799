package awsfixture

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Encoding is how policy documents appear in a GAAD file.
type Encoding int

const (
	// Object: a JSON object, as the AWS CLI prints documents.
	Object Encoding = iota
	// String: a JSON string holding the document's JSON text.
	String
	// URL: a JSON string holding the document URL-encoded (RFC 3986), as
	// the IAM API returns it.
	URL
)

// Encodings lists every Encoding, with its name.
var Encodings = map[string]Encoding{"object": Object, "string": String, "url": URL}

// obj is a JSON object whose keys keep their order, as AWS prints them.
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// doc encodes a policy document.
func doc(d string, enc Encoding) any {
	switch enc {
	case String:
		return d
	case URL:
		return strings.ReplaceAll(url.QueryEscape(d), "+", "%20")
	}
	return json.RawMessage(d)
}

func tags(t [][2]string) []obj {
	out := []obj{}
	for _, kvp := range t {
		out = append(out, obj{{"Key", kvp[0]}, {"Value", kvp[1]}})
	}
	return out
}

func attached(arns []string) []obj {
	out := []obj{}
	for _, a := range arns {
		out = append(out, obj{{"PolicyName", a[strings.LastIndexByte(a, '/')+1:]}, {"PolicyArn", a}})
	}
	return out
}

func inline(list []Inline, enc Encoding) []obj {
	out := []obj{}
	for _, p := range list {
		out = append(out, obj{{"PolicyName", p.Name}, {"PolicyDocument", doc(p.Doc, enc)}})
	}
	return out
}

func pathOf(arn string) string {
	res := arn[strings.LastIndexByte(arn, ':')+1:]
	return res[strings.IndexByte(res, '/') : strings.LastIndexByte(res, '/')+1]
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func boundary(arn string) any {
	if arn == "" {
		return nil
	}
	return obj{{"PermissionsBoundaryType", "PermissionsBoundaryPolicy"}, {"PermissionsBoundaryArn", arn}}
}

const created = "2024-05-01T10:00:00+00:00"

func (f *Fixture) userDetail(u *Principal, enc Encoding) obj {
	o := obj{{"Path", pathOf(u.ARN)}, {"UserName", u.Name}, {"UserId", "AIDA" + id(u.Name)}, {"Arn", u.ARN},
		{"CreateDate", created}, {"UserPolicyList", inline(u.Inline, enc)}, {"GroupList", nonNil(u.Groups)},
		{"AttachedManagedPolicies", attached(u.Managed)}}
	if b := boundary(u.Boundary); b != nil {
		o = append(o, kv{"PermissionsBoundary", b})
	}
	return append(o, kv{"Tags", tags(u.Tags)})
}

func (f *Fixture) roleDetail(r *Principal, enc Encoding) obj {
	o := obj{{"Path", pathOf(r.ARN)}, {"RoleName", r.Name}, {"RoleId", "AROA" + id(r.Name)}, {"Arn", r.ARN},
		{"CreateDate", created}, {"AssumeRolePolicyDocument", doc(r.Trust, enc)}, {"InstanceProfileList", []obj{}},
		{"RolePolicyList", inline(r.Inline, enc)}, {"AttachedManagedPolicies", attached(r.Managed)}}
	if b := boundary(r.Boundary); b != nil {
		o = append(o, kv{"PermissionsBoundary", b})
	}
	return append(o, kv{"Tags", tags(r.Tags)}, kv{"RoleLastUsed", obj{}})
}

func (f *Fixture) groupDetail(g *Group, enc Encoding) obj {
	return obj{{"Path", "/"}, {"GroupName", g.Name}, {"GroupId", "AGPA" + id(g.Name)}, {"Arn", g.ARN},
		{"CreateDate", created}, {"GroupPolicyList", inline(g.Inline, enc)}, {"AttachedManagedPolicies", attached(g.Managed)}}
}

func (f *Fixture) policyDetail(m *Managed, enc Encoding) obj {
	var versions []obj
	// Newest first, as IAM lists them.
	for v := len(m.Versions) - 1; v >= 0; v-- {
		versions = append(versions, obj{{"Document", doc(m.Versions[v], enc)}, {"VersionId", fmt.Sprintf("v%d", v+1)},
			{"IsDefaultVersion", v == m.Default}, {"CreateDate", created}})
	}
	o := obj{{"PolicyName", m.Name}, {"PolicyId", "ANPA" + id(m.Name)}, {"Arn", m.ARN}, {"Path", m.Path},
		{"DefaultVersionId", fmt.Sprintf("v%d", m.Default+1)}, {"AttachmentCount", 1}, {"PermissionsBoundaryUsageCount", 0},
		{"IsAttachable", true}}
	if m.Description != "" {
		o = append(o, kv{"Description", m.Description})
	}
	return append(o, kv{"CreateDate", created}, kv{"UpdateDate", created}, kv{"PolicyVersionList", versions})
}

func id(name string) string {
	s := strings.ToUpper(fmt.Sprintf("%x", name))
	for len(s) < 17 {
		s += "0"
	}
	return s[:17]
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// GAAD renders the IAM export as pages files (1 or more): the first pages
// hold the users, groups and roles, the last one the policies; every page
// but the last has IsTruncated true and a Marker.
func (f *Fixture) GAAD(enc Encoding, pages int) [][]byte {
	var users, groups, roles, policies []obj
	for _, u := range f.Users {
		users = append(users, f.userDetail(u, enc))
	}
	for _, g := range f.Groups {
		groups = append(groups, f.groupDetail(g, enc))
	}
	for _, r := range f.Roles {
		roles = append(roles, f.roleDetail(r, enc))
	}
	for _, m := range f.Policies {
		policies = append(policies, f.policyDetail(m, enc))
	}
	pages = max(1, pages)
	var out [][]byte
	for p := range pages {
		part := func(l []obj) []obj {
			if pages == 1 {
				return nonNilObj(l)
			}
			if p == pages-1 {
				return []obj{}
			}
			lo, hi := len(l)*p/(pages-1), len(l)*(p+1)/(pages-1)
			return nonNilObj(l[lo:hi])
		}
		pol := []obj{}
		if p == pages-1 {
			pol = nonNilObj(policies)
		}
		o := obj{{"UserDetailList", part(users)}, {"GroupDetailList", part(groups)}, {"RoleDetailList", part(roles)},
			{"Policies", pol}, {"IsTruncated", p < pages-1}}
		if p < pages-1 {
			o = append(o, kv{"Marker", fmt.Sprintf("page-%d-marker", p+2)})
		}
		out = append(out, render(o))
	}
	return out
}

func nonNilObj(l []obj) []obj {
	if l == nil {
		return []obj{}
	}
	return l
}

// render writes JSON indented as the AWS CLI prints it.
func render(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("awsfixture: %v", err)) // the fixture's own values always encode
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "    "); err != nil {
		panic(fmt.Sprintf("awsfixture: %v", err))
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// OrganizationFiles renders the organization export as scripts/export-aws.sh
// writes it: file name (relative, with .json) → content.
func (f *Fixture) OrganizationFiles() map[string][]byte {
	files := make(map[string][]byte)
	put := func(name string, v any) { files[name+".json"] = render(v) }
	put("describe-organization", obj{{"Organization", obj{{"Id", "o-exampleorg1"}, {"MasterAccountId", Management},
		{"FeatureSet", "ALL"}}}})
	var roots []obj
	for _, n := range f.Nodes {
		if n.Parent == "" {
			roots = append(roots, obj{{"Id", n.ID}, {"Arn", "arn:aws:organizations::" + Management + ":root/o-exampleorg1/" + n.ID},
				{"Name", n.Name}, {"PolicyTypes", []obj{{{"Type", "SERVICE_CONTROL_POLICY"}, {"Status", "ENABLED"}}}}})
		}
	}
	put("list-roots", obj{{"Roots", roots}})
	for _, parent := range f.Nodes {
		if parent.Account {
			continue
		}
		ous, accts := []obj{}, []obj{}
		for _, n := range f.Nodes {
			switch {
			case n.Parent != parent.ID:
			case n.Account:
				accts = append(accts, obj{{"Id", n.ID}, {"Arn", "arn:aws:organizations::" + Management + ":account/o-exampleorg1/" + n.ID},
					{"Email", n.Name + "@example.com"}, {"Name", n.Name}, {"Status", "ACTIVE"}, {"JoinedMethod", "CREATED"}})
			default:
				ous = append(ous, obj{{"Id", n.ID}, {"Arn", "arn:aws:organizations::" + Management + ":ou/o-exampleorg1/" + n.ID}, {"Name", n.Name}})
			}
		}
		put("list-organizational-units-for-parent/"+parent.ID, obj{{"OrganizationalUnits", ous}})
		put("list-accounts-for-parent/"+parent.ID, obj{{"Accounts", accts}})
	}
	var list []obj
	for _, p := range f.SCPs {
		summary := obj{{"Id", p.ID}, {"Arn", "arn:aws:organizations::" + Management + ":policy/o-exampleorg1/service_control_policy/" + p.ID},
			{"Name", p.Name}, {"Description", ""}, {"Type", "SERVICE_CONTROL_POLICY"}, {"AwsManaged", p.Name == "FullAWSAccess"}}
		list = append(list, summary)
		put("describe-policy/"+p.ID, obj{{"Policy", obj{{"PolicySummary", summary}, {"Content", p.Doc}}}})
		var targets []obj
		for _, t := range p.Targets {
			typ := "ACCOUNT"
			for _, n := range f.Nodes {
				if n.ID == t && !n.Account {
					typ = "ORGANIZATIONAL_UNIT"
					if n.Parent == "" {
						typ = "ROOT"
					}
				}
			}
			targets = append(targets, obj{{"TargetId", t}, {"Arn", "arn:aws:organizations::" + Management + ":x/" + t}, {"Name", t}, {"Type", typ}})
		}
		put("list-targets-for-policy/"+p.ID, obj{{"Targets", targets}})
	}
	put("list-policies", obj{{"Policies", list}})
	return files
}

// escapeARN is the file name of a per-resource output.
func escapeARN(arn string) string {
	return strings.NewReplacer("%", "%25", "/", "%2F", ":", "%3A").Replace(arn)
}

// PinpointFiles renders the Pinpoint export: apps with tags, SMS and voice
// resources with their tags and resource policies.
func (f *Fixture) PinpointFiles() map[string][]byte {
	files := make(map[string][]byte)
	put := func(name string, v any) { files[name+".json"] = render(v) }
	var apps []obj
	lists := map[string][]obj{}
	for _, r := range f.Resources {
		i := strings.LastIndexByte(r.ARN, ':')
		rest := r.ARN[i+1:]
		if strings.Contains(r.ARN, ":mobiletargeting:") {
			id := strings.TrimPrefix(rest, "apps/")
			apps = append(apps, obj{{"Arn", r.ARN}, {"Id", id}, {"Name", "name-" + id}, {"tags", r.Tags}, {"CreationDate", created}})
			if len(r.Tags) > 0 && id == "app01" {
				put("pinpoint/list-tags-for-resource/"+escapeARN(r.ARN), obj{{"TagsModel", obj{{"tags", r.Tags}}}})
			}
			continue
		}
		typ, rid, _ := strings.Cut(rest, "/")
		switch typ {
		case "pool":
			lists["describe-pools"] = append(lists["describe-pools"], obj{{"PoolArn", r.ARN}, {"PoolId", rid}, {"Status", "ACTIVE"}})
		case "phone-number":
			lists["describe-phone-numbers"] = append(lists["describe-phone-numbers"], obj{{"PhoneNumberArn", r.ARN}, {"PhoneNumberId", rid}})
		case "opt-out-list":
			lists["describe-opt-out-lists"] = append(lists["describe-opt-out-lists"], obj{{"OptOutListArn", r.ARN}, {"OptOutListName", rid}})
		case "sender-id":
			lists["describe-sender-ids"] = append(lists["describe-sender-ids"], obj{{"SenderIdArn", r.ARN}, {"SenderId", rid}})
		case "configuration-set":
			lists["describe-configuration-sets"] = append(lists["describe-configuration-sets"], obj{{"ConfigurationSetArn", r.ARN}, {"ConfigurationSetName", rid}})
		}
		var t [][2]string
		for _, k := range sortedKeys(r.Tags) {
			t = append(t, [2]string{k, r.Tags[k]})
		}
		put("sms-voice/list-tags-for-resource/"+escapeARN(r.ARN), obj{{"ResourceArn", r.ARN}, {"Tags", tags(t)}})
		if r.Policy != "" {
			put("sms-voice/get-resource-policy/"+escapeARN(r.ARN), obj{{"ResourceArn", r.ARN}, {"Policy", r.Policy}, {"CreatedTimestamp", created}})
		}
	}
	put("pinpoint/get-apps", obj{{"ApplicationsResponse", obj{{"Item", apps}}}})
	fields := map[string]string{"describe-pools": "Pools", "describe-phone-numbers": "PhoneNumbers",
		"describe-opt-out-lists": "OptOutLists", "describe-sender-ids": "SenderIds", "describe-configuration-sets": "ConfigurationSets"}
	for cmd, field := range fields {
		put("sms-voice/"+cmd, obj{{field, nonNilObj(lists[cmd])}})
	}
	return files
}

// ResourcePolicyFiles renders the Pinpoint resource policies as a
// --resource-policies directory: escaped ARN.json → document.
func (f *Fixture) ResourcePolicyFiles(enc Encoding) map[string][]byte {
	files := make(map[string][]byte)
	for _, r := range f.Resources {
		if r.Policy != "" && strings.Contains(r.ARN, ":mobiletargeting:") {
			files[escapeARN(r.ARN)+".json"] = render(doc(r.Policy, enc))
		}
	}
	return files
}
