package awsimport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

// The iam-collect file storage (github.com/cloud-copilot/iam-collect), as
// this reader uses it. Every directory below the partition is lower case,
// and a resource directory is the part of its ARN after the type,
// URL-escaped (a role "service/role-00" lives in role/service%2frole-00), so
// names and paths come from metadata.json, never from directory names.
//
//	aws/PARTITION/accounts/ACCOUNT/iam/user/NAME/      metadata.json managed-policies.json
//	                                                   inline-policies.json groups.json tags.json
//	aws/PARTITION/accounts/ACCOUNT/iam/group/NAME/     metadata.json managed-policies.json inline-policies.json
//	aws/PARTITION/accounts/ACCOUNT/iam/role/NAME/      metadata.json managed-policies.json
//	                                                   inline-policies.json trust-policy.json tags.json
//	aws/PARTITION/accounts/ACCOUNT/iam/policy/NAME/    metadata.json current-policy.json
//	aws/PARTITION/accounts/ACCOUNT/iam/aws/policy/NAME/  the same, for AWS managed policies
//	aws/PARTITION/organizations/ORG/metadata.json      rootOu, rootAccountId
//	aws/PARTITION/organizations/ORG/accounts.json      account ID → {ou, scps}
//	aws/PARTITION/organizations/ORG/ous.json           OU ID → {parent, scps}
//	aws/PARTITION/organizations/ORG/scps/ID/           metadata.json (arn, name) policy.json
//
// iam-collect leaves out a file whose content would be empty (no tags, no
// inline policies), so every file but metadata.json is optional. It does
// not collect Amazon Pinpoint or SMS and voice resources, nor account names.

// An IAMCollect is what ReadIAMCollect found: one page of authorization
// details per account, and the organization when the tree has one.
type IAMCollect struct {
	GAAD         []*GAAD
	Organization *Organization
}

// icMetadata is the union of the metadata.json fields of users, groups,
// roles and managed policies.
type icMetadata struct {
	Arn                string `json:"arn"`
	Name               string `json:"name"`
	Path               string `json:"path"`
	PermissionBoundary string `json:"permissionBoundary"`
	Description        string `json:"description"`
	DefaultVersionID   string `json:"defaultVersionId"`
}

// icInline is one element of inline-policies.json.
type icInline struct {
	PolicyName     string
	PolicyDocument json.RawMessage
}

// icReader reads the files of one tree and collects their problems.
type icReader struct {
	fsys  fs.FS
	root  string // the tree's name in messages
	probs Problems
}

// ReadIAMCollect reads the iam-collect file storage at dir of fsys; root
// names it in problems. Every file's problem names its path under root and
// the JSON path inside it.
func ReadIAMCollect(fsys fs.FS, dir, root string) (*IAMCollect, error) {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, err
	}
	r := &icReader{fsys: sub, root: root}
	out := &IAMCollect{}
	parts := r.dirs("aws")
	if parts == nil && len(r.probs) == 0 {
		r.probs.add(root, "", "no aws/ directory: want the storage path of iam-collect")
	}
	var orgs []string
	for _, part := range parts {
		base := path.Join("aws", part)
		for _, acct := range r.dirs(path.Join(base, "accounts")) {
			if g := r.account(path.Join(base, "accounts", acct)); g != nil {
				out.GAAD = append(out.GAAD, g)
			}
		}
		for _, org := range r.dirs(path.Join(base, "organizations")) {
			orgs = append(orgs, path.Join(base, "organizations", org))
		}
	}
	switch len(orgs) {
	case 0:
	case 1:
		out.Organization = r.organization(orgs[0])
	default:
		r.probs.add(root, "", "the tree holds %d organizations (%s); import one at a time", len(orgs), strings.Join(orgs, ", "))
	}
	if len(out.GAAD) == 0 && len(r.probs) == 0 {
		r.probs.add(root, "", "no account with IAM data (aws/PARTITION/accounts/ACCOUNT/iam)")
	}
	if err := r.probs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// name is how a file of the tree is named in problems.
func (r *icReader) name(p string) string { return path.Join(r.root, p) }

// dirs lists the subdirectories of dir, sorted; a missing dir is empty.
func (r *icReader) dirs(dir string) []string {
	ents, err := fs.ReadDir(r.fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		r.probs.add(r.name(dir), "", "%v", err)
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// read decodes the JSON file p into v. A missing file is false, and a
// problem only when required.
func (r *icReader) read(p string, v any, required bool) bool {
	data, err := fs.ReadFile(r.fsys, p)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return false
	}
	if err != nil {
		r.probs.add(r.name(p), "", "%v", err)
		return false
	}
	if err := checkJSON(r.name(p), data); err != nil {
		r.probs = append(r.probs, err.(Problems)...)
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		pr := typeProblem(r.name(p), "", data, skipSpace(data, 0), err)
		pr.Path = strings.TrimPrefix(pr.Path, ".")
		r.probs = append(r.probs, pr)
		return false
	}
	return true
}

// account reads the IAM data of one account as a page of authorization
// details.
func (r *icReader) account(dir string) *GAAD {
	iam := path.Join(dir, "iam")
	if r.dirs(iam) == nil {
		return nil
	}
	g := &GAAD{File: r.name(iam)}
	for _, d := range r.dirs(path.Join(iam, "policy")) {
		if p := r.policy(path.Join(iam, "policy", d)); p != nil {
			g.Policies = append(g.Policies, p)
		}
	}
	for _, d := range r.dirs(path.Join(iam, "aws", "policy")) {
		if p := r.policy(path.Join(iam, "aws", "policy", d)); p != nil {
			g.Policies = append(g.Policies, p)
		}
	}
	for _, d := range r.dirs(path.Join(iam, "group")) {
		if x := r.group(path.Join(iam, "group", d)); x != nil {
			g.Groups = append(g.Groups, x)
		}
	}
	for _, d := range r.dirs(path.Join(iam, "user")) {
		if u := r.user(path.Join(iam, "user", d)); u != nil {
			g.Users = append(g.Users, u)
		}
	}
	for _, d := range r.dirs(path.Join(iam, "role")) {
		if x := r.role(path.Join(iam, "role", d)); x != nil {
			g.Roles = append(g.Roles, x)
		}
	}
	return g
}

// metadata reads a resource's metadata.json, which must name its ARN and
// name.
func (r *icReader) metadata(dir string) (icMetadata, bool) {
	var m icMetadata
	p := path.Join(dir, "metadata.json")
	if !r.read(p, &m, true) {
		return m, false
	}
	if m.Arn == "" || m.Name == "" {
		r.probs.add(r.name(p), "", "missing arn or name")
		return m, false
	}
	return m, true
}

// at is where an entity read from dir is reported by Convert.
func (r *icReader) at(dir, kind, name string) place {
	return place{file: r.name(dir), path: kind + "/" + name}
}

// attached reads managed-policies.json, a list of policy ARNs.
func (r *icReader) attached(dir string) []AttachedPolicy {
	var arns []string
	r.read(path.Join(dir, "managed-policies.json"), &arns, false)
	var out []AttachedPolicy
	for _, a := range arns {
		out = append(out, AttachedPolicy{PolicyArn: a, PolicyName: a[strings.LastIndexByte(a, '/')+1:]})
	}
	return out
}

// inline reads inline-policies.json.
func (r *icReader) inline(dir string) []PolicyDetail {
	var list []icInline
	p := path.Join(dir, "inline-policies.json")
	r.read(p, &list, false)
	var out []PolicyDetail
	for i, x := range list {
		if x.PolicyName == "" {
			r.probs.add(r.name(p), fmt.Sprintf("[%d].PolicyName", i), "missing")
			continue
		}
		out = append(out, PolicyDetail(x))
	}
	return out
}

// tags reads tags.json, an object of keys to values, sorted by key.
func (r *icReader) tags(dir string) []Tag {
	var m map[string]string
	r.read(path.Join(dir, "tags.json"), &m, false)
	var out []Tag
	for k, v := range m {
		out = append(out, Tag{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// boundary turns metadata's permissionBoundary into the GAAD shape.
func boundary(arn string) *AttachedPermissionsBoundary {
	if arn == "" {
		return nil
	}
	return &AttachedPermissionsBoundary{PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: arn}
}

func (r *icReader) policy(dir string) *ManagedPolicyDetail {
	m, ok := r.metadata(dir)
	if !ok {
		return nil
	}
	var doc json.RawMessage
	p := path.Join(dir, "current-policy.json")
	if !r.read(p, &doc, true) {
		return nil
	}
	yes := true
	return &ManagedPolicyDetail{PolicyName: m.Name, Arn: m.Arn, Path: m.Path, Description: m.Description,
		DefaultVersionId:  m.DefaultVersionID,
		PolicyVersionList: []PolicyVersion{{Document: doc, VersionId: m.DefaultVersionID, IsDefaultVersion: &yes}},
		at:                r.at(dir, "policy", m.Name)}
}

func (r *icReader) group(dir string) *GroupDetail {
	m, ok := r.metadata(dir)
	if !ok {
		return nil
	}
	return &GroupDetail{Path: m.Path, GroupName: m.Name, Arn: m.Arn,
		GroupPolicyList: r.inline(dir), AttachedManagedPolicies: r.attached(dir),
		at: r.at(dir, "group", m.Name)}
}

func (r *icReader) user(dir string) *UserDetail {
	m, ok := r.metadata(dir)
	if !ok {
		return nil
	}
	var groupARNs []string
	p := path.Join(dir, "groups.json")
	r.read(p, &groupARNs, false)
	var groups []string
	for i, a := range groupARNs {
		// A group ARN is arn:PARTITION:iam::ACCOUNT:group/PATH/NAME.
		k := strings.LastIndexByte(a, '/')
		if !strings.Contains(a, ":group/") || k == len(a)-1 {
			r.probs.add(r.name(p), fmt.Sprintf("[%d]", i), "want a group ARN, got %q", a)
			continue
		}
		groups = append(groups, a[k+1:])
	}
	return &UserDetail{Path: m.Path, UserName: m.Name, Arn: m.Arn,
		UserPolicyList: r.inline(dir), GroupList: groups, AttachedManagedPolicies: r.attached(dir),
		PermissionsBoundary: boundary(m.PermissionBoundary), Tags: r.tags(dir),
		at: r.at(dir, "user", m.Name)}
}

func (r *icReader) role(dir string) *RoleDetail {
	m, ok := r.metadata(dir)
	if !ok {
		return nil
	}
	var trust json.RawMessage
	r.read(path.Join(dir, "trust-policy.json"), &trust, false)
	return &RoleDetail{Path: m.Path, RoleName: m.Name, Arn: m.Arn, AssumeRolePolicyDocument: trust,
		RolePolicyList: r.inline(dir), AttachedManagedPolicies: r.attached(dir),
		PermissionsBoundary: boundary(m.PermissionBoundary), Tags: r.tags(dir),
		at: r.at(dir, "role", m.Name)}
}

// icTarget is one element of accounts.json or ous.json: where the target
// hangs in the tree and the ARNs of the SCPs attached to it.
type icTarget struct {
	OU     string   `json:"ou"`
	Parent string   `json:"parent"`
	SCPs   []string `json:"scps"`
}

// organization reads an organization and computes each account's SCP
// chain as ReadOrganization does: the root, each OU on the path, then the
// account.
func (r *icReader) organization(dir string) *Organization {
	var meta struct {
		RootOu        string `json:"rootOu"`
		RootAccountID string `json:"rootAccountId"`
	}
	r.read(path.Join(dir, "metadata.json"), &meta, true)
	var accounts, ous map[string]icTarget
	accountsFile, ousFile := path.Join(dir, "accounts.json"), path.Join(dir, "ous.json")
	r.read(accountsFile, &accounts, true)
	r.read(ousFile, &ous, true)
	org := &Organization{Management: meta.RootAccountID}

	names := make(map[string]string) // SCP ARN → name
	for _, d := range r.dirs(path.Join(dir, "scps")) {
		sd := path.Join(dir, "scps", d)
		var m struct {
			Arn  string `json:"arn"`
			Name string `json:"name"`
		}
		if !r.read(path.Join(sd, "metadata.json"), &m, true) {
			continue
		}
		if m.Arn == "" || m.Name == "" {
			r.probs.add(r.name(path.Join(sd, "metadata.json")), "", "missing arn or name")
			continue
		}
		var doc json.RawMessage
		pf := path.Join(sd, "policy.json")
		if !r.read(pf, &doc, true) {
			continue
		}
		if prev, dup := names[m.Arn]; dup {
			r.probs.add(r.name(sd), "", "SCP %q is listed twice (%s)", m.Arn, prev)
			continue
		}
		for _, n := range names {
			if n == m.Name {
				r.probs.add(r.name(sd), "", "two SCPs are named %q", m.Name)
			}
		}
		names[m.Arn] = m.Name
		text, err := documentText(doc)
		if err != nil {
			r.probs.add(r.name(pf), "", "%v", err)
			continue
		}
		org.SCPs = append(org.SCPs, OrgSCP{ID: m.Arn[strings.LastIndexByte(m.Arn, '/')+1:], Name: m.Name,
			Document: text, at: place{file: r.name(pf)}})
	}

	// level returns the sorted names of the SCPs attached to one target.
	level := func(file, key string, t icTarget) []string {
		var out []string
		for i, a := range t.SCPs {
			n, ok := names[a]
			if !ok {
				r.probs.add(r.name(file), fmt.Sprintf("%s.scps[%d]", key, i), "SCP %q is not under scps/", a)
				continue
			}
			out = append(out, n)
		}
		sort.Strings(out)
		if len(out) == 0 && len(t.SCPs) == 0 {
			r.probs.add(r.name(file), key+".scps", "no SCP is attached to %q: AWS requires one at every level", key)
		}
		return out
	}
	ouLevels := make(map[string][]string)
	ids := make([]string, 0, len(accounts))
	for id := range accounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := accounts[id]
		oa := OrgAccount{ID: id}
		if id != org.Management {
			// Walk up from the account's OU to the root.
			var chain []string
			for ou, n := a.OU, 0; ou != ""; ou, n = ous[ou].Parent, n+1 {
				if _, ok := ous[ou]; !ok || n > 6 {
					r.probs.add(r.name(accountsFile), id+".ou", "OU %q is not in ous.json or nests deeper than AWS allows", ou)
					chain = nil
					break
				}
				chain = append(chain, ou)
			}
			if len(chain) > 0 && chain[len(chain)-1] != meta.RootOu {
				r.probs.add(r.name(accountsFile), id+".ou", "the path to account %q does not end at the root %q", id, meta.RootOu)
			}
			slices.Reverse(chain)
			for _, ou := range chain {
				l, ok := ouLevels[ou]
				if !ok {
					l = level(ousFile, ou, ous[ou])
					ouLevels[ou] = l
				}
				oa.SCPs = append(oa.SCPs, l)
			}
			oa.SCPs = append(oa.SCPs, level(accountsFile, id, a))
		}
		org.Accounts = append(org.Accounts, oa)
	}
	sort.Slice(org.SCPs, func(i, j int) bool { return org.SCPs[i].Name < org.SCPs[j].Name })
	return org
}
