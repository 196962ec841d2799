package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// A Case is one authorization question with the policies that govern it.
type Case struct {
	ID                  string            `json:"id"`
	IdentityPolicies    []json.RawMessage `json:"identity_policies"`
	ResourcePolicy      json.RawMessage   `json:"resource_policy"`
	PermissionsBoundary json.RawMessage   `json:"permissions_boundary"`
	SessionPolicies     []json.RawMessage `json:"session_policies,omitempty"`
	SCPs                []json.RawMessage `json:"scps,omitempty"`
	Request             Request           `json:"request"`
	Expect              string            `json:"expect,omitempty"`
	Features            []string          `json:"features,omitempty"`
	Note                string            `json:"note,omitempty"`
	Doc                 string            `json:"doc,omitempty"`
}

// Request is the request part of a case.
type Request struct {
	Principal       string                     `json:"principal"`
	Action          string                     `json:"action"`
	Resource        string                     `json:"resource"`
	ResourceAccount string                     `json:"resource_account,omitempty"`
	Context         map[string]json.RawMessage `json:"context"`
}

// Decode reads one case from a line of JSON.
func Decode(line []byte) (*Case, error) {
	if err := checkLine(line); err != nil {
		return nil, fmt.Errorf("decode case: %w", err)
	}
	var c Case
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decode case: %w", err)
	}
	if c.ID == "" {
		return nil, errors.New("decode case: missing id")
	}
	if c.Request.Principal == "" || c.Request.Action == "" || c.Request.Resource == "" {
		return nil, fmt.Errorf("case %q: request needs principal, action and resource", c.ID)
	}
	return &c, nil
}

// Compiled is a case turned into engine inputs, ready to decide.
type Compiled struct {
	Policies engine.Policies
	Request  engine.Request
}

// Documents returns the case's policies as JSON text.
func (c *Case) Documents() *engine.PolicyTexts {
	d := &engine.PolicyTexts{Resource: nullToNil(c.ResourcePolicy), Boundary: nullToNil(c.PermissionsBoundary)}
	for _, raw := range c.IdentityPolicies {
		d.Identity = append(d.Identity, raw)
	}
	for _, raw := range c.SessionPolicies {
		d.Session = append(d.Session, raw)
	}
	for _, raw := range c.SCPs {
		d.SCPs = append(d.SCPs, raw)
	}
	return d
}

// Compile parses and compiles the case's policies and builds its request.
func (c *Case) Compile(cat *catalog.Catalog) (*Compiled, error) {
	p, err := c.Documents().Compile(cat)
	if err != nil {
		return nil, err
	}
	ctx, err := decodeContext(c.Request.Context)
	if err != nil {
		return nil, err
	}
	return &Compiled{Policies: *p, Request: engine.Request{
		Principal:       c.Request.Principal,
		Action:          c.Request.Action,
		Resource:        c.Request.Resource,
		ResourceAccount: c.Request.ResourceAccount,
		Context:         ctx,
	}}, nil
}

// Evaluate decides the case.
func (c *Case) Evaluate(cat *catalog.Catalog) (engine.Decision, error) {
	cc, err := c.Compile(cat)
	if err != nil {
		return engine.ImplicitDeny, err
	}
	return engine.Evaluate(&cc.Policies, &cc.Request), nil
}

// Explain decides the case and says why.
func (c *Case) Explain(cat *catalog.Catalog) (engine.Decision, *engine.Explanation, error) {
	cc, err := c.Compile(cat)
	if err != nil {
		return engine.ImplicitDeny, nil, err
	}
	d, ex := engine.EvaluateExplain(&cc.Policies, &cc.Request)
	return d, ex, nil
}

func nullToNil(raw json.RawMessage) []byte {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil
	}
	return raw
}

// decodeContext reads the context object: each key maps to a string (a
// single-valued key) or a list of strings (a multivalued key).
func decodeContext(m map[string]json.RawMessage) (*engine.Context, error) {
	ctx := engine.NewContext(len(m))
	for k, raw := range m {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			ctx.Set(k, s)
			continue
		}
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("context key %q: want a string or a list of strings, got %s", k, raw)
		}
		if list == nil {
			list = []string{}
		}
		ctx.SetMulti(k, list)
	}
	return ctx, nil
}
