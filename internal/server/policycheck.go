package server

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/policycheck"
)

// PolicyChecker implements pdp.v1.PolicyCheckService: IAM Access Analyzer's
// custom policy checks, decided by pkg/policycheck against the server's
// catalog. A check reads only the policies in its request, never the
// snapshot, so it answers before the first snapshot too.
type PolicyChecker struct {
	pdpv1.UnimplementedPolicyCheckServiceServer

	s *Server
	c *policycheck.Checker
}

// NewPolicyChecker returns the PolicyCheckService of s.
func NewPolicyChecker(s *Server) *PolicyChecker {
	return &PolicyChecker{s: s, c: policycheck.New(s.cat)}
}

// Register adds the service to gs.
func (p *PolicyChecker) Register(gs *grpc.Server) { pdpv1.RegisterPolicyCheckServiceServer(gs, p) }

// CheckNoNewAccess reports whether the new policy grants access the
// existing one does not.
func (p *PolicyChecker) CheckNoNewAccess(ctx context.Context, req *pdpv1.CheckNoNewAccessRequest) (*pdpv1.CheckNoNewAccessResponse, error) {
	typ, err := p.checkInput(req.GetPolicyType(), map[string]string{
		"existing_policy_document": req.GetExistingPolicyDocument(),
		"new_policy_document":      req.GetNewPolicyDocument(),
	})
	if err != nil {
		return nil, p.s.toStatus(ctx, err)
	}
	rep, err := p.c.CheckNoNewAccess(ctx, []byte(req.GetExistingPolicyDocument()), []byte(req.GetNewPolicyDocument()), typ)
	if err != nil {
		return nil, p.s.toStatus(ctx, err)
	}
	return &pdpv1.CheckNoNewAccessResponse{Result: checkResult(rep.Result), Message: rep.Message,
		Reasons: reasonSummaries(rep.Reasons), Notes: rep.Notes}, nil
}

// CheckAccessNotGranted reports whether the policy grants any of the access.
func (p *PolicyChecker) CheckAccessNotGranted(ctx context.Context, req *pdpv1.CheckAccessNotGrantedRequest) (*pdpv1.CheckAccessNotGrantedResponse, error) {
	typ, err := p.checkInput(req.GetPolicyType(), map[string]string{"policy_document": req.GetPolicyDocument()})
	if err != nil {
		return nil, p.s.toStatus(ctx, err)
	}
	if n := len(req.GetAccess()); n != 1 {
		return nil, p.s.toStatus(ctx, rpcerr.BadField("access", "want exactly one access, got %d", n))
	}
	a := req.GetAccess()[0]
	if n := len(a.GetActions()) + len(a.GetResources()); n > maxAccessItems {
		return nil, p.s.toStatus(ctx, rpcerr.BadField("access[0]", "%d actions and resources, over the limit of %d", n, maxAccessItems))
	}
	rep, err := p.c.CheckAccessNotGranted(ctx, []byte(req.GetPolicyDocument()),
		policycheck.Access{Actions: a.GetActions(), Resources: a.GetResources()}, typ)
	var ae *policycheck.AccessError
	if errors.As(err, &ae) {
		err = rpcerr.BadField(ae.Field, "%s", ae.Msg)
	}
	if err != nil {
		return nil, p.s.toStatus(ctx, err)
	}
	return &pdpv1.CheckAccessNotGrantedResponse{Result: checkResult(rep.Result), Message: rep.Message,
		Reasons: reasonSummaries(rep.Reasons), Notes: rep.Notes}, nil
}

// maxAccessItems bounds the actions and resources of one access, as Access
// Analyzer bounds each list to 100.
const maxAccessItems = 200

// checkInput reads the policy type and bounds the documents' size.
func (p *PolicyChecker) checkInput(t pdpv1.AccessCheckPolicyType, docs map[string]string) (engine.PolicyType, error) {
	re := &rpcerr.RequestError{Reason: "INVALID_REQUEST"}
	var typ engine.PolicyType
	switch t {
	case pdpv1.AccessCheckPolicyType_ACCESS_CHECK_POLICY_TYPE_IDENTITY_POLICY:
		typ = engine.IdentityPolicy
	case pdpv1.AccessCheckPolicyType_ACCESS_CHECK_POLICY_TYPE_RESOURCE_POLICY:
		typ = engine.ResourcePolicy
	default:
		re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: "policy_type",
			Description: fmt.Sprintf("must be IDENTITY_POLICY or RESOURCE_POLICY, got %s", t)})
	}
	for _, field := range []string{"existing_policy_document", "new_policy_document", "policy_document"} {
		doc, ok := docs[field]
		switch {
		case !ok:
		case doc == "":
			re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: field, Description: "missing"})
		case len(doc) > p.s.cfg.Limits.MaxPolicyBytes:
			re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: field,
				Description: fmt.Sprintf("the document is %d bytes, over the limit of %d", len(doc), p.s.cfg.Limits.MaxPolicyBytes)})
		}
	}
	if len(re.Violations) > 0 {
		return 0, re
	}
	return typ, nil
}

func checkResult(r policycheck.Result) pdpv1.CheckResult {
	if r == policycheck.Pass {
		return pdpv1.CheckResult_CHECK_RESULT_PASS
	}
	return pdpv1.CheckResult_CHECK_RESULT_FAIL
}

func reasonSummaries(rs []policycheck.Reason) []*pdpv1.ReasonSummary {
	out := make([]*pdpv1.ReasonSummary, len(rs))
	for i, r := range rs {
		out[i] = &pdpv1.ReasonSummary{Description: r.Description, StatementIndex: int32(r.StatementIndex),
			StatementId: r.StatementID, Line: int32(r.Line), Column: int32(r.Column), Conditional: r.Conditional}
	}
	return out
}
