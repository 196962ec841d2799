package server

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/conformance"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// item is one decision request, whichever RPC carried it.
type item struct {
	principal       string
	action          string
	resource        string
	resourceAccount string
	context         map[string]*pdpv1.ContextValue
	sessionPolicies []string
	sessionTags     map[string]string
}

// decisionInput is an item turned into engine inputs.
type decisionInput struct {
	policies engine.Policies
	request  engine.Request
}

// Condition keys the server derives from the model and its clock. A caller
// may not supply them where the server derives them.
const (
	keyPrincipalArn     = "aws:PrincipalArn"
	keyPrincipalAccount = "aws:PrincipalAccount"
	keyPrincipalType    = "aws:PrincipalType"
	keyUsername         = "aws:username"
	keyCurrentTime      = "aws:CurrentTime"
	keyEpochTime        = "aws:EpochTime"
	prefixPrincipalTag  = "aws:principaltag/"
	prefixResourceTag   = "aws:resourcetag/"
)

// prepare checks an item and builds the engine inputs from the snapshot:
// the principal's identity policies and boundary, its account's SCP chain,
// the resource's policy, and a context merging the caller's keys with the
// keys the server derives.
func (s *Server) prepare(snap *Snapshot, it *item, now time.Time) (*decisionInput, error) {
	if re := s.cfg.Limits.checkItem(it); re != nil {
		return nil, re
	}
	var re requestError
	re.reason = "INVALID_REQUEST"
	bad := func(field, format string, args ...any) {
		re.violations = append(re.violations, fieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
	}
	pa, err := engine.ParsePrincipalARN(it.principal)
	if err != nil {
		bad("principal", "%v", err)
	}
	if it.action == "" {
		bad("action", `missing action ("service:Action", e.g. "mobiletargeting:GetSegment")`)
	} else if _, ok := s.cat.Action(it.action); !ok {
		msg := fmt.Sprintf("unknown action %q", it.action)
		if sug, ok := s.cat.SuggestAction(it.action); ok {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		bad("action", "%s", msg)
	}
	if it.resource != "*" && !engine.IsARN(it.resource) {
		bad("resource", `malformed resource %q: want an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE) or "*"`, it.resource)
	}
	if it.resourceAccount != "" && !engine.IsAccountID(it.resourceAccount) {
		bad("resource_account", "malformed account %q: want 12 digits", it.resourceAccount)
	}
	var principal *principalEntry
	if err == nil {
		principal, _ = snap.principal(pa)
	}
	res, knownResource := snap.resource(it.resource)
	ctx := engine.NewContext(len(it.context) + 8)
	s.callerContext(ctx, it.context, principal != nil, knownResource, bad)
	if len(it.sessionPolicies) > 0 && err == nil && pa.Kind == engine.PrincipalUser {
		bad("session_policies", "session policies belong to assumed-role sessions, not to IAM user %q", it.principal)
	}
	if len(re.violations) > 0 {
		return nil, &re
	}
	in := &decisionInput{request: engine.Request{
		Principal: it.principal, Action: it.action, Resource: it.resource,
		ResourceAccount: it.resourceAccount, Context: ctx,
	}}
	var resourceTags map[string]string
	if knownResource {
		resourceTags = res.tags
	}
	deriveContext(ctx, pa, principal, resourceTags, it.sessionTags, now)
	if principal != nil {
		in.policies.Identity, in.policies.Boundary = principal.identity, principal.boundary
	}
	in.policies.SCPs = snap.scps[pa.Account]
	if res != nil {
		in.policies.Resource = res.policy
	}
	if len(it.sessionPolicies) > 0 {
		docs := &conformance.Documents{}
		for _, p := range it.sessionPolicies {
			docs.Session = append(docs.Session, []byte(p))
		}
		ps, err := docs.Compile(s.cat)
		if err != nil {
			return nil, err
		}
		in.policies.Session = ps.Session
	}
	return in, nil
}

// callerContext copies the caller's context keys, checking each value's
// shape and type against the catalog and refusing keys the server derives.
func (s *Server) callerContext(ctx *engine.Context, in map[string]*pdpv1.ContextValue, knownPrincipal, knownResource bool,
	bad func(field, format string, args ...any)) {
	// Keys are visited in map order; problems are reported sorted by key,
	// so that messages are stable without sorting every request's keys.
	var problems []fieldViolation
	report := func(key, format string, args ...any) {
		problems = append(problems, fieldViolation{Field: "context[" + key + "]", Description: fmt.Sprintf(format, args...)})
	}
	for key, cv := range in {
		if derived(key, knownPrincipal, knownResource) {
			report(key, "%s is derived by the server and cannot be given by the caller", key)
			continue
		}
		if sv, ok := cv.GetKind().(*pdpv1.ContextValue_StringValue); ok && !s.checkSingle(key, sv.StringValue, report) {
			continue
		} else if ok {
			ctx.Set(key, sv.StringValue)
			continue
		}
		values, multi, ok := contextValues(cv)
		if !ok {
			report(key, "no value: set string_value or list_value")
			continue
		}
		if ck, known := s.cat.ConditionKey(key); known {
			if !ck.Multivalued && multi {
				report(key, "%s takes a single value: give string_value", key)
				continue
			}
			for _, v := range values {
				if err := engine.CheckContextValue(ck.Type, v); err != nil {
					report(key, "%s: %v", key, err)
				}
			}
		}
		ctx.SetMulti(key, values)
	}
	slices.SortFunc(problems, func(a, b fieldViolation) int { return strings.Compare(a.Field, b.Field) })
	for _, p := range problems {
		bad(p.Field, "%s", p.Description)
	}
}

// checkSingle checks a single value against its key's catalog type and
// reports whether it may be used.
func (s *Server) checkSingle(key, value string, report func(key, format string, args ...any)) bool {
	ck, known := s.cat.ConditionKey(key)
	if !known {
		return true
	}
	if ck.Multivalued {
		report(key, "%s is multivalued: give list_value", key)
		return false
	}
	if err := engine.CheckContextValue(ck.Type, value); err != nil {
		report(key, "%s: %v", key, err)
		return false
	}
	return true
}

// derived reports whether the server derives a key, so that a caller may
// not supply it.
func derived(key string, knownPrincipal, knownResource bool) bool {
	switch {
	case strings.EqualFold(key, keyCurrentTime), strings.EqualFold(key, keyEpochTime):
		return true
	case knownPrincipal && (hasPrefixFold(key, prefixPrincipalTag) || strings.EqualFold(key, keyPrincipalArn) ||
		strings.EqualFold(key, keyPrincipalAccount) || strings.EqualFold(key, keyPrincipalType) ||
		strings.EqualFold(key, keyUsername)):
		return true
	case knownResource && hasPrefixFold(key, prefixResourceTag):
		return true
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// deriveContext adds the keys the server knows: the clock always, the
// principal's identity and tags when the model knows the principal (session
// tags win over the role's tags), the resource's tags when it knows the
// resource.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
func deriveContext(ctx *engine.Context, pa engine.PrincipalARN, p *principalEntry, resourceTags, sessionTags map[string]string, now time.Time) {
	ctx.Set(keyCurrentTime, now.UTC().Format(time.RFC3339))
	ctx.Set(keyEpochTime, strconv.FormatInt(now.Unix(), 10))
	if p != nil {
		ctx.Set(keyPrincipalArn, p.arn)
		ctx.Set(keyPrincipalAccount, p.account)
		if p.kind == engine.PrincipalUser {
			ctx.Set(keyPrincipalType, "User")
			ctx.Set(keyUsername, p.name)
		} else {
			ctx.Set(keyPrincipalType, "AssumedRole")
		}
		for k, v := range p.tags {
			ctx.Set("aws:PrincipalTag/"+k, v)
		}
	}
	if pa.Kind == engine.PrincipalSession {
		for k, v := range sessionTags {
			ctx.Set("aws:PrincipalTag/"+k, v)
		}
	}
	for k, v := range resourceTags {
		ctx.Set("aws:ResourceTag/"+k, v)
	}
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
