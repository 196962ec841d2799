package engine

import (
	"fmt"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// A PolicySet is a group of policy documents of one type compiled for fast
// evaluation: the identity policies of a principal, the session policies of
// a session, one level of SCPs, a resource policy or a boundary.
//
// Statements are indexed by action, so a request only looks at statements
// whose Action (or NotAction) can cover it. A PolicySet is immutable and
// safe for concurrent use.
type PolicySet struct {
	typ        PolicyType
	cat        *catalog.Catalog
	policies   []string // policy IDs, indexed by statement.policy
	statements []statement
	// byAction[id] lists the statements that cover catalog action id, apart
	// from those in everyAction, which cover all of them.
	byAction    [][]int32
	everyAction []int32
}

// statement is one compiled statement.
type statement struct {
	policy      int32
	index       int32
	sid         string
	effect      Effect
	actions     []actionPattern
	notAction   bool
	resources   []pattern
	notResource bool
	principal   *principalMatcher
	notPrinc    bool
	conds       []cond
}

// Type returns the type of the documents in the set.
func (ps *PolicySet) Type() PolicyType { return ps.typ }

// Len returns the number of statements.
func (ps *PolicySet) Len() int { return len(ps.statements) }

// Policies returns the IDs of the documents in the set, in compile order.
func (ps *PolicySet) Policies() []string { return append([]string(nil), ps.policies...) }

// Compile builds a PolicySet from parsed documents, which must all have the
// same type. It fails only on what cannot be evaluated (an unknown condition
// operator, documents of mixed types); everything else that is suspect is
// Validate's to report.
func Compile(cat *catalog.Catalog, docs ...*Document) (*PolicySet, error) {
	ps := &PolicySet{cat: cat, byAction: make([][]int32, cat.NumActions())}
	var errs Errors
	for i, d := range docs {
		if i == 0 {
			ps.typ = d.Type
		} else if d.Type != ps.typ {
			return nil, fmt.Errorf("compile: policy %q is a %s policy in a set of %s policies", d.ID, d.Type, ps.typ)
		}
		ps.policies = append(ps.policies, d.ID)
		for _, st := range d.Statements {
			cs, serrs := compileStatement(d, st)
			errs = append(errs, serrs...)
			cs.policy = int32(i)
			ps.statements = append(ps.statements, cs)
		}
	}
	if err := errs.Err(); err != nil {
		sortErrors(errs)
		return nil, err
	}
	ps.index()
	return ps, nil
}

func compileStatement(d *Document, st *Statement) (statement, Errors) {
	vars := d.Variables()
	cs := statement{index: int32(st.Index), sid: st.Sid, effect: st.Effect}
	acts, notA := st.Actions()
	cs.notAction = notA
	for _, a := range acts {
		cs.actions = append(cs.actions, compileActionPattern(a.Value))
	}
	res, notR := st.Resources()
	cs.notResource = notR
	for _, r := range res {
		cs.resources = append(cs.resources, compilePattern(r.Value, patternOptions{wildcards: true, variables: vars, arn: true}))
	}
	if st.NotPrincipal != nil {
		cs.principal, cs.notPrinc = compilePrincipal(st.NotPrincipal), true
	} else {
		cs.principal = compilePrincipal(st.Principal)
	}
	var errs Errors
	for _, c := range st.Conditions {
		op, ok := parseOperator(c.Operator)
		if !ok {
			errs = append(errs, &PolicyError{PolicyID: d.ID, Statement: st.Index, Sid: st.Sid,
				Field: "Condition." + c.Operator, Line: c.OperatorPos.Line, Col: c.OperatorPos.Col,
				Code: CodeUnknownOperator, Msg: fmt.Sprintf("unknown condition operator %q%s", c.Operator,
					Suggest(c.Operator, operatorNames()))})
			continue
		}
		cs.conds = append(cs.conds, compileCond(c, op, vars))
	}
	return cs, errs
}

// index fills byAction from the catalog: each distinct Action pattern is
// expanded to the catalog actions it matches once per set, here, instead of
// per request.
func (ps *PolicySet) index() {
	n := ps.cat.NumActions()
	covered := make([]bool, n)
	expanded := make(map[string][]int32)
	var ids []int32
	for si := range ps.statements {
		st := &ps.statements[si]
		ids = ids[:0]
		for i := range st.actions {
			for _, id := range ps.expand(&st.actions[i], expanded) {
				if !covered[id] {
					covered[id] = true
					ids = append(ids, id)
				}
			}
		}
		count := len(ids)
		if st.notAction {
			count = n - count
		}
		switch {
		case count == n:
			ps.everyAction = append(ps.everyAction, int32(si))
		case st.notAction:
			for id, excluded := range covered {
				if !excluded {
					ps.byAction[id] = append(ps.byAction[id], int32(si))
				}
			}
		default:
			for _, id := range ids {
				ps.byAction[id] = append(ps.byAction[id], int32(si))
			}
		}
		for _, id := range ids {
			covered[id] = false
		}
	}
}

// expand returns the catalog action IDs a pattern covers, remembering each
// distinct pattern text.
func (ps *PolicySet) expand(p *actionPattern, memo map[string][]int32) []int32 {
	if ids, ok := memo[p.src]; ok {
		return ids
	}
	acts := p.expand(ps.cat)
	ids := make([]int32, len(acts))
	for i, a := range acts {
		ids[i] = int32(a.ID)
	}
	memo[p.src] = ids
	return ids
}
