package server

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"google.golang.org/grpc/codes"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/conformance"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// Check decides one request against the current snapshot.
func (s *Server) Check(ctx context.Context, req *pdpv1.CheckRequest) (*pdpv1.CheckResponse, error) {
	snap, err := s.snapshotFor(ctx, req.GetMinRevision())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	it, now := checkItem(req), s.cfg.Clock()
	in, err := s.prepare(snap, it, now)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	d, ex := decide(in, req.GetExplain())
	if h := s.cfg.Hooks.OnDecision; h != nil {
		h(ctx, decisionRecord(callInfoOf(ctx), "Check", it, d, ex, nil, snap.revision, now))
	}
	return &pdpv1.CheckResponse{Decision: d, Revision: snap.revision, Explanation: ex}, nil
}

// BatchCheck decides every item on one snapshot. Large batches that run to
// the end are spread over the cores; batches that may stop early run in
// order, so that they stop where the mode says.
func (s *Server) BatchCheck(ctx context.Context, req *pdpv1.BatchCheckRequest) (*pdpv1.BatchCheckResponse, error) {
	snap, err := s.snapshotFor(ctx, req.GetMinRevision())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	n := len(req.GetItems())
	if n > s.cfg.MaxBatchItems {
		return nil, s.toStatus(ctx, badField("items", "%d items exceed the maximum batch size of %d", n, s.cfg.MaxBatchItems))
	}
	mode := req.GetMode()
	if _, ok := pdpv1.BatchMode_name[int32(mode)]; !ok {
		return nil, s.toStatus(ctx, badField("mode", "unknown batch mode %d", mode))
	}
	now := s.cfg.Clock()
	results := make([]*pdpv1.BatchCheckResult, n)
	var items []*item // kept for OnDecision
	if s.cfg.Hooks.OnDecision != nil {
		items = make([]*item, n)
	}
	one := func(i int) *pdpv1.BatchCheckResult {
		it := batchItem(req, req.GetItems()[i])
		if items != nil {
			items[i] = it
		}
		return s.batchResult(snap, it, req.GetExplain(), now)
	}
	if mode == pdpv1.BatchMode_BATCH_MODE_UNSPECIFIED || mode == pdpv1.BatchMode_BATCH_MODE_EXECUTE_ALL {
		if err := s.fanOut(ctx, n, func(i int) { results[i] = one(i) }); err != nil {
			return nil, s.toStatus(ctx, err)
		}
		s.batchDecided(ctx, items, results, snap.revision, now)
		return &pdpv1.BatchCheckResponse{Results: results, Revision: snap.revision}, nil
	}
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, s.toStatus(ctx, err)
		}
		r := one(i)
		results[i] = r
		if stops(mode, r) {
			results = results[:i+1]
			break
		}
	}
	s.batchDecided(ctx, items, results, snap.revision, now)
	return &pdpv1.BatchCheckResponse{Results: results, Revision: snap.revision}, nil
}

// batchDecided reports the decided items of a batch to OnDecision; items
// is nil without the hook.
func (s *Server) batchDecided(ctx context.Context, items []*item, results []*pdpv1.BatchCheckResult, rev int64, now time.Time) {
	if items == nil {
		return
	}
	ci := callInfoOf(ctx)
	for i, res := range results {
		r := decisionRecord(ci, "BatchCheck", items[i], res.GetDecision(), res.GetExplanation(), res.GetError(), rev, now)
		r.InBatch, r.Index = true, i
		s.cfg.Hooks.OnDecision(ctx, r)
	}
}

// stops reports whether a result ends a batch in a stopping mode (AuthZEN
// evaluations semantics): the first result that is not an Allow for
// DENY_ON_FIRST_DENY, the first Allow for PERMIT_ON_FIRST_PERMIT.
func stops(mode pdpv1.BatchMode, r *pdpv1.BatchCheckResult) bool {
	allowed := r.GetError() == nil && r.GetDecision() == pdpv1.Decision_DECISION_ALLOW
	switch mode {
	case pdpv1.BatchMode_BATCH_MODE_DENY_ON_FIRST_DENY:
		return !allowed
	case pdpv1.BatchMode_BATCH_MODE_PERMIT_ON_FIRST_PERMIT:
		return allowed
	}
	return false
}

// batchResult decides one item; a problem with the item becomes its own
// error, never the batch's.
func (s *Server) batchResult(snap *Snapshot, it *item, explain bool, now time.Time) *pdpv1.BatchCheckResult {
	in, err := s.prepare(snap, it, now)
	if err != nil {
		return &pdpv1.BatchCheckResult{Error: itemError(err)}
	}
	d, ex := decide(in, explain)
	return &pdpv1.BatchCheckResult{Decision: d, Explanation: ex}
}

// itemError describes why one batch item could not be decided.
func itemError(err error) *pdpv1.ItemError {
	var (
		re    *requestError
		perrs engine.Errors
	)
	switch {
	case errors.As(err, &re):
		out := &pdpv1.ItemError{Code: int32(codes.InvalidArgument), Message: re.Error()}
		if len(re.violations) > 0 {
			out.Field = re.violations[0].Field
		}
		return out
	case errors.As(err, &perrs):
		pe := policyErrors(perrs)
		out := &pdpv1.ItemError{Code: int32(codes.InvalidArgument), Message: pe.Error()}
		if len(pe.violations) > 0 {
			out.Field = pe.violations[0].Field
		}
		return out
	}
	return &pdpv1.ItemError{Code: int32(codes.Internal), Message: "internal error"}
}

// fanOut runs f(0..n-1), spreading large n over the cores. Workers check
// the context between items.
func (s *Server) fanOut(ctx context.Context, n int, f func(int)) error {
	workers := min(runtime.GOMAXPROCS(0), (n+s.cfg.ParallelBatchThreshold-1)/s.cfg.ParallelBatchThreshold)
	if workers <= 1 {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			f(i)
		}
		return nil
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min(n, (w+1)*chunk)
		wg.Go(func() {
			for i := lo; i < hi && ctx.Err() == nil; i++ {
				f(i)
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// Simulate decides a self-contained request: every policy comes with it
// and the context is taken as complete, exactly as a conformance case.
func (s *Server) Simulate(ctx context.Context, req *pdpv1.SimulateRequest) (*pdpv1.SimulateResponse, error) {
	if re := s.cfg.Limits.checkSimulate(req); re != nil {
		return nil, s.toStatus(ctx, re)
	}
	docs := &conformance.Documents{}
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
	var re requestError
	re.reason = "INVALID_REQUEST"
	if req.GetPrincipal() == "" {
		re.violations = append(re.violations, fieldViolation{"principal", "missing principal"})
	}
	if req.GetAction() == "" {
		re.violations = append(re.violations, fieldViolation{"action", "missing action"})
	}
	if req.GetResource() == "" {
		re.violations = append(re.violations, fieldViolation{"resource", `missing resource (an ARN, or "*")`})
	}
	ectx := engine.NewContext(len(req.GetContext()))
	for k, v := range req.GetContext() {
		values, multi, ok := contextValues(v)
		switch {
		case !ok:
			re.violations = append(re.violations, fieldViolation{"context[" + k + "]", "no value: set string_value or list_value"})
		case multi:
			ectx.SetMulti(k, values)
		default:
			ectx.Set(k, values[0])
		}
	}
	if len(re.violations) > 0 {
		return nil, s.toStatus(ctx, &re)
	}
	p, err := docs.Compile(s.cat)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	in := &decisionInput{policies: *p, request: engine.Request{
		Principal: req.GetPrincipal(), Action: req.GetAction(), Resource: req.GetResource(),
		ResourceAccount: req.GetResourceAccount(), Context: ectx,
	}}
	d, ex := decide(in, req.GetExplain())
	return &pdpv1.SimulateResponse{Decision: d, Explanation: ex}, nil
}
