package entity

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/engine"
)

// AWS quotas on the inline policies of one principal or group together, in
// characters without white space; engine.Validate checks each document
// against them alone.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
const (
	userInlineQuota  = 2048
	roleInlineQuota  = 10240
	groupInlineQuota = 5120
)

func (c *checker) group(i int, g *Group) {
	r := c.rep.at(g.src.fileOf(), groupLabel(i, g))
	if err := checkIAMName(g.Name, 128); err != nil {
		r.errorf("name", "group name %v", err)
	}
	if !isAccountID(g.Account) {
		r.errorf("account", "account ID %q must be 12 digits", g.Account)
	}
	c.attached(r, g.Account, g.ManagedPolicies)
	inline := c.inline(r, g.src, g.InlinePolicies, "group:"+g.Name+":inline:",
		engine.QuotaGroupInline, groupInlineQuota, "a group")
	if g.Name == "" {
		return
	}
	if slices.ContainsFunc(c.groupNames[g.Account], func(n string) bool { return strings.EqualFold(n, g.Name) }) {
		r.errorf("name", "duplicate group in account %q (IAM names ignore case)", g.Account)
		return
	}
	c.groups[groupKey{g.Account, g.Name}] = &groupEntry{g: g, inline: inline}
	c.groupNames[g.Account] = append(c.groupNames[g.Account], g.Name)
}

func (c *checker) user(i int, u *User) {
	label := principalLabel("user", place(i, u.src), u.ARN)
	r := c.rep.at(u.src.fileOf(), label)
	a, err := parseIAMARN(u.ARN, "user")
	if err != nil {
		r.errorf("arn", "%v", err)
		a.name = u.ARN
	} else {
		c.principal(r, a, label, u.src)
		c.memberOf(r, a.account, u.Groups)
	}
	c.attached(r, a.account, u.ManagedPolicies)
	c.inline(r, u.src, u.InlinePolicies, "inline:user/"+a.name+":",
		engine.QuotaUserInline, userInlineQuota, "a user")
	c.boundary(r, a.account, u.PermissionsBoundary)
	checkTags(r, u.Tags)
}

func (c *checker) role(i int, ro *Role) {
	label := principalLabel("role", place(i, ro.src), ro.ARN)
	r := c.rep.at(ro.src.fileOf(), label)
	a, err := parseIAMARN(ro.ARN, "role")
	if err != nil {
		r.errorf("arn", "%v", err)
		a.name = ro.ARN
	} else {
		c.principal(r, a, label, ro.src)
	}
	c.attached(r, a.account, ro.ManagedPolicies)
	c.inline(r, ro.src, ro.InlinePolicies, "inline:role/"+a.name+":",
		engine.QuotaRoleInline, roleInlineQuota, "a role")
	c.boundary(r, a.account, ro.PermissionsBoundary)
	checkTags(r, ro.Tags)
}

// principal indexes a user or role, reporting duplicates and an account the
// Set does not declare.
func (c *checker) principal(r *entityReport, a iamARN, label string, src *origin) {
	key := principalKey{a.account, a.kind, strings.ToLower(a.name)}
	if first, dup := c.principals[key]; dup {
		r.errorf("arn", "duplicate %s: %s has the same name in account %q (IAM names ignore case and path)", a.kind, first, a.account)
		return
	}
	c.principals[key] = where(label, src)
	if len(c.s.Accounts) > 0 && !c.accounts[a.account] {
		r.warnf("arn", "account %q is not in accounts, so no SCP applies to this %s", a.account, a.kind)
	}
}

// memberOf checks the groups a user joins: groups of its own account.
func (c *checker) memberOf(r *entityReport, account string, groups []string) {
	seen := make(map[string]bool, len(groups))
	for j, name := range groups {
		f := fmt.Sprintf("groups[%d]", j)
		if seen[name] {
			r.errorf(f, "group %q is listed twice", name)
			continue
		}
		seen[name] = true
		if _, ok := c.groups[groupKey{account, name}]; ok {
			continue
		}
		if other := c.groupElsewhere(name); other != "" {
			r.errorf(f, "group %q is in account %q; a user joins groups of its own account %q", name, other, account)
			continue
		}
		r.errorf(f, "unknown group %q in account %q%s", name, account, suggest(name, c.groupNames[account]))
	}
}

// groupElsewhere returns the account of the first group with this name, or
// "". memberOf calls it once the user's own account is known to have none.
func (c *checker) groupElsewhere(name string) string {
	for _, g := range c.s.Groups {
		if g.Name == name {
			if _, ok := c.groups[groupKey{g.Account, name}]; ok {
				return g.Account
			}
		}
	}
	return ""
}

// attached checks the managed policies attached to a principal or group of
// account ("" when unknown).
func (c *checker) attached(r *entityReport, account string, names []string) {
	seen := make(map[string]bool, len(names))
	for j, name := range names {
		f := fmt.Sprintf("managed_policies[%d]", j)
		if seen[name] {
			r.errorf(f, "managed policy %q is attached twice", name)
			continue
		}
		seen[name] = true
		c.managedRef(r, f, account, name)
	}
}

// boundary checks a permissions boundary reference.
func (c *checker) boundary(r *entityReport, account, name string) {
	if name != "" {
		c.managedRef(r, "permissions_boundary", account, name)
	}
}

// managedRef checks that a managed policy exists and belongs to account.
func (c *checker) managedRef(r *entityReport, field, account, name string) {
	e, ok := c.managed[name]
	switch {
	case !ok:
		r.errorf(field, "unknown managed policy %q%s", name, suggest(name, c.managedNames))
	case account != "" && e.m.Account != "" && e.m.Account != account:
		r.errorf(field, "managed policy %q belongs to account %q, so entities of account %q cannot use it",
			name, e.m.Account, account)
	}
}

// inline parses the inline policies of a principal or group, in name order,
// and checks their names and their total size against the AWS quota.
func (c *checker) inline(r *entityReport, o *origin, docs map[string]json.RawMessage, idPrefix string,
	quota engine.QuotaKind, limit int, whose string) []*engine.Document {
	var out []*engine.Document
	total := 0
	for _, name := range sortedKeys(docs) {
		f := inlineField(name)
		if err := checkIAMName(name, 128); err != nil {
			r.errorf(f, "policy name %v", err)
		}
		doc := c.parse(r, o, f, docs[name], idPrefix+name, engine.IdentityPolicy, quota)
		if doc != nil {
			out = append(out, doc)
			total += doc.Size
		}
	}
	if total > limit && len(out) > 1 {
		r.errorf("inline_policies", "the inline policies total %d characters, over the AWS quota of %d for %s "+
			"(white space not counted)", total, limit, whose)
	}
	return out
}
