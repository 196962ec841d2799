package peers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/util"
)

// regoModule holds the IAM rules the workload uses, written once in Rego,
// over policies held as data: a policy applies when its principal, one of
// its actions and one of its resource patterns (IAM wildcards, glob.match
// with no delimiters) fit the request and every condition holds. Allowed
// is some Allow policy applying and no Deny policy applying.
//
// %s is where the policies come from: all of them (data.policies), which
// the query scans, or the caller's (data.by_principal[input.principal]),
// which OPA finds by key.
const regoModule = `package pdp

import rego.v1

default allow := false

allow if {
	some p in candidates
	p.effect == "Allow"
	applies(p)
	not deny
}

deny if {
	some p in candidates
	p.effect == "Deny"
	applies(p)
}

candidates := %s

applies(p) if {
	p.principal == input.principal
	input.action in p.actions
	some r in p.resources
	glob.match(r, null, input.resource)
	every key, value in p.string_equals {
		input.context[key] == value
	}
	every key, variable in p.string_equals_variable {
		input.context[key] == input.context[variable]
	}
	every key, cidr in p.ip_address {
		net.cidr_contains(cidr, input.context[key])
	}
}
`

// RegoModule returns the module for all policies (perPrincipal false) or
// for the caller's only.
func RegoModule(perPrincipal bool) string {
	if perPrincipal {
		return fmt.Sprintf(regoModule, "data.by_principal[input.principal]")
	}
	return fmt.Sprintf(regoModule, "data.policies")
}

// regoPolicy is a policy as data: its IAM statement, with the conditions
// by operator as IAM writes them, keys in lower case. A value that is a
// policy variable is kept apart, under the key it names.
type regoPolicy struct {
	ID                   string            `json:"id"`
	Principal            string            `json:"principal"`
	Effect               string            `json:"effect"`
	Actions              []string          `json:"actions"`
	Resources            []string          `json:"resources"`
	StringEquals         map[string]string `json:"string_equals"`
	StringEqualsVariable map[string]string `json:"string_equals_variable"`
	IPAddress            map[string]string `json:"ip_address"`
}

// RegoData writes the policies as the JSON data document: {"policies":
// [...]} or, per principal, {"by_principal": {ARN: [...]}}.
func RegoData(w *Workload, perPrincipal bool) []byte {
	all := make([]regoPolicy, len(w.Policies))
	for i := range w.Policies {
		all[i] = regoPolicyOf(w, &w.Policies[i])
	}
	var doc any = map[string]any{"policies": all}
	if perPrincipal {
		by := map[string][]regoPolicy{}
		for _, p := range all {
			by[p.Principal] = append(by[p.Principal], p)
		}
		doc = map[string]any{"by_principal": by}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err) // strings and slices always marshal
	}
	return b
}

func regoPolicyOf(w *Workload, p *Policy) regoPolicy {
	rp := regoPolicy{ID: p.ID, Principal: w.Principals[p.Principal].ARN, Effect: "Allow", Actions: p.Actions,
		StringEquals: map[string]string{}, StringEqualsVariable: map[string]string{}, IPAddress: map[string]string{}}
	if p.Effect == Deny {
		rp.Effect = "Deny"
	}
	if len(p.Kinds) == 0 {
		rp.Resources = []string{AppARN(p.App) + "/*"}
	}
	for _, k := range p.Kinds {
		rp.Resources = append(rp.Resources, AppARN(p.App)+"/"+k.Path()+"/*")
	}
	if p.TeamMatch {
		rp.StringEqualsVariable["aws:resourcetag/team"] = "aws:principaltag/team"
	}
	if p.Env != "" {
		rp.StringEquals["aws:resourcetag/env"] = p.Env
	}
	if p.CIDR != "" {
		rp.IPAddress["aws:sourceip"] = p.CIDR
	}
	return rp
}

// OPA decides the workload with a prepared query of data.pdp.allow.
type OPA struct {
	query  rego.PreparedEvalQuery
	inputs []ast.Value
	// cancel is never cancelled: handing OPA a Cancel of its own spares
	// it starting a goroutine per query to watch the context, as an
	// embedding tuned for speed does.
	cancel topdown.Cancel
}

// LoadOPA reads the data document, stores it in an in-memory store that
// keeps AST values, compiles the module and prepares the query once.
func LoadOPA(ctx context.Context, w *Workload, module string, data []byte) (*OPA, error) {
	var doc map[string]any
	if err := util.NewJSONDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("opa: data: %w", err)
	}
	store := inmem.NewFromObjectWithOpts(doc, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	pq, err := rego.New(
		rego.Query("data.pdp.allow"),
		rego.Module("pdp.rego", module),
		rego.Store(store),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("opa: prepare: %w", err)
	}
	inputs, err := regoInputs(w)
	if err != nil {
		return nil, err
	}
	return &OPA{query: pq, inputs: inputs, cancel: topdown.NewCancel()}, nil
}

// regoInputs are the requests as parsed input documents, so that no
// request is converted while it is timed.
func regoInputs(w *Workload) ([]ast.Value, error) {
	out := make([]ast.Value, len(w.Requests))
	for j, q := range w.Requests {
		ctx := map[string]any{"aws:principalarn": q.Principal, "aws:sourceip": q.SourceIP}
		for k, v := range map[string]string{
			"aws:PrincipalTag/team": q.PrincipalTeam, "aws:ResourceTag/team": q.ResourceTeam, "aws:ResourceTag/env": q.ResourceEnv,
		} {
			if v != "" {
				ctx[strings.ToLower(k)] = v
			}
		}
		v, err := ast.InterfaceToValue(map[string]any{
			"principal": q.Principal, "action": q.Action, "resource": q.Resource, "context": ctx,
		})
		if err != nil {
			return nil, fmt.Errorf("opa: input %d: %w", j, err)
		}
		out[j] = v
	}
	return out, nil
}

// Allowed decides request j.
func (o *OPA) Allowed(ctx context.Context, j int) (bool, error) {
	rs, err := o.query.Eval(ctx, rego.EvalParsedInput(o.inputs[j]), rego.EvalExternalCancel(o.cancel))
	if err != nil {
		return false, err
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return false, fmt.Errorf("opa: request %d: %d results", j, len(rs))
	}
	allow, ok := rs[0].Expressions[0].Value.(bool)
	if !ok {
		return false, fmt.Errorf("opa: request %d: allow is %T", j, rs[0].Expressions[0].Value)
	}
	return allow, nil
}

// RegoRules writes the policies as Rego rules instead of data, one rule
// per policy, each opening with the equality on input.principal that OPA's
// rule index looks up, so that a query evaluates only the caller's rules.
func RegoRules(w *Workload) string {
	var b strings.Builder
	b.WriteString(`package pdp

import rego.v1

default allow := false

allow if {
	allowed
	not denied
}
`)
	for i := range w.Policies {
		p := &w.Policies[i]
		head := "allowed"
		if p.Effect == Deny {
			head = "denied"
		}
		fmt.Fprintf(&b, "\n# %s\n%s if {\n\tinput.principal == %q\n\tinput.action in {", p.ID, head, w.Principals[p.Principal].ARN)
		for i, a := range p.Actions {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", a)
		}
		b.WriteString("}\n")
		if len(p.Kinds) == 0 {
			fmt.Fprintf(&b, "\tglob.match(%q, null, input.resource)\n", AppARN(p.App)+"/*")
		} else {
			b.WriteString("\tsome r in [")
			for i, k := range p.Kinds {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%q", AppARN(p.App)+"/"+k.Path()+"/*")
			}
			b.WriteString("]\n\tglob.match(r, null, input.resource)\n")
		}
		if p.TeamMatch {
			b.WriteString("\tinput.context[\"aws:resourcetag/team\"] == input.context[\"aws:principaltag/team\"]\n")
		}
		if p.Env != "" {
			fmt.Fprintf(&b, "\tinput.context[\"aws:resourcetag/env\"] == %q\n", p.Env)
		}
		if p.CIDR != "" {
			fmt.Fprintf(&b, "\tnet.cidr_contains(%q, input.context[\"aws:sourceip\"])\n", p.CIDR)
		}
		b.WriteString("}\n")
	}
	return b.String()
}
