package server

import (
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/engine"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// TestPrepareMatchesReference checks the request path against a plain
// reference that builds every item from nothing (a new context, every key
// lower-cased, classified and checked on its own): for random items over
// examples/model, valid and not, the same errors, policies and context
// keys. A scratch serves items in turn, as it does the items of a batch,
// and goes back to the pool between them at times, as between calls;
// contexts are also checked once and shared, as a batch's.
func TestPrepareMatchesReference(t *testing.T) {
	t.Parallel()
	s, snap := exampleServer(t)
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	sc := s.getScratch(snap)
	defer func() { s.putScratch(sc) }()
	var (
		shared  callerKeys // the context of a run of items, checked once as a batch's
		runCtx  map[string]*pdpv1.ContextValue
		runTags map[string]string
		runLeft int
	)
	valid := 0
	for i := range 4000 {
		it := randomItem(r)
		// Runs of items share their context and session tags, as the items
		// of a batch do; within a run, every other item checks its
		// context itself.
		if runLeft == 0 {
			runLeft, runCtx, runTags = 1+r.IntN(8), it.context, it.sessionTags
			s.checkCallerKeys(&shared, runCtx)
		}
		runLeft--
		it.context, it.sessionTags = runCtx, runTags
		// At times the item comes with the next request, on a scratch back
		// from the pool with what it kept of the last.
		if r.IntN(6) == 0 {
			s.putScratch(sc)
			sc = s.getScratch(snap)
		}
		want, wantErr := refPrepare(s, snap, it, now)
		caller := &shared
		if r.IntN(2) == 0 {
			caller = nil
		}
		gotErr := s.prepareItem(sc, snap, it, caller, s.clockKeys(now))
		name := fmt.Sprintf("item %d (%+v)", i, *it)
		require.True(t, sameError(gotErr, wantErr), "%s: error %#v, want %#v", name, gotErr, wantErr)
		if wantErr != nil {
			continue
		}
		valid++
		require.Empty(t, compareInputs(&sc.in, want), name)
	}
	// Session tags of IAM users are refused too.
	assert.GreaterOrEqual(t, valid, 300, "valid items of 4000 random ones")
}

// exampleServer returns a server and the snapshot of examples/model.
func exampleServer(t *testing.T) (*Server, *snapshot.Snapshot) {
	t.Helper()
	cat, err := catalog.Load()
	require.NoError(t, err)
	set, err := entity.LoadDir(os.DirFS("../../examples/model"), ".")
	require.NoError(t, err)
	res, err := set.Resolve(cat)
	require.NoError(t, err)
	snap, err := snapshot.Compile(cat, res, 1, nil)
	require.NoError(t, err)
	return New(Config{}, cat, nil), snap
}

// sameError compares request errors by their violations, others by text.
func sameError(got, want error) bool {
	if (got == nil) != (want == nil) {
		return false
	}
	if got == nil {
		return true
	}
	g, gok := got.(*rpcerr.RequestError)
	w, wok := want.(*rpcerr.RequestError)
	if gok != wok {
		return false
	}
	if !gok {
		return got.Error() == want.Error()
	}
	// Problems of one key come in the order of its values; the reference
	// sorts problems by field without keeping that order, so compare them
	// as sets within a field.
	sorted := func(vs []rpcerr.FieldViolation) []rpcerr.FieldViolation {
		vs = slices.Clone(vs)
		slices.SortStableFunc(vs, func(a, b rpcerr.FieldViolation) int {
			if c := strings.Compare(a.Field, b.Field); c != 0 {
				return c
			}
			return strings.Compare(a.Description, b.Description)
		})
		return vs
	}
	return g.Reason == w.Reason && reflect.DeepEqual(sorted(g.Violations), sorted(w.Violations))
}

// compareInputs describes how two sets of engine inputs differ, or returns
// "" when they agree.
func compareInputs(got, want *decisionInput) string {
	gp, wp := got.policies, want.policies
	if gp.Identity != wp.Identity || gp.Boundary != wp.Boundary || gp.Resource != wp.Resource || !slices.Equal(gp.SCPs, wp.SCPs) {
		return fmt.Sprintf("policies %+v, want %+v", gp, wp)
	}
	if (gp.Session == nil) != (wp.Session == nil) || gp.Session != nil && gp.Session.Len() != wp.Session.Len() {
		return "session policies differ"
	}
	gr, wr := got.request, want.request
	if gr.Principal != wr.Principal || gr.Action != wr.Action || gr.Resource != wr.Resource || gr.ResourceAccount != wr.ResourceAccount {
		return fmt.Sprintf("request %+v, want %+v", gr, wr)
	}
	lower := func(c *engine.Context) []string {
		var keys []string
		for k := range c.Keys() {
			keys = append(keys, strings.ToLower(k))
		}
		slices.Sort(keys)
		return keys
	}
	gk, wk := lower(gr.Context), lower(wr.Context)
	if !slices.Equal(gk, wk) {
		return fmt.Sprintf("context keys %q, want %q", gk, wk)
	}
	for _, k := range wk {
		gv, gm, _ := gr.Context.Get(k)
		wv, wm, _ := wr.Context.Get(k)
		if !slices.Equal(gv, wv) || gm != wm {
			return fmt.Sprintf("context key %s: %q (multi %v), want %q (multi %v)", k, gv, gm, wv, wm)
		}
	}
	return ""
}

// randomItem draws an item from principals, actions, resources and keys
// of examples/model, some of them wrong.
func randomItem(r *rand.Rand) *item {
	pick := func(from ...string) string { return from[r.IntN(len(from))] }
	const (
		acct   = "111122223333"
		growth = "arn:aws:mobiletargeting:us-east-1:" + acct + ":apps/growth-app"
	)
	it := &item{
		principal: pick("arn:aws:iam::"+acct+":user/alice", "arn:aws:iam::"+acct+":user/bob",
			"arn:aws:sts::"+acct+":assumed-role/analyst/report-job", "arn:aws:sts::444455556666:assumed-role/partner-analytics/nightly",
			"arn:aws:sts::"+acct+":assumed-role/sms-sender/notifier", "arn:aws:iam::"+acct+":user/carol",
			"arn:aws:iam::"+acct+":role/analyst", "arn:aws:sts::"+acct+":assumed-role/ANALYST/x", "", "alice",
			"arn:aws-cn:iam::"+acct+":user/alice", "arn:aws:iam::"+acct+":user/team/alice", "arn:aws:iam:us-east-1:"+acct+":user/alice",
			"arn:aws-cn:sts::"+acct+":assumed-role/analyst/report-job"),
		action: pick("mobiletargeting:GetCampaign", "mobiletargeting:GetSegment", "mobiletargeting:UpdateCampaign",
			"sms-voice:SendTextMessage", "mobiletargeting:GetCampaign", "", "mobiletargeting:GetCampaignz"),
		resource: pick(growth+"/campaigns/spring-sale", growth+"/segments/active-users", growth, growth+"/campaigns/unlisted",
			"arn:aws:mobiletargeting:us-east-1:"+acct+":apps/retention-app/campaigns/win-back",
			"arn:aws:sms-voice:us-east-1:"+acct+":pool/pool-marketing", "*", "apps/x"),
		resourceAccount: pick("", "", "", acct, "12", "444455556666"),
	}
	str := func(v string) *pdpv1.ContextValue {
		return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: v}}
	}
	list := func(vs ...string) *pdpv1.ContextValue {
		return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_ListValue{ListValue: &pdpv1.StringList{Values: vs}}}
	}
	keys := []struct {
		name  string
		value *pdpv1.ContextValue
	}{
		{"aws:SourceIp", str("203.0.113.7")}, {"aws:SourceIp", str("not-an-ip")}, {"aws:SecureTransport", str("true")},
		{"aws:RequestedRegion", str("us-east-1")}, {"aws:RequestedRegion", list("us-east-1")},
		{"aws:TagKeys", list("team", "env")}, {"aws:TagKeys", str("team")}, {"aws:TagKeys", list()},
		{"aws:MultiFactorAuthAge", str("300")}, {"aws:MultiFactorAuthAge", str("soon")},
		{"aws:PrincipalTag/team", str("growth")}, {"AWS:PRINCIPALTAG/Team", str("growth")},
		{"aws:ResourceTag/env", str("prod")}, {"aws:RequestTag/team", str("growth")},
		{"aws:CurrentTime", str("2020-01-01T00:00:00Z")}, {"aws:epochtime", str("1")},
		{"aws:PrincipalArn", str("arn:aws:iam::" + acct + ":user/alice")}, {"aws:username", str("alice")},
		{"app:flag", list("a", "b")}, {"app:empty", &pdpv1.ContextValue{}}, {"app:nil", nil},
		// Names that lower to a key's name without folding to it (the
		// dotted capital I lowers to i), and one that folds to a key's
		// name without lowering to it (the long s folds to s).
		{"aws:Pr\u0130ncipalTag/team", str("growth")}, {"aws:CurrentT\u0130me", str("2020-01-01T00:00:00Z")},
		{"aws:Source\u0130p", str("not-an-ip")}, {"aws:Source\u0130p", str("203.0.113.7")}, {"aws:\u017FourceIp", str("not-an-ip")},
	}
	if n := r.IntN(6); n > 0 {
		it.context = make(map[string]*pdpv1.ContextValue, n)
		for range n {
			k := keys[r.IntN(len(keys))]
			if k.value == nil {
				it.context[k.name] = nil
				continue
			}
			// Both spellings of a key, at times.
			it.context[k.name] = k.value
		}
	}
	if r.IntN(4) == 0 {
		it.sessionTags = map[string]string{"team": pick("growth", "retention"), "Project": "p" + strconv.Itoa(r.IntN(3))}
	}
	if r.IntN(10) == 0 {
		it.sessionPolicies = []string{pick(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, `{`)}
	}
	return it
}

// refPrepare builds an item's engine inputs the plain way, from nothing.
func refPrepare(s *Server, snap *snapshot.Snapshot, it *item, now time.Time) (*decisionInput, error) {
	if re := s.cfg.Limits.checkContext("context", it.context); re != nil {
		return nil, re
	}
	if re := s.cfg.Limits.checkTags("session_tags", it.sessionTags); re != nil {
		return nil, re
	}
	if re := s.cfg.Limits.checkPolicies("session_policies", it.sessionPolicies); re != nil {
		return nil, re
	}
	re := &rpcerr.RequestError{Reason: "INVALID_REQUEST"}
	bad := func(field, format string, args ...any) {
		re.Violations = append(re.Violations, rpcerr.FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
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
	if p := resourceProblem(it.resource); p != "" {
		bad("resource", "malformed resource %q: %s", it.resource, p)
	}
	switch owner := strings.Split(it.resource+":::::", ":")[4]; {
	case it.resourceAccount != "" && !engine.IsAccountID(it.resourceAccount):
		bad("resource_account", "malformed account %q: want 12 digits", it.resourceAccount)
	case it.resourceAccount != "" && it.resource != "*" && resourceProblem(it.resource) == "" && owner != it.resourceAccount:
		bad("resource_account", "account %q is not the account %q of resource: the resource's ARN says who owns it, "+
			"and resource_account only names the owner of \"*\"", it.resourceAccount, owner)
	}
	var principal *snapshot.Principal
	if err == nil {
		// The model's entry, when the caller's ARN is its own: the same
		// partition, and for a user or role the same ARN (a role's in any
		// case); a session names its role by name.
		if e, ok := snap.Principal(pa); ok {
			own := e.ARN()
			switch {
			case !strings.HasPrefix(own, "arn:"+pa.Partition+":"):
			case pa.Kind == engine.PrincipalUser && it.principal != own:
			case pa.Kind == engine.PrincipalRole && !strings.EqualFold(it.principal, own):
			default:
				principal = e
			}
		}
	}
	res, knownResource := snap.Resource(it.resource)
	ctx := engine.NewContext(len(it.context) + 8)
	refCallerContext(s, ctx, it.context, principal != nil, knownResource, bad)
	if len(it.sessionPolicies) > 0 && err == nil && pa.Kind == engine.PrincipalUser {
		bad("session_policies", "session policies belong to assumed-role sessions, not to IAM user %q", it.principal)
	}
	if len(it.sessionTags) > 0 && err == nil && pa.Kind == engine.PrincipalUser {
		bad("session_tags", "session tags belong to assumed-role sessions, not to IAM user %q", it.principal)
	}
	if len(re.Violations) > 0 {
		return nil, re
	}
	in := &decisionInput{request: engine.Request{
		Principal: it.principal, Action: it.action, Resource: it.resource,
		ResourceAccount: it.resourceAccount, Context: ctx,
	}}
	var resourceTags map[string]string
	if knownResource {
		resourceTags = res.Tags()
	}
	refDeriveContext(ctx, pa, principal, resourceTags, it.sessionTags, now)
	if principal != nil {
		in.policies.Identity, in.policies.Boundary = principal.Identity(), principal.Boundary()
	}
	in.policies.SCPs = snap.SCPs(pa.Account)
	if res != nil {
		in.policies.Resource = res.Policy()
	}
	if len(it.sessionPolicies) > 0 {
		docs := &engine.PolicyTexts{}
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

func refCallerContext(s *Server, ctx *engine.Context, in map[string]*pdpv1.ContextValue, knownPrincipal, knownResource bool,
	bad func(field, format string, args ...any)) {
	var problems []rpcerr.FieldViolation
	report := func(key, format string, args ...any) {
		problems = append(problems, rpcerr.FieldViolation{Field: "context[" + key + "]", Description: fmt.Sprintf(format, args...)})
	}
	// One key in two cases is refused: condition keys are case-insensitive,
	// and the engine reads them in lower case (which is not folding them:
	// the dotted capital I lowers to i, and does not fold to it).
	lower := func(s string) string { return strings.ToLower(s) }
	for a := range in {
		for b := range in {
			if a < b && lower(a) == lower(b) {
				report(b, "%s and %s name the same condition key (key names are case-insensitive): give it once", strconv.Quote(a), strconv.Quote(b))
			}
		}
	}
	for key, cv := range in {
		if key == "" {
			report(key, "a condition key needs a name")
		}
		if refDerived(key, knownPrincipal, knownResource) {
			report(key, "%s is derived by the server and cannot be given by the caller", key)
			continue
		}
		values, multi, ok := contextValues(cv)
		if !ok {
			report(key, "no value: set string_value or list_value")
			continue
		}
		if ck, known := s.cat.ConditionKey(strings.ToLower(key)); known {
			switch {
			case !multi && ck.Multivalued:
				report(key, "%s is multivalued: give list_value", key)
				continue
			case multi && !ck.Multivalued:
				report(key, "%s takes a single value: give string_value", key)
				continue
			}
			for _, v := range values {
				if err := engine.CheckContextValue(ck.Type, v); err != nil {
					report(key, "%s: %v", key, err)
				}
			}
		}
		if multi {
			ctx.SetMulti(key, values)
		} else {
			ctx.Set(key, values[0])
		}
	}
	slices.SortStableFunc(problems, func(a, b rpcerr.FieldViolation) int { return strings.Compare(a.Field, b.Field) })
	for _, p := range problems {
		bad(p.Field, "%s", p.Description)
	}
}

// refDerived reports whether the server derives the key a caller's name
// stands for, the name read as the engine reads it: in lower case.
func refDerived(key string, knownPrincipal, knownResource bool) bool {
	switch lk := strings.ToLower(key); {
	case lk == "aws:currenttime", lk == "aws:epochtime":
		return true
	case strings.HasPrefix(lk, "aws:principaltag/"), lk == "aws:principalarn", lk == "aws:principalaccount",
		lk == "aws:principaltype", lk == "aws:username":
		return knownPrincipal
	case strings.HasPrefix(lk, "aws:resourcetag/"):
		return knownResource
	}
	return false
}

func refDeriveContext(ctx *engine.Context, pa engine.PrincipalARN, p *snapshot.Principal, resourceTags, sessionTags map[string]string, now time.Time) {
	ctx.Set(keyCurrentTime, now.UTC().Format(time.RFC3339))
	ctx.Set(keyEpochTime, strconv.FormatInt(now.Unix(), 10))
	if p != nil {
		ctx.Set(keyPrincipalArn, p.ARN())
		ctx.Set(keyPrincipalAccount, p.Account())
		if p.Kind() == engine.PrincipalUser {
			ctx.Set(keyPrincipalType, "User")
			ctx.Set(keyUsername, p.Name())
		} else {
			ctx.Set(keyPrincipalType, "AssumedRole")
		}
		for k, v := range p.Tags() {
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
