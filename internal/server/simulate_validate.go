package server

import (
	"fmt"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// A malformedPolicyError holds the validation errors of policies sent with
// a Simulate call. It becomes INVALID_ARGUMENT with reason
// MALFORMED_POLICY_DOCUMENT, as IAM's policy simulator answers
// MalformedPolicyDocument, rather than a decision on a policy IAM would
// not accept.
//
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html
type malformedPolicyError struct{ errs engine.Errors }

func (e *malformedPolicyError) Error() string { return e.errs.Error() }

// checkSimulatedPolicies validates the documents of a Simulate request as
// a policy write validates them, keeping errors and dropping warnings:
// an IpAddress of 999.1.1.1/99, a NumericLessThan of "abc", a date that is
// none. Documents that do not parse are left to compiling, which reports
// them. Findings about Sids (a Sid used twice) are the one exception: a
// Sid takes no part in a decision, and IAM's simulator decides such
// documents, as two cases of the public corpus record.
func (s *Server) checkSimulatedPolicies(req *pdpv1.SimulateRequest) error {
	var errs engine.Errors
	check := func(id string, typ engine.PolicyType, src string) {
		doc, err := engine.Parse([]byte(src), engine.ParseOptions{ID: id, Type: typ})
		if err != nil {
			return
		}
		for _, pe := range engine.Validate(s.cat, doc, engine.ValidateOptions{}) {
			if pe.Severity == engine.SeverityError && !sidFinding(pe) {
				errs = append(errs, pe)
			}
		}
	}
	for i, p := range req.GetIdentityPolicies() {
		check(fmt.Sprintf("identity_policies[%d]", i), engine.IdentityPolicy, p)
	}
	if p := req.GetResourcePolicy(); p != "" {
		check("resource_policy", engine.ResourcePolicy, p)
	}
	if p := req.GetPermissionsBoundary(); p != "" {
		check("permissions_boundary", engine.BoundaryPolicy, p)
	}
	for i, p := range req.GetSessionPolicies() {
		check(fmt.Sprintf("session_policies[%d]", i), engine.SessionPolicy, p)
	}
	for i, p := range req.GetScps() {
		check(fmt.Sprintf("scps[%d]", i), engine.SCPPolicy, p)
	}
	if len(errs) == 0 {
		return nil
	}
	return &malformedPolicyError{errs: errs}
}

// sidFinding reports whether a finding is about a statement's Sid.
func sidFinding(pe *engine.PolicyError) bool {
	return pe.Code == engine.CodeInvalidValue && pe.Field == "Sid"
}
