package server

import (
	"context"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// Simulate decides a self-contained request: every policy comes with it
// and the context is taken as complete, exactly as a conformance case.
func (s *Server) Simulate(ctx context.Context, req *pdpv1.SimulateRequest) (*pdpv1.SimulateResponse, error) {
	if re := s.cfg.Limits.checkSimulate(req); re != nil {
		return nil, s.toStatus(ctx, re)
	}
	docs := &engine.PolicyTexts{}
	for _, p := range req.GetIdentityPolicies() {
		docs.Identity = append(docs.Identity, []byte(p))
	}
	if p := req.GetResourcePolicy(); p != "" {
		docs.Resource = []byte(p)
	}
	if p := req.GetPermissionsBoundary(); p != "" {
		docs.Boundary = []byte(p)
	}
	for _, p := range req.GetSessionPolicies() {
		docs.Session = append(docs.Session, []byte(p))
	}
	for _, p := range req.GetScps() {
		docs.SCPs = append(docs.SCPs, []byte(p))
	}
	var re rpcerr.RequestError
	re.Reason = "INVALID_REQUEST"
	if req.GetPrincipal() == "" {
		re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: "principal", Description: "missing principal"})
	}
	if req.GetAction() == "" {
		re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: "action", Description: "missing action"})
	}
	if req.GetResource() == "" {
		re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: "resource", Description: `missing resource (an ARN, or "*")`})
	} else if p := resourceProblem(req.GetResource()); p != "" {
		re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: "resource", Description: "malformed resource " + rpcerr.Quote(req.GetResource()) + ": " + p})
	}
	if p := resourceAccountProblem(req.GetResource(), req.GetResourceAccount()); p != "" {
		re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: "resource_account", Description: p})
	}
	for _, dup := range foldDuplicates(req.GetContext()) {
		re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: "context[" + rpcerr.Clip(dup[1]) + "]",
			Description: rpcerr.Quote(dup[0]) + " and " + rpcerr.Quote(dup[1]) + " name the same condition key (key names are case-insensitive): give it once"})
	}
	ectx := engine.NewContext(len(req.GetContext()))
	for k, v := range req.GetContext() {
		values, multi, ok := contextValues(v)
		switch {
		case !ok:
			re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: "context[" + k + "]", Description: "no value: set string_value or list_value"})
		case multi:
			ectx.SetMulti(k, values)
		default:
			ectx.Set(k, values[0])
		}
	}
	if len(re.Violations) > 0 {
		return nil, s.toStatus(ctx, &re)
	}
	p, err := docs.Compile(s.cat)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	if err := s.checkSimulatedPolicies(req); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	in := &decisionInput{policies: *p, request: engine.Request{
		Principal: req.GetPrincipal(), Action: req.GetAction(), Resource: req.GetResource(),
		ResourceAccount: req.GetResourceAccount(), Context: ectx,
	}}
	d, ex := decide(in, req.GetExplain())
	if h := s.cfg.Hooks.OnDecision; h != nil {
		it := item{principal: req.GetPrincipal(), action: req.GetAction(), resource: req.GetResource(), context: req.GetContext()}
		h(ctx, decisionRecord(callInfoOf(ctx), "Simulate", &it, d, ex, nil, 0, s.cfg.Clock()))
	}
	return &pdpv1.SimulateResponse{Decision: d, Explanation: ex}, nil
}
