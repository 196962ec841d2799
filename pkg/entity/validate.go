package entity

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// Validate parses every policy document of the Set and validates it with
// engine.Validate for the role it plays (identity for managed and inline
// policies, which permissions boundaries share, resource for resource-based
// policies, scp for SCPs, each with its AWS size quota), and checks the
// entities: well-formed and unique IAM ARNs and names, 12-digit accounts,
// resource ARNs that fit a resource type of the catalog, valid tags, and
// references (an attached policy, a boundary, a group, an SCP) to entities
// that exist.
//
// err is nil or a [Problems] holding every error; warnings (engine
// warnings, and principals whose account the Set does not declare) come
// back apart, whether or not there are errors.
func (s *Set) Validate(cat *catalog.Catalog) (warnings Problems, err error) {
	c := newChecker(s, cat, NewDocCache())
	c.run()
	warnings, errs := c.rep.probs.split()
	if len(errs) == 0 {
		return warnings, nil
	}
	return warnings, errs
}

// checker validates a Set and keeps what it parsed for Resolve.
type checker struct {
	s     *Set
	cat   *catalog.Catalog
	cache *DocCache
	gen   uint64 // the cache generation of this validation
	rep   report

	accounts     map[string]bool
	managed      map[string]*managedEntry // by name
	managedNames []string
	scps         map[string]*engine.Document // by name; nil when invalid
	scpNames     []string
	groups       map[groupKey]*groupEntry
	groupNames   map[string][]string     // names of the groups of each account
	principals   map[principalKey]string // label of each user and role
	resourceARNs map[string]bool
}

type managedEntry struct {
	m   *ManagedPolicy
	doc *engine.Document // nil when invalid
}

type groupKey struct{ account, name string }

type groupEntry struct {
	g      *Group
	inline []*engine.Document
}

// principalKey finds a user or role: IAM names are unique in an account
// whatever their path.
type principalKey struct{ account, kind, name string }

// hashPrincipalKey shards principals by name and account.
func hashPrincipalKey(seed maphash.Seed, k principalKey) uint64 {
	return maphash.String(seed, k.name) ^ maphash.String(seed, k.account)
}

func newChecker(s *Set, cat *catalog.Catalog, cache *DocCache) *checker {
	return &checker{
		s: s, cat: cat, cache: cache, gen: cache.begin(),
		accounts:     make(map[string]bool),
		managed:      make(map[string]*managedEntry),
		scps:         make(map[string]*engine.Document),
		groups:       make(map[groupKey]*groupEntry),
		groupNames:   make(map[string][]string),
		principals:   make(map[principalKey]string),
		resourceARNs: make(map[string]bool),
	}
}

// run checks the whole Set, in the order of its lists.
func (c *checker) run() {
	c.indexNames()
	for i := range c.s.Accounts {
		c.account(i, &c.s.Accounts[i])
	}
	for i := range c.s.ManagedPolicies {
		c.managedPolicy(i, &c.s.ManagedPolicies[i])
	}
	for i := range c.s.SCPs {
		c.scp(i, &c.s.SCPs[i])
	}
	for i := range c.s.Groups {
		c.group(i, &c.s.Groups[i])
	}
	for i := range c.s.Users {
		c.user(i, &c.s.Users[i])
	}
	for i := range c.s.Roles {
		c.role(i, &c.s.Roles[i])
	}
	for i := range c.s.Resources {
		c.resource(i, &c.s.Resources[i])
	}
}

// indexNames indexes the names that other entities reference, so that a
// reference can be checked whatever the order of the lists.
func (c *checker) indexNames() {
	seen := make(map[string]string) // lower-case name → label of the first
	for i := range c.s.ManagedPolicies {
		m := &c.s.ManagedPolicies[i]
		if m.Name == "" {
			continue
		}
		r := c.rep.at(m.src.fileOf(), managedLabel(i, m))
		if first, dup := seen[strings.ToLower(m.Name)]; dup {
			r.errorf("name", "duplicate managed policy name (IAM names ignore case): %s has it too", first)
			continue
		}
		seen[strings.ToLower(m.Name)] = where(managedLabel(i, m), m.src)
		c.managed[m.Name] = &managedEntry{m: m}
		c.managedNames = append(c.managedNames, m.Name)
	}
	clear(seen)
	for i := range c.s.SCPs {
		p := &c.s.SCPs[i]
		if p.Name == "" {
			continue
		}
		r := c.rep.at(p.src.fileOf(), scpLabel(i, p))
		if first, dup := seen[p.Name]; dup {
			r.errorf("name", "duplicate SCP name: %s has it too", first)
			continue
		}
		seen[p.Name] = where(scpLabel(i, p), p.src)
		c.scps[p.Name] = nil
		c.scpNames = append(c.scpNames, p.Name)
	}
}

// where names an entity and its file for a message about another one.
func where(label string, o *origin) string {
	if f := o.fileOf(); f != "" {
		return label + " in " + f
	}
	return label
}

func (c *checker) account(i int, a *Account) {
	r := c.rep.at(a.src.fileOf(), accountLabel(i, a))
	switch {
	case !isAccountID(a.ID):
		r.errorf("id", "account ID %q must be 12 digits", a.ID)
	case c.accounts[a.ID]:
		r.errorf("id", "duplicate account")
	default:
		c.accounts[a.ID] = true
	}
	for l, level := range a.SCPs {
		if len(level) == 0 {
			r.errorf(fmt.Sprintf("scps[%d]", l), "a level of the organization must list at least one SCP: "+
				"every level must allow a request, so an empty level would deny everything")
		}
		seen := make(map[string]bool, len(level))
		for j, name := range level {
			f := fmt.Sprintf("scps[%d][%d]", l, j)
			switch _, ok := c.scps[name]; {
			case !ok:
				r.errorf(f, "unknown SCP %q%s", name, suggest(name, c.scpNames))
			case seen[name]:
				r.errorf(f, "SCP %q is attached twice at this level", name)
			}
			seen[name] = true
		}
	}
}

func (c *checker) managedPolicy(i int, m *ManagedPolicy) {
	r := c.rep.at(m.src.fileOf(), managedLabel(i, m))
	if err := checkIAMName(m.Name, 128); err != nil {
		r.errorf("name", "policy name %v", err)
	}
	if err := checkIAMPath(m.path()); err != nil {
		r.errorf("path", "%v", err)
	}
	if len(m.Description) > 1000 {
		r.errorf("description", "longer than 1,000 characters")
	}
	if m.Account != "" && !isAccountID(m.Account) {
		r.errorf("account", "account ID %q must be 12 digits", m.Account)
	}
	doc := c.parse(r, m.src, "document", m.Document, "managed:"+m.Name, engine.IdentityPolicy, engine.QuotaManaged)
	if e := c.managed[m.Name]; e != nil && e.m == m {
		e.doc = doc
	}
}

func (c *checker) scp(i int, p *SCP) {
	r := c.rep.at(p.src.fileOf(), scpLabel(i, p))
	switch {
	case p.Name == "":
		r.errorf("name", "must not be empty")
	case len(p.Name) > 128:
		r.errorf("name", "longer than 128 characters")
	}
	doc := c.parse(r, p.src, "document", p.Document, "scp:"+p.Name, engine.SCPPolicy, engine.QuotaSCP)
	if _, ok := c.scps[p.Name]; ok && doc != nil {
		c.scps[p.Name] = doc
	}
}

// parse parses and validates one document, through the cache, reports its
// findings and returns it, or nil when it has errors.
func (c *checker) parse(r *entityReport, o *origin, field string, raw json.RawMessage, id string,
	typ engine.PolicyType, quota engine.QuotaKind) *engine.Document {
	d := o.doc(field)
	if isNull(raw) {
		r.errorf(field, "missing policy document (give %s or %s)", field, fileField(field))
		return nil
	}
	e, err := c.cache.parse(c.gen, raw, id, typ)
	if err != nil {
		r.policy(d, err)
		return nil
	}
	doc := e.doc
	if findings := c.cache.validate(e, c.cat, quota); len(findings) > 0 {
		r.policy(d, findings)
		if findings.HasErrors() {
			return nil
		}
	}
	return doc
}

// fileField names the field that gives by file what field gives inline.
func fileField(field string) string {
	if rest, ok := strings.CutPrefix(field, "inline_policies"); ok {
		return "inline_policy_files" + rest
	}
	return field + "_file"
}
