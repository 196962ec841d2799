package server

import (
	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/engine"
)

func toDecision(d engine.Decision) pdpv1.Decision {
	switch d {
	case engine.Allow:
		return pdpv1.Decision_DECISION_ALLOW
	case engine.ExplicitDeny:
		return pdpv1.Decision_DECISION_EXPLICIT_DENY
	}
	return pdpv1.Decision_DECISION_IMPLICIT_DENY
}

func toPolicyType(t engine.PolicyType) pdpv1.PolicyType {
	switch t {
	case engine.IdentityPolicy:
		return pdpv1.PolicyType_POLICY_TYPE_IDENTITY
	case engine.ResourcePolicy:
		return pdpv1.PolicyType_POLICY_TYPE_RESOURCE
	case engine.BoundaryPolicy:
		return pdpv1.PolicyType_POLICY_TYPE_BOUNDARY
	case engine.SessionPolicy:
		return pdpv1.PolicyType_POLICY_TYPE_SESSION
	case engine.SCPPolicy:
		return pdpv1.PolicyType_POLICY_TYPE_SCP
	}
	return pdpv1.PolicyType_POLICY_TYPE_UNSPECIFIED
}

func toEffect(e engine.Effect) pdpv1.Effect {
	if e == engine.EffectDeny {
		return pdpv1.Effect_EFFECT_DENY
	}
	return pdpv1.Effect_EFFECT_ALLOW
}

func toExplanation(ex *engine.Explanation) *pdpv1.Explanation {
	if ex == nil {
		return nil
	}
	out := &pdpv1.Explanation{MissingKeys: ex.MissingKeys, CrossAccount: ex.CrossAccount}
	for _, m := range ex.Matched {
		out.Matched = append(out.Matched, &pdpv1.MatchedStatement{
			Type: toPolicyType(m.Type), Level: int32(m.Level), Policy: m.PolicyID,
			Sid: m.Sid, Index: int32(m.Index), Effect: toEffect(m.Effect),
		})
	}
	for _, v := range ex.Verdicts {
		out.Verdicts = append(out.Verdicts, &pdpv1.PolicyVerdict{
			Type: toPolicyType(v.Type), Level: int32(v.Level), Allowed: v.Allowed, Denied: v.Denied,
		})
	}
	return out
}

// DecisionName spells a decision as IAM does ("Allow", "ExplicitDeny",
// "ImplicitDeny"); ok is false for a value that is not a decision. The
// decision log, the metrics and the CLI all label decisions with it.
func DecisionName(d pdpv1.Decision) (name string, ok bool) {
	switch d {
	case pdpv1.Decision_DECISION_ALLOW:
		return "Allow", true
	case pdpv1.Decision_DECISION_EXPLICIT_DENY:
		return "ExplicitDeny", true
	case pdpv1.Decision_DECISION_IMPLICIT_DENY:
		return "ImplicitDeny", true
	}
	return d.String(), false
}

// PolicyTypeName spells a policy type as engine.PolicyType.String does:
// "identity", "resource", "boundary", "session", "scp".
func PolicyTypeName(t pdpv1.PolicyType) string {
	switch t {
	case pdpv1.PolicyType_POLICY_TYPE_IDENTITY:
		return "identity"
	case pdpv1.PolicyType_POLICY_TYPE_RESOURCE:
		return "resource"
	case pdpv1.PolicyType_POLICY_TYPE_BOUNDARY:
		return "boundary"
	case pdpv1.PolicyType_POLICY_TYPE_SESSION:
		return "session"
	case pdpv1.PolicyType_POLICY_TYPE_SCP:
		return "scp"
	}
	return "unknown"
}

// EffectName spells a statement's Effect as IAM does.
func EffectName(e pdpv1.Effect) string {
	if e == pdpv1.Effect_EFFECT_DENY {
		return "Deny"
	}
	return "Allow"
}

// contextValues reads one context value: a string, or a list of strings.
func contextValues(v *pdpv1.ContextValue) (values []string, multi, ok bool) {
	switch k := v.GetKind().(type) {
	case *pdpv1.ContextValue_StringValue:
		return []string{k.StringValue}, false, true
	case *pdpv1.ContextValue_ListValue:
		vals := k.ListValue.GetValues()
		if vals == nil {
			vals = []string{}
		}
		return vals, true, true
	}
	return nil, false, false
}
