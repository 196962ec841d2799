package server

import (
	"fmt"
	"strings"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/internal/snapshot"
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
	// principalKnown and resourceKnown say whether the model holds the
	// principal, and the resource or the ancestor whose policy governs it.
	principalKnown, resourceKnown bool
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

// Lower-case names of the keys the server derives, as the engine stores
// them.
var (
	lowerPrincipalArn     = strings.ToLower(keyPrincipalArn)
	lowerPrincipalAccount = strings.ToLower(keyPrincipalAccount)
	lowerPrincipalType    = strings.ToLower(keyPrincipalType)
	lowerUsername         = strings.ToLower(keyUsername)
	lowerCurrentTime      = strings.ToLower(keyCurrentTime)
	lowerEpochTime        = strings.ToLower(keyEpochTime)
)

// prepareItem checks an item and builds its engine inputs in sc.in from the
// snapshot: the principal's identity policies and boundary, its account's
// SCP chain, the resource's policy, and a context merging the caller's
// keys with the keys the server derives. caller is the item's context
// checked, or nil to check it.context here.
func (s *Server) prepareItem(sc *scratch, snap *snapshot.Snapshot, it *item, caller *callerKeys, tk *timeKeys) error {
	if caller == nil {
		caller = sc.ownKeys()
		s.checkCallerKeys(caller, it.context)
	}
	if re := s.cfg.Limits.checkItem(it, caller.limit); re != nil {
		return re
	}
	sc.violations = sc.violations[:0]
	seen := s.principal(sc, it.principal)
	pa, principal, err := seen.pa, seen.entry, seen.err
	if err != nil {
		sc.bad("principal", "%s", rpcerr.ClipMessage(err.Error()))
	}
	if it.action == "" {
		sc.bad("action", `missing action ("service:Action", e.g. "mobiletargeting:GetSegment")`)
	} else if _, ok := s.cat.Action(it.action); !ok {
		msg := "unknown action " + rpcerr.Quote(it.action)
		if sug, ok := s.cat.SuggestAction(it.action); ok && len(it.action) <= rpcerr.MaxEcho {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		sc.bad("action", "%s", msg)
	}
	if p := resourceProblem(it.resource); p != "" {
		sc.bad("resource", "malformed resource %s: %s", rpcerr.Quote(it.resource), p)
	}
	if it.resourceAccount != "" && !engine.IsAccountID(it.resourceAccount) {
		sc.bad("resource_account", "malformed account %s: want 12 digits", rpcerr.Quote(it.resourceAccount))
	}
	res, knownResource := sc.resource(it.resource)
	caller.check(principal != nil, knownResource, sc)
	if err == nil && pa.Kind == engine.PrincipalUser {
		if len(it.sessionPolicies) > 0 {
			sc.bad("session_policies", "session policies belong to assumed-role sessions, not to IAM user %s", rpcerr.Quote(it.principal))
		}
		if len(it.sessionTags) > 0 {
			sc.bad("session_tags", "session tags belong to assumed-role sessions, not to IAM user %s", rpcerr.Quote(it.principal))
		}
	}
	if len(sc.violations) > 0 {
		return sc.requestError()
	}
	s.names.learn(caller)
	sc.in = decisionInput{request: engine.Request{
		Principal: it.principal, Action: it.action, Resource: it.resource,
		ResourceAccount: it.resourceAccount, Context: sc.ctx,
	}, principalKnown: principal != nil, resourceKnown: res != nil}
	layers := ctxLayers{caller: caller, callerGen: caller.gen, time: tk, principal: seen.keys}
	if knownResource {
		layers.resource = s.resourceKeys(res)
	}
	var sessionTags map[string]string
	if pa.Kind == engine.PrincipalSession {
		sessionTags = it.sessionTags
	}
	sc.buildContext(layers, sessionTags, s.names)
	if principal != nil {
		sc.in.policies.Identity, sc.in.policies.Boundary = principal.Identity(), principal.Boundary()
	}
	sc.in.policies.SCPs = snap.SCPs(pa.Account)
	if res != nil {
		sc.in.policies.Resource = res.Policy()
	}
	if len(it.sessionPolicies) > 0 {
		docs := &engine.PolicyTexts{}
		for _, p := range it.sessionPolicies {
			docs.Session = append(docs.Session, []byte(p))
		}
		ps, err := docs.Compile(s.cat)
		if err != nil {
			return err
		}
		sc.in.policies.Session = ps.Session
	}
	return nil
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
