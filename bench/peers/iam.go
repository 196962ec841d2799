package peers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// iamStatement is the JSON form of one IAM statement, fields in the order
// AWS writes them.
type iamStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition"`
}

type iamDocument struct {
	Version   string         `json:"Version"`
	Statement []iamStatement `json:"Statement"`
}

// IAMPolicy writes a policy as an IAM JSON identity policy of one
// statement. An identity policy names no principal: attaching it to the
// principal says whose it is. pooled is for a set that holds every
// principal's policies at once; it adds an aws:PrincipalArn condition that
// says what the attachment did.
func IAMPolicy(w *Workload, p *Policy, pooled bool) []byte {
	st := iamStatement{Sid: p.ID, Effect: "Allow", Action: p.Actions, Condition: map[string]map[string]string{}}
	eq := map[string]string{}
	if p.Effect == Deny {
		st.Effect = "Deny"
	}
	if len(p.Kinds) == 0 {
		st.Resource = []string{AppARN(p.App) + "/*"}
	}
	for _, k := range p.Kinds {
		st.Resource = append(st.Resource, AppARN(p.App)+"/"+k.Path()+"/*")
	}
	if p.TeamMatch {
		eq["aws:ResourceTag/team"] = "${aws:PrincipalTag/team}"
	}
	if p.Env != "" {
		eq["aws:ResourceTag/env"] = p.Env
	}
	if pooled {
		eq["aws:PrincipalArn"] = w.Principals[p.Principal].ARN
	}
	if len(eq) > 0 {
		st.Condition["StringEquals"] = eq
	}
	if p.CIDR != "" {
		st.Condition["IpAddress"] = map[string]string{"aws:SourceIp": p.CIDR}
	}
	b, err := json.Marshal(iamDocument{Version: "2012-10-17", Statement: []iamStatement{st}})
	if err != nil {
		panic(err) // strings and maps of strings always marshal
	}
	return b
}

// IAMPolicies writes every policy of the workload as IAM JSON, in order.
func IAMPolicies(w *Workload, pooled bool) [][]byte {
	out := make([][]byte, len(w.Policies))
	for i := range w.Policies {
		out[i] = IAMPolicy(w, &w.Policies[i], pooled)
	}
	return out
}

// PDP decides the workload with pdp's engine. Per principal, it holds what
// the server holds: one identity PolicySet per principal, found by the
// caller's ARN. Pooled, it holds all N policies in one identity PolicySet.
type PDP struct {
	byPrincipal map[string]*engine.Policies // nil when pooled
	pooled      *engine.Policies
	requests    []*engine.Request
}

// LoadPDP parses, validates and compiles the IAM JSON of the workload's
// policies (docs[i] is policy i, as IAMPolicies writes it) and prepares
// its requests.
func LoadPDP(cat *catalog.Catalog, w *Workload, docs [][]byte, pooled bool) (*PDP, error) {
	parsed := make([]*engine.Document, len(docs))
	for i, src := range docs {
		d, err := engine.Parse(src, engine.ParseOptions{ID: w.Policies[i].ID, Type: engine.IdentityPolicy})
		if err != nil {
			return nil, err
		}
		if err := engine.Validate(cat, d, engine.ValidateOptions{Quota: engine.QuotaManaged}).Err(); err != nil {
			return nil, err
		}
		parsed[i] = d
	}
	d := &PDP{requests: pdpRequests(w)}
	if pooled {
		ps, err := engine.Compile(cat, parsed...)
		if err != nil {
			return nil, err
		}
		d.pooled = &engine.Policies{Identity: ps}
		return d, nil
	}
	d.byPrincipal = make(map[string]*engine.Policies, len(w.Principals))
	for p := 0; p < len(parsed); p += PoliciesPerPrincipal {
		ps, err := engine.Compile(cat, parsed[p:p+PoliciesPerPrincipal]...)
		if err != nil {
			return nil, err
		}
		d.byPrincipal[w.Principals[w.Policies[p].Principal].ARN] = &engine.Policies{Identity: ps}
	}
	return d, nil
}

// pdpRequests builds the engine's requests with the context keys the
// server derives from its model: the principal's ARN and tags and the
// resource's tags, beside the caller's source IP.
func pdpRequests(w *Workload) []*engine.Request {
	out := make([]*engine.Request, len(w.Requests))
	for j := range w.Requests {
		q := &w.Requests[j]
		ctx := engine.NewContext(5)
		ctx.Set("aws:PrincipalArn", q.Principal)
		ctx.Set("aws:SourceIp", q.SourceIP)
		setIf(ctx, "aws:PrincipalTag/team", q.PrincipalTeam)
		setIf(ctx, "aws:ResourceTag/team", q.ResourceTeam)
		setIf(ctx, "aws:ResourceTag/env", q.ResourceEnv)
		out[j] = &engine.Request{Principal: q.Principal, Action: q.Action, Resource: q.Resource, Context: ctx}
	}
	return out
}

func setIf(ctx *engine.Context, key, value string) {
	if value != "" {
		ctx.Set(key, value)
	}
}

// Decide decides request j of the workload. A principal with no policy set
// is implicitly denied without evaluating anything, as by the server.
func (d *PDP) Decide(j int) engine.Decision {
	r := d.requests[j]
	p := d.pooled
	if p == nil {
		if p = d.byPrincipal[r.Principal]; p == nil {
			return engine.ImplicitDeny
		}
	}
	return engine.Evaluate(p, r)
}

// Allowed reports whether request j is allowed.
func (d *PDP) Allowed(_ context.Context, j int) (bool, error) {
	return d.Decide(j) == engine.Allow, nil
}

// String describes the set for failure messages.
func (d *PDP) String() string {
	if d.pooled != nil {
		return fmt.Sprintf("pdp (one set of %d statements)", d.pooled.Identity.Len())
	}
	return fmt.Sprintf("pdp (%d sets, one per principal)", len(d.byPrincipal))
}
