package awsimport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// Input is everything read from one account export.
type Input struct {
	GAAD         []*GAAD
	Organization *Organization
	Pinpoint     []*PinpointResource
	// ResourcePolicies maps a resource ARN to its policy; it adds to and
	// overrides the policies of Pinpoint.
	ResourcePolicies map[string]*PinpointResource
}

// Options tune Convert.
type Options struct {
	Catalog *catalog.Catalog
	// AllowMissingPolicies imports an attachment of a managed policy whose
	// document the export lacks as absent (it grants nothing) instead of
	// refusing the import. A missing permissions boundary is refused
	// regardless: leaving it out would widen what the principal may do.
	AllowMissingPolicies bool
}

// A Result is the model converted from an export.
type Result struct {
	Set *entity.Set
	// Accounts are the accounts the export describes, sorted.
	Accounts []string
	// Missing lists attached managed policies whose documents the export
	// lacks, by ARN, with the entities that attach them.
	Missing []MissingPolicy
	// Warnings are validation warnings: the import goes ahead.
	Warnings []string
	// Statements counts the statements of every imported document;
	// NonPinpoint those that name no Amazon Pinpoint (mobiletargeting:) or
	// SMS and voice (sms-voice:) action. Those are kept but cannot affect
	// a decision of pdp.
	Statements, NonPinpoint int
}

// A MissingPolicy is an attached managed policy absent from the export.
type MissingPolicy struct {
	ARN        string
	AttachedBy []string
}

// converter holds the state of one Convert.
type converter struct {
	opts    Options
	probs   Problems
	res     *Result
	managed map[string]string // policy ARN → entity name
	missing map[string][]string
	groups  map[string]bool // account/name
	// listed holds every policy ARN of the export, so that a policy with
	// a problem of its own is not also reported missing where attached.
	listed   map[string]bool
	names    map[string]string // lower-case policy name → ARN
	awsText  map[string][]byte // AWS managed policy ARN → document
	accounts map[string]bool
}

// Convert turns an export into pdp's model. It reports every problem it
// finds; when there is any, it returns them as Problems and no Result.
func Convert(in *Input, opts Options) (*Result, error) {
	c := &converter{opts: opts, res: &Result{Set: &entity.Set{}}, managed: make(map[string]string),
		missing: make(map[string][]string), groups: make(map[string]bool), listed: make(map[string]bool), names: make(map[string]string), awsText: make(map[string][]byte), accounts: make(map[string]bool)}
	c.pages(in.GAAD)
	for _, g := range in.GAAD {
		for _, p := range g.Policies {
			c.managedPolicy(p)
		}
	}
	for _, g := range in.GAAD {
		for _, gr := range g.Groups {
			c.group(gr)
		}
	}
	for _, g := range in.GAAD {
		for _, u := range g.Users {
			c.user(u)
		}
		for _, r := range g.Roles {
			c.role(r)
		}
	}
	c.organization(in.Organization)
	c.resources(in.Pinpoint, in.ResourcePolicies)
	c.reportMissing()
	if err := c.probs.Err(); err != nil {
		return nil, err
	}
	if _, err := c.res.Set.Validate(opts.Catalog); err != nil {
		return nil, fmt.Errorf("the converted model is invalid: %w", err)
	}
	return c.res, nil
}

// pages checks that every account's pages end with a page that is not
// truncated.
func (c *converter) pages(pages []*GAAD) {
	truncated := make(map[string]int)
	total := make(map[string]int)
	for _, g := range pages {
		acct := pageAccount(g)
		total[acct]++
		if g.IsTruncated {
			truncated[acct]++
		}
	}
	for acct, n := range truncated {
		if n == total[acct] {
			c.probs.add("", "", "every page of account %q has IsTruncated true: the last page is missing "+
				"(give every page, one --gaad each)", acct)
		}
	}
}

// pageAccount returns the account of the first ARN of a page.
func pageAccount(g *GAAD) string {
	for _, u := range g.Users {
		return arnAccount(u.Arn)
	}
	for _, r := range g.Roles {
		return arnAccount(r.Arn)
	}
	for _, x := range g.Groups {
		return arnAccount(x.Arn)
	}
	for _, p := range g.Policies {
		if a := arnAccount(p.Arn); a != "aws" {
			return a
		}
	}
	return ""
}

// arnAccount returns the account field of an ARN.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

func (c *converter) addAccount(acct string) {
	if acct != "" && acct != "aws" {
		c.accounts[acct] = true
	}
}

func (c *converter) managedPolicy(p *ManagedPolicyDetail) {
	if p.Arn == "" || p.PolicyName == "" {
		c.probs.add(p.at.file, p.at.path, "missing Arn or PolicyName")
		return
	}
	acct := arnAccount(p.Arn)
	// The exports of several accounts each list the AWS managed policies
	// they attach; a customer managed policy belongs to one account.
	again := c.listed[p.Arn]
	if again && acct != "aws" {
		c.probs.add(p.at.file, p.at.path, "policy %q is listed twice", p.Arn)
		return
	}
	c.listed[p.Arn] = true
	var def *PolicyVersion
	var defPath string
	for i := range p.PolicyVersionList {
		v := &p.PolicyVersionList[i]
		vp := fmt.Sprintf("%s.PolicyVersionList[%d]", p.at.path, i)
		if v.IsDefaultVersion == nil {
			c.probs.add(p.at.file, vp, "missing IsDefaultVersion (want true or false)")
			return
		}
		if *v.IsDefaultVersion {
			if def != nil {
				c.probs.add(p.at.file, vp, "a second version has IsDefaultVersion true (%s is the first)", defPath)
				return
			}
			def, defPath = v, vp
		}
	}
	switch {
	case def == nil:
		c.probs.add(p.at.file, p.at.path+".PolicyVersionList", "no version has IsDefaultVersion true")
		return
	case p.DefaultVersionId != "" && def.VersionId != p.DefaultVersionId:
		c.probs.add(p.at.file, defPath, "the default version is %q but DefaultVersionId is %q", def.VersionId, p.DefaultVersionId)
		return
	}
	if again {
		c.sameAWSManaged(p, defPath, def)
		return
	}
	m := entity.ManagedPolicy{Name: p.PolicyName, Path: p.Path, Description: p.Description}
	if m.Path == "/" {
		m.Path = ""
	}
	if acct != "aws" {
		m.Account = acct
		c.addAccount(acct)
	}
	if other, dup := c.names[strings.ToLower(m.Name)]; dup {
		c.probs.add(p.at.file, p.at.path, "policy %q has the name of %q (IAM names ignore case): pdp names managed "+
			"policies uniquely across the accounts of one model", p.Arn, other)
		return
	}
	c.names[strings.ToLower(m.Name)] = p.Arn
	text := c.document(p.at, defPath+".Document", def.Document, engine.IdentityPolicy, engine.QuotaManaged)
	if text == nil {
		return
	}
	m.Document = text
	c.managed[p.Arn] = m.Name
	if acct == "aws" {
		c.awsText[p.Arn] = text
	}
	c.res.Set.ManagedPolicies = append(c.res.Set.ManagedPolicies, m)
}

// sameAWSManaged checks that an AWS managed policy listed again, by the
// export of another account, has the same default version.
func (c *converter) sameAWSManaged(p *ManagedPolicyDetail, defPath string, def *PolicyVersion) {
	prev, ok := c.awsText[p.Arn]
	if !ok {
		return // the first listing has a problem of its own
	}
	text, err := documentText(def.Document)
	switch {
	case err != nil:
		c.probs.add(p.at.file, defPath+".Document", "%v", err)
	case !bytes.Equal(prev, text):
		c.probs.add(p.at.file, defPath+".Document", "AWS managed policy %q differs from its default version in "+
			"another export: export the accounts at the same time", p.Arn)
	}
}

// document decodes, validates and counts one policy document; nil when it
// has errors, which are reported.
func (c *converter) document(at place, field string, raw json.RawMessage, typ engine.PolicyType, quota engine.QuotaKind) json.RawMessage {
	text, err := documentText(raw)
	if err != nil {
		c.probs.add(at.file, field, "%v", err)
		return nil
	}
	if !c.check(at.file, field, text, typ, quota) {
		return nil
	}
	return text
}

// check validates a normalized document as `pdp validate` does and
// counts its statements.
func (c *converter) check(file, field string, text []byte, typ engine.PolicyType, quota engine.QuotaKind) bool {
	doc, err := engine.Parse(text, engine.ParseOptions{ID: field, Type: typ})
	if err != nil {
		c.policyErrors(file, field, err)
		return false
	}
	findings := engine.Validate(c.opts.Catalog, doc, engine.ValidateOptions{Quota: quota})
	ok := true
	for _, pe := range findings {
		msg := fmt.Sprintf("%s: document %s", field, positioned(pe))
		if pe.Severity == engine.SeverityWarning {
			c.res.Warnings = append(c.res.Warnings, file+": "+msg)
			continue
		}
		ok = false
		c.probs = append(c.probs, &Problem{File: file, Path: field, Msg: "document " + positioned(pe)})
	}
	for _, st := range doc.Statements {
		c.res.Statements++
		if st.Action != nil && !namesPinpoint(st.Action) {
			c.res.NonPinpoint++
		}
	}
	return ok
}

// policyErrors reports the errors of engine.Parse.
func (c *converter) policyErrors(file, field string, err error) {
	perrs, ok := err.(engine.Errors)
	if !ok {
		c.probs.add(file, field, "document: %v", err)
		return
	}
	for _, pe := range perrs {
		c.probs = append(c.probs, &Problem{File: file, Path: field, Msg: "document " + positioned(pe)})
	}
}

// positioned writes a policy problem as line:col, path and message.
func positioned(pe *engine.PolicyError) string {
	var b strings.Builder
	if pe.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", pe.Line, pe.Col)
	}
	if p := pe.Path(); p != "" {
		b.WriteString(p + ": ")
	}
	b.WriteString(pe.Msg)
	return b.String()
}

// namesPinpoint reports whether an Action list can match an action of
// Amazon Pinpoint or of SMS and voice.
func namesPinpoint(actions []engine.Text) bool {
	for _, a := range actions {
		svc, _, found := strings.Cut(strings.ToLower(a.Value), ":")
		if !found {
			if svc == "*" {
				return true
			}
			continue
		}
		if wildMatch(svc, "mobiletargeting") || wildMatch(svc, "sms-voice") {
			return true
		}
	}
	return false
}

// wildMatch matches s against a pattern with IAM's * and ? wildcards.
func wildMatch(pattern, s string) bool {
	px, sx, nextPx, nextSx := 0, 0, 0, 0
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; {
			case c == '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case sx < len(s) && (c == '?' || c == s[sx]):
				px++
				sx++
				continue
			}
		}
		if 0 < nextSx && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}

// inline converts inline policies.
func (c *converter) inline(at place, list string, policies []PolicyDetail, quota engine.QuotaKind) map[string]json.RawMessage {
	if len(policies) == 0 {
		return nil
	}
	out := make(map[string]json.RawMessage, len(policies))
	for i, p := range policies {
		field := fmt.Sprintf("%s %s[%d] %q", at.path, list, i, p.PolicyName)
		if _, dup := out[p.PolicyName]; dup {
			c.probs.add(at.file, field, "two inline policies are named %q", p.PolicyName)
			continue
		}
		if text := c.document(at, field, p.PolicyDocument, engine.IdentityPolicy, quota); text != nil {
			out[p.PolicyName] = text
		}
	}
	return out
}

// attachments converts attached managed policies to names.
func (c *converter) attachments(at place, list []AttachedPolicy) []string {
	var out []string
	for i, a := range list {
		name, ok := c.managed[a.PolicyArn]
		if !ok {
			if c.listed[a.PolicyArn] {
				continue // the policy's own problem is reported
			}
			if a.PolicyArn == "" {
				c.probs.add(at.file, fmt.Sprintf("%s.AttachedManagedPolicies[%d]", at.path, i), "missing PolicyArn")
				continue
			}
			c.missing[a.PolicyArn] = append(c.missing[a.PolicyArn], at.file+": "+at.path)
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// boundary converts a permissions boundary; a missing one is a problem.
func (c *converter) boundary(at place, b *AttachedPermissionsBoundary) string {
	if b == nil || b.PermissionsBoundaryArn == "" {
		return ""
	}
	name, ok := c.managed[b.PermissionsBoundaryArn]
	if !ok && c.listed[b.PermissionsBoundaryArn] {
		return "" // the policy's own problem is reported, and refuses the import
	}
	if !ok {
		c.probs.add(at.file, at.path+".PermissionsBoundary.PermissionsBoundaryArn",
			"the permissions boundary %q is not among the export's Policies (export AWS managed policies too: "+
				"scripts/export-aws.sh does); it cannot be left out, which would widen what the principal may do",
			b.PermissionsBoundaryArn)
		return ""
	}
	return name
}

func (c *converter) group(g *GroupDetail) {
	acct := arnAccount(g.Arn)
	key := acct + "/" + g.GroupName
	if acct == "" || g.GroupName == "" {
		c.probs.add(g.at.file, g.at.path, "missing Arn or GroupName")
		return
	}
	if c.groups[key] {
		c.probs.add(g.at.file, g.at.path, "group %q is listed twice", g.Arn)
		return
	}
	c.groups[key] = true
	c.addAccount(acct)
	c.res.Set.Groups = append(c.res.Set.Groups, entity.Group{Name: g.GroupName, Account: acct,
		ManagedPolicies: c.attachments(g.at, g.AttachedManagedPolicies),
		InlinePolicies:  c.inline(g.at, "GroupPolicyList", g.GroupPolicyList, engine.QuotaGroupInline)})
}

func (c *converter) user(u *UserDetail) {
	acct := arnAccount(u.Arn)
	if acct == "" || u.UserName == "" {
		c.probs.add(u.at.file, u.at.path, "missing Arn or UserName")
		return
	}
	c.addAccount(acct)
	groups := make([]string, 0, len(u.GroupList))
	for i, g := range u.GroupList {
		if !c.groups[acct+"/"+g] {
			c.probs.add(u.at.file, fmt.Sprintf("%s.GroupList[%d]", u.at.path, i),
				"group %q is not in the GroupDetailList of account %q", g, acct)
			continue
		}
		groups = append(groups, g)
	}
	sort.Strings(groups)
	c.res.Set.Users = append(c.res.Set.Users, entity.User{ARN: u.Arn, Groups: nilIfEmpty(groups),
		ManagedPolicies:     c.attachments(u.at, u.AttachedManagedPolicies),
		InlinePolicies:      c.inline(u.at, "UserPolicyList", u.UserPolicyList, engine.QuotaUserInline),
		PermissionsBoundary: c.boundary(u.at, u.PermissionsBoundary),
		Tags:                tagMap(u.Tags)})
}

func (c *converter) role(r *RoleDetail) {
	acct := arnAccount(r.Arn)
	if acct == "" || r.RoleName == "" {
		c.probs.add(r.at.file, r.at.path, "missing Arn or RoleName")
		return
	}
	c.addAccount(acct)
	role := entity.Role{ARN: r.Arn,
		ManagedPolicies:     c.attachments(r.at, r.AttachedManagedPolicies),
		InlinePolicies:      c.inline(r.at, "RolePolicyList", r.RolePolicyList, engine.QuotaRoleInline),
		PermissionsBoundary: c.boundary(r.at, r.PermissionsBoundary),
		Tags:                tagMap(r.Tags)}
	if len(r.AssumeRolePolicyDocument) > 0 && string(r.AssumeRolePolicyDocument) != "null" {
		text, err := documentText(r.AssumeRolePolicyDocument)
		if err != nil {
			c.probs.add(r.at.file, r.at.path+".AssumeRolePolicyDocument", "%v", err)
		}
		role.TrustPolicy = text
	}
	c.res.Set.Roles = append(c.res.Set.Roles, role)
}

func (c *converter) organization(org *Organization) {
	inOrg := make(map[string]entity.Account)
	if org != nil {
		for _, s := range org.SCPs {
			if c.check(s.at.file, s.at.path, s.Document, engine.SCPPolicy, engine.QuotaSCP) {
				c.res.Set.SCPs = append(c.res.Set.SCPs, entity.SCP{Name: s.Name, Document: s.Document})
			}
		}
		for _, a := range org.Accounts {
			inOrg[a.ID] = entity.Account{ID: a.ID, Name: a.Name, SCPs: a.SCPs}
			c.addAccount(a.ID)
		}
	}
	for acct := range c.accounts {
		a, ok := inOrg[acct]
		if !ok {
			a = entity.Account{ID: acct}
		}
		c.res.Set.Accounts = append(c.res.Set.Accounts, a)
		c.res.Accounts = append(c.res.Accounts, acct)
	}
	sort.Strings(c.res.Accounts)
}

func (c *converter) resources(pp []*PinpointResource, policies map[string]*PinpointResource) {
	seen := make(map[string]bool)
	add := func(r *PinpointResource, policy []byte, at place) {
		res := entity.Resource{ARN: r.ARN, Tags: r.Tags}
		if policy != nil && c.check(at.file, at.path, policy, engine.ResourcePolicy, engine.QuotaNone) {
			res.Policy = policy
		}
		c.res.Set.Resources = append(c.res.Set.Resources, res)
		seen[r.ARN] = true
	}
	for _, r := range pp {
		policy, at := r.Policy, r.at
		if p, ok := policies[r.ARN]; ok {
			policy, at = p.Policy, p.at
		}
		add(r, policy, at)
	}
	arns := make([]string, 0, len(policies))
	for arn := range policies {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	for _, arn := range arns {
		if !seen[arn] {
			p := policies[arn]
			add(p, p.Policy, p.at)
		}
	}
}

// reportMissing lists attached policies the export lacks: a problem, or
// with AllowMissingPolicies a note in the Result.
func (c *converter) reportMissing() {
	arns := make([]string, 0, len(c.missing))
	for arn := range c.missing {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	for _, arn := range arns {
		by := c.missing[arn]
		c.res.Missing = append(c.res.Missing, MissingPolicy{ARN: arn, AttachedBy: by})
		if !c.opts.AllowMissingPolicies {
			c.probs.add("", "", "managed policy %q is attached but its document is not in the export "+
				"(AWS managed policies appear only with --filter AWSManagedPolicy; or pass --allow-missing-policies "+
				"to import the attachment as absent); attached by: %s", arn, strings.Join(by, "; "))
		}
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
