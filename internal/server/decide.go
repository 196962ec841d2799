package server

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// The decision pipeline, in the order a request runs through it. Check
// (check.go) calls check, and BatchCheck batchResult for each item:
//
//  1. the snapshot the request is decided on is picked once, the current
//     one or one at min_revision (snapshotFor);
//  2. the request becomes an item (checkItem, batchItem);
//  3. a scratch is taken from the pool (scratch.go) and the clock's keys
//     are read (clockKeys);
//  4. prepareItem checks the item, looking its principal and resource up
//     in the snapshot, and builds the engine context from the caller's keys
//     (callerkeys.go, limits.go, keynames.go) and the keys the server
//     derives (ctxlayers.go);
//  5. decide evaluates it with pkg/engine (convert.go turns the decision
//     back into protobuf, notes.go adds an explanation's notes);
//  6. the response says whether the model knows the principal and the
//     resource (modelStatus), and what it does not know is logged
//     (logUnknown).

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

// check decides one request for method (Check, or a request of
// CheckStream); its errors are domain errors, for the caller to map.
func (s *Server) check(ctx context.Context, method string, req *pdpv1.CheckRequest) (*pdpv1.CheckResponse, error) {
	snap, err := s.snapshotFor(ctx, req.GetMinRevision())
	if err != nil {
		return nil, err
	}
	it, now := checkItem(req), s.cfg.Clock()
	sc := s.getScratch(snap)
	defer s.putScratch(sc)
	if err := s.prepareItem(sc, snap, &it, nil, s.clockKeys(now)); err != nil {
		return nil, err
	}
	d, ex := decide(&sc.in, req.GetExplain())
	if h := s.cfg.Hooks.OnDecision; h != nil {
		h(ctx, decisionRecord(callInfoOf(ctx), method, &it, d, ex, nil, snap.Revision(), now))
	}
	s.logUnknown(ctx, &it, &sc.in)
	return &pdpv1.CheckResponse{Decision: d, Revision: snap.Revision(), Explanation: ex,
		PrincipalStatus: modelStatus(sc.in.principalKnown), ResourceStatus: modelStatus(sc.in.resourceKnown)}, nil
}

// batchResult decides item i of a batch into out; a problem with the item
// becomes its own error, never the batch's.
func (s *Server) batchResult(sc *scratch, b *batch, i int, out *pdpv1.BatchCheckResult) {
	var it item
	bi := b.req.GetItems()[i]
	var caller *callerKeys // nil: it.context is checked by prepareItem
	switch batchItem(b.req, bi, &it) {
	case contextShared:
		caller = &b.shared
	case contextMerged:
		// The item's keys over the batch's, checked without merging the
		// two; the merged context is made only for OnDecision.
		caller = sc.ownKeys()
		s.checkItemKeys(caller, &b.shared, b.req.GetContext(), bi.GetContext())
		if b.items != nil {
			it.context = mergeContext(b.req.GetContext(), bi.GetContext())
		}
	}
	if b.items != nil {
		b.items[i] = it
	}
	if err := s.prepareItem(sc, b.snap, &it, caller, b.tk); err != nil {
		out.Error = itemError(err)
		return
	}
	out.Decision, out.Explanation = decide(&sc.in, b.explain)
	out.PrincipalStatus, out.ResourceStatus = modelStatus(sc.in.principalKnown), modelStatus(sc.in.resourceKnown)
}

// A decision call reads the snapshot it decides on here, once: the current
// one, or with min_revision one at least that recent, waiting for the
// follower to publish it.

// snapshotFor returns the snapshot a decision call should use: the current
// one, or with min_revision one at least that recent.
func (s *Server) snapshotFor(ctx context.Context, minRev int64) (*snapshot.Snapshot, error) {
	if minRev < 0 {
		return nil, rpcerr.NegativeRevision("min_revision", minRev)
	}
	if minRev > 0 {
		return s.waitRevision(ctx, minRev)
	}
	if snap := s.snaps.Current(); snap != nil {
		return snap, nil
	}
	return nil, errNoSnapshot
}

// waitRevision returns a snapshot at least at min, waiting for the follower
// until ctx ends. Past the deadline it fails UNAVAILABLE with the current
// revision, so the caller can retry.
func (s *Server) waitRevision(ctx context.Context, minRev int64) (*snapshot.Snapshot, error) {
	// Wait no longer than the server allows, and give up a little before
	// the caller's deadline, so that the reply (UNAVAILABLE with the
	// current revision) reaches it before its own DEADLINE_EXCEEDED does.
	limit := time.Now().Add(s.cfg.MaxRevisionWait)
	if dl, ok := ctx.Deadline(); ok {
		limit = minTime(limit, dl.Add(-min(time.Until(dl)/10, 50*time.Millisecond)))
	}
	ctx, cancel := context.WithDeadline(ctx, limit)
	defer cancel()
	for {
		snap, changed := s.snaps.Changed()
		if snap != nil && snap.Revision() >= minRev {
			return snap, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, &staleError{min: minRev, current: s.currentRevision()}
		}
	}
}

// staleError: the server had not reached the revision a call asked for by
// its deadline.
type staleError struct{ min, current int64 }

func (e *staleError) Error() string {
	return fmt.Sprintf("policy revision %d not reached: the server is at revision %d", e.min, e.current)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// currentRevision returns the revision of the current snapshot; 0 before
// the first.
func (s *Server) currentRevision() int64 {
	if snap := s.snaps.Current(); snap != nil {
		return snap.Revision()
	}
	return 0
}

// checkItem is a Check request as an item.
func checkItem(r *pdpv1.CheckRequest) item {
	return item{
		principal: r.GetPrincipal(), action: r.GetAction(), resource: r.GetResource(),
		resourceAccount: r.GetResourceAccount(), context: r.GetContext(),
		sessionPolicies: r.GetSessionPolicies(), sessionTags: r.GetSessionTags(),
	}
}

// itemContext says what context a batch item is decided with.
type itemContext uint8

const (
	contextShared itemContext = iota // the batch's: the item has none of its own
	contextOwn                       // the item's: the batch has none
	contextMerged                    // the batch's with the item's keys over it
)

// batchItem applies the batch's defaults to one item, into it: an empty
// principal or session takes the batch's, and the item's context keys
// replace the batch's keys of the same name. It says which context the
// item has; it.context is left nil for a merged one, which the caller
// checks from the two (see checkItemKeys).
func batchItem(r *pdpv1.BatchCheckRequest, bi *pdpv1.BatchCheckItem, it *item) itemContext {
	*it = item{
		principal: bi.GetPrincipal(), action: bi.GetAction(), resource: bi.GetResource(),
		resourceAccount: bi.GetResourceAccount(), sessionPolicies: bi.GetSessionPolicies(), sessionTags: bi.GetSessionTags(),
	}
	if it.principal == "" {
		it.principal = r.GetPrincipal()
	}
	if len(it.sessionPolicies) == 0 {
		it.sessionPolicies = r.GetSessionPolicies()
	}
	if len(it.sessionTags) == 0 {
		it.sessionTags = r.GetSessionTags()
	}
	switch {
	case len(bi.GetContext()) == 0:
		it.context = r.GetContext()
		return contextShared
	case len(r.GetContext()) == 0:
		it.context = bi.GetContext()
		return contextOwn
	}
	return contextMerged
}

// A call reads the clock once: the items of a batch share the time keys.

// timeKeys are the values of aws:CurrentTime and aws:EpochTime for one
// second.
type timeKeys struct {
	unix    int64
	current string // RFC 3339, UTC
	epoch   string
}

// clockKeys returns the time keys of now. Calls within the same second
// share their strings.
func (s *Server) clockKeys(now time.Time) *timeKeys {
	sec := now.Unix()
	if tk := s.lastTime.Load(); tk != nil && tk.unix == sec {
		return tk
	}
	tk := &timeKeys{unix: sec, current: now.UTC().Format(time.RFC3339), epoch: strconv.FormatInt(sec, 10)}
	s.lastTime.Store(tk)
	return tk
}

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
	if p := resourceAccountProblem(it.resource, it.resourceAccount); p != "" {
		sc.bad("resource_account", "%s", p)
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
		set, err := s.sessions.compile(s, it.sessionPolicies)
		if err != nil {
			return err
		}
		sc.in.policies.Session = set
	}
	return nil
}

// What prepareItem uses to check an item: its problems, noted in the
// scratch, and the principals and resources it looked up, memoized there.

// bad notes a problem with a field of the item being prepared.
func (sc *scratch) bad(field, format string, args ...any) {
	sc.violations = append(sc.violations, rpcerr.FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
}

// requestError returns the problems noted, copied out of the scratch.
func (sc *scratch) requestError() *rpcerr.RequestError {
	return &rpcerr.RequestError{Reason: "INVALID_REQUEST", Violations: slices.Clone(sc.violations)}
}

// principalSeen is a principal parsed and looked up, with the keys the
// server derives from its entry (nil when the model does not know it).
type principalSeen struct {
	arn   string
	pa    engine.PrincipalARN
	err   error
	entry *snapshot.Principal
	keys  *derivedKeys
}

// memoSize is how many principals a scratch remembers: the items of a
// batch often share a few.
const memoSize = 8

// principal parses a principal's ARN and finds its entry in the snapshot,
// with the keys derived from the entry; it remembers the answer for the
// next items.
func (s *Server) principal(sc *scratch, arn string) *principalSeen {
	for i := range sc.usedP {
		if p := &sc.principals[i]; p.arn == arn {
			return p
		}
	}
	p := &sc.principals[sc.nextP]
	sc.nextP = (sc.nextP + 1) % memoSize
	sc.usedP = min(sc.usedP+1, memoSize)
	*p = principalSeen{arn: arn}
	p.pa, p.err = engine.ParsePrincipalARN(arn)
	if p.err != nil {
		return p
	}
	if e, _ := sc.snap.Principal(p.pa); e != nil && e.Names(arn, p.pa) {
		p.entry, p.keys = e, s.principalKeys(e)
	}
	return p
}

// resourceFound is what a snapshot said of a resource ARN.
type resourceFound struct {
	arn   string
	entry *snapshot.Resource
	known bool
}

// resource finds what governs a resource in the snapshot, remembering the
// answer for the next item: items of a batch often act on one resource in
// turn.
func (sc *scratch) resource(arn string) (*snapshot.Resource, bool) {
	if r := &sc.lastRes; r.arn == arn && arn != "" {
		return r.entry, r.known
	}
	e, known := sc.snap.Resource(arn)
	sc.lastRes = resourceFound{arn: arn, entry: e, known: known}
	return e, known
}

// resourceProblem says what is wrong with a request's resource, or ""
// when it is "*" or a well-formed ARN: a partition and a service, a
// region (empty for global resources), a 12-digit account, and a resource
// part. Every Pinpoint and SMS-voice resource type carries its account,
// and IAM refuses such requests rather than deciding them, so a request
// for "arn::::::" or an account of 2 digits is refused, not denied.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
func resourceProblem(arn string) string {
	const form = "(arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)"
	if arn == "*" {
		return ""
	}
	var f [6]string // as strings.SplitN(arn, ":", 6) gives them, without allocating
	n, rest := 0, arn
	for ; n < 5; n++ {
		i := strings.IndexByte(rest, ':')
		if i < 0 {
			break
		}
		f[n], rest = rest[:i], rest[i+1:]
	}
	f[n] = rest
	if n != 5 || f[0] != "arn" {
		return `want an ARN ` + form + ` or "*"`
	}
	switch partition, service, region, account, resource := f[1], f[2], f[3], f[4], f[5]; {
	case !arnWord(partition):
		return "the partition (aws, aws-cn, aws-us-gov, …) is missing or malformed " + form
	case !arnWord(service):
		return "the service (mobiletargeting, sms-voice) is missing or malformed " + form
	case region != "" && !arnWord(region):
		return "the region is malformed " + form
	case !engine.IsAccountID(account):
		return "the account must be 12 digits " + form
	case resource == "":
		return "the resource part is empty " + form
	}
	return ""
}

// resourceAccountProblem says what is wrong with a request's
// resource_account, or "" when it is empty, or 12 digits that the resource
// ARN does not contradict. The owner of a resource is the account in its
// ARN; resource_account names the owner of a request for "*" (or says the
// ARN's account again), as the simulator's ResourceOwner names the owner
// of "any simulated resource that does not identify its owner in the
// resource ARN". Another account would make a cross-account request
// same-account, where an identity policy alone allows it.
//
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
func resourceAccountProblem(resource, account string) string {
	switch {
	case account == "":
		return ""
	case !engine.IsAccountID(account):
		return "malformed account " + rpcerr.Quote(account) + ": want 12 digits"
	case resource == "*" || resourceProblem(resource) != "":
		return ""
	}
	if owner := strings.SplitN(resource, ":", 6)[4]; owner != account {
		return fmt.Sprintf("account %q is not the account %q of resource: the resource's ARN says who owns it, "+
			"and resource_account only names the owner of \"*\"", account, owner)
	}
	return ""
}

// arnWord reports whether s is a partition, service or region name: lower
// case letters, digits and hyphens.
func arnWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// The decision: pkg/engine evaluates the prepared inputs.

// decide evaluates prepared inputs, with an explanation when asked.
func decide(in *decisionInput, explain bool) (pdpv1.Decision, *pdpv1.Explanation) {
	if !explain {
		return toDecision(engine.Evaluate(&in.policies, &in.request)), nil
	}
	d, ex := engine.EvaluateExplain(&in.policies, &in.request)
	out := toExplanation(ex)
	explainNotes(in, out)
	return toDecision(d), out
}

// The response says whether the model knows the principal and the resource
// (an implicit deny says nothing of why nothing allowed the request; see
// notes.go), and what the model does not know is logged.

// modelStatus turns whether the model knows an entity into its enum.
func modelStatus(known bool) pdpv1.ModelStatus {
	if known {
		return pdpv1.ModelStatus_MODEL_STATUS_KNOWN
	}
	return pdpv1.ModelStatus_MODEL_STATUS_UNKNOWN
}

// logUnknown logs at Debug that a decided request named a principal or
// resource the model does not hold.
func (s *Server) logUnknown(ctx context.Context, it *item, in *decisionInput) {
	if in.principalKnown && in.resourceKnown || !s.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	if !in.principalKnown {
		s.log.DebugContext(ctx, "principal not in the model", "principal", it.principal, "action", it.action)
	}
	if !in.resourceKnown {
		s.log.DebugContext(ctx, "resource not in the model", "resource", it.resource, "action", it.action)
	}
}

// logUnknownItems is logUnknown for the decided items of a batch.
func (s *Server) logUnknownItems(ctx context.Context, req *pdpv1.BatchCheckRequest, results []*pdpv1.BatchCheckResult) {
	if !s.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	for i, r := range results {
		bi := req.GetItems()[i]
		principal := bi.GetPrincipal()
		if principal == "" {
			principal = req.GetPrincipal()
		}
		if r.GetPrincipalStatus() == pdpv1.ModelStatus_MODEL_STATUS_UNKNOWN {
			s.log.DebugContext(ctx, "principal not in the model", "principal", principal, "action", bi.GetAction(), "item", i)
		}
		if r.GetResourceStatus() == pdpv1.ModelStatus_MODEL_STATUS_UNKNOWN {
			s.log.DebugContext(ctx, "resource not in the model", "resource", bi.GetResource(), "action", bi.GetAction(), "item", i)
		}
	}
}
