package awsfixture

import "slices"

// Governing is what the fixture itself says governs a request: the
// documents IAM evaluates and the tags it derives keys from.
type Governing struct {
	Identity     []string   // the principal's and its groups' inline and attached policies
	Boundary     string     // "" for none
	SCPs         [][]string // per level, root first; nil outside any organization
	Resource     string     // the resource's policy, "" for none
	PrincipalTag map[string]string
	ResourceTag  map[string]string
}

// Govern answers, from the fixture's records, which documents govern a
// request of principal (a user or role ARN of Account) on resource.
func (f *Fixture) Govern(principal, resource string) (Governing, bool) {
	var g Governing
	var p *Principal
	for _, x := range slices.Concat(f.Users, f.Roles) {
		if x.ARN == principal {
			p = x
		}
	}
	if p == nil {
		return g, false
	}
	add := func(managed []string, inline []Inline) {
		for _, arn := range managed {
			m := f.Policy(arn)
			g.Identity = append(g.Identity, m.Versions[m.Default])
		}
		for _, in := range inline {
			g.Identity = append(g.Identity, in.Doc)
		}
	}
	add(p.Managed, p.Inline)
	for _, name := range p.Groups {
		for _, gr := range f.Groups {
			if gr.Name == name {
				add(gr.Managed, gr.Inline)
			}
		}
	}
	if p.Boundary != "" {
		m := f.Policy(p.Boundary)
		g.Boundary = m.Versions[m.Default]
	}
	g.SCPs = f.chain(Account)
	g.PrincipalTag = map[string]string{}
	for _, t := range p.Tags {
		g.PrincipalTag[t[0]] = t[1]
	}
	for _, r := range f.Resources {
		if r.ARN == resource {
			g.Resource, g.ResourceTag = r.Policy, r.Tags
		}
	}
	return g, true
}

// chain lists the SCP documents of each level from the root to account.
func (f *Fixture) chain(account string) [][]string {
	if account == Management {
		return nil
	}
	var path []string
	for id := account; id != ""; {
		path = append([]string{id}, path...)
		parent := ""
		for _, n := range f.Nodes {
			if n.ID == id {
				parent = n.Parent
			}
		}
		id = parent
	}
	var out [][]string
	for _, node := range path {
		var level []string
		for _, p := range f.SCPs {
			if slices.Contains(p.Targets, node) {
				level = append(level, p.Doc)
			}
		}
		out = append(out, level)
	}
	return out
}
