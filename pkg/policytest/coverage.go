package policytest

import (
	"slices"
	"strings"

	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// A Policy is one policy document of the model with its statements.
type Policy struct {
	ID         string
	Statements []StatementRef
}

// Universe lists every policy document a decision on the model can use,
// by ID, each once: the identity policies and permissions boundaries of
// every principal, the resource-based policies, and the SCPs of every
// account. Session policies come with requests and are not part of it.
func Universe(res *entity.Resolved) []Policy {
	seen := map[string]bool{}
	var out []Policy
	add := func(d *engine.Document) {
		if d == nil || seen[d.ID] {
			return
		}
		seen[d.ID] = true
		p := Policy{ID: d.ID}
		for _, s := range d.Statements {
			p.Statements = append(p.Statements, StatementRef{Policy: d.ID, Index: s.Index, Sid: s.Sid, Line: s.Pos.Line})
		}
		out = append(out, p)
	}
	for _, arn := range res.Principals() {
		pp, _ := res.Principal(arn)
		for _, d := range pp.Identity {
			add(d)
		}
		add(pp.Boundary)
	}
	res.EachResource(func(_ string, policy *engine.Document, _ map[string]string) bool {
		add(policy)
		return true
	})
	for _, acct := range res.Accounts() {
		chain, _ := res.SCPChain(acct)
		for _, level := range chain {
			for _, d := range level {
				add(d)
			}
		}
	}
	slices.SortFunc(out, func(a, b Policy) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Coverage is how much of the model the cases exercised: a statement is
// covered when some case made it apply (it is among the matched statements
// of the case's explanation), whatever the case expected.
type Coverage struct {
	Total     int              `json:"total"`
	Covered   int              `json:"covered"`
	Percent   float64          `json:"percent"`
	Policies  []PolicyCoverage `json:"policies"`
	Uncovered []StatementRef   `json:"uncovered"`
}

// PolicyCoverage is the coverage of one document.
type PolicyCoverage struct {
	ID      string `json:"id"`
	Total   int    `json:"total"`
	Covered int    `json:"covered"`
}

// Measure computes the coverage of the universe by the results. A model
// without statements is fully covered.
func Measure(universe []Policy, results []SuiteResult) Coverage {
	type key struct {
		policy string
		index  int
	}
	hit := map[key]bool{}
	for _, s := range results {
		for _, c := range s.Cases {
			for _, m := range c.Matched {
				hit[key{m.Policy, m.Index}] = true
			}
		}
	}
	cov := Coverage{Policies: []PolicyCoverage{}, Uncovered: []StatementRef{}}
	for _, p := range universe {
		pc := PolicyCoverage{ID: p.ID, Total: len(p.Statements)}
		for _, s := range p.Statements {
			if hit[key{p.ID, s.Index}] {
				pc.Covered++
			} else {
				cov.Uncovered = append(cov.Uncovered, s)
			}
		}
		cov.Total += pc.Total
		cov.Covered += pc.Covered
		cov.Policies = append(cov.Policies, pc)
	}
	cov.Percent = 100
	if cov.Total > 0 {
		cov.Percent = 100 * float64(cov.Covered) / float64(cov.Total)
	}
	return cov
}
