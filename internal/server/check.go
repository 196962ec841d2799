package server

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/engine"
)

// The RPC surface of Check and BatchCheck: what a request carries in and
// out, a batch's modes and fan-out. Both run the pipeline in decide.go.

// Check decides one request against the current snapshot.
func (s *Server) Check(ctx context.Context, req *pdpv1.CheckRequest) (*pdpv1.CheckResponse, error) {
	res, err := s.check(ctx, "Check", req)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return res, nil
}

// BatchCheck decides every item on one snapshot, at one time. Large batches
// that run to the end are spread over the cores; batches that may stop
// early run in order, so that they stop where the mode says.
func (s *Server) BatchCheck(ctx context.Context, req *pdpv1.BatchCheckRequest) (*pdpv1.BatchCheckResponse, error) {
	snap, err := s.snapshotFor(ctx, req.GetMinRevision())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	n := len(req.GetItems())
	if n > s.cfg.MaxBatchItems {
		return nil, s.toStatus(ctx, rpcerr.BadField("items", "%d items exceed the maximum batch size of %d", n, s.cfg.MaxBatchItems))
	}
	mode := req.GetMode()
	if _, ok := pdpv1.BatchMode_name[int32(mode)]; !ok {
		return nil, s.toStatus(ctx, rpcerr.BadField("mode", "unknown batch mode %d", mode))
	}
	now := s.cfg.Clock()
	b := &batch{req: req, snap: snap, tk: s.clockKeys(now), explain: req.GetExplain()}
	// The shared context is checked once, for every item without its own.
	s.checkCallerKeys(&b.shared, req.GetContext())
	// One block holds every result: a batch allocates its results once.
	block := make([]pdpv1.BatchCheckResult, n)
	results := make([]*pdpv1.BatchCheckResult, n)
	if s.cfg.Hooks.OnDecision != nil {
		b.items = make([]item, n) // kept for OnDecision
	}
	one := func(sc *scratch, i int) {
		s.batchResult(sc, b, i, &block[i])
		results[i] = &block[i]
	}
	if mode == pdpv1.BatchMode_BATCH_MODE_UNSPECIFIED || mode == pdpv1.BatchMode_BATCH_MODE_EXECUTE_ALL {
		if err := s.fanOut(ctx, snap, n, one); err != nil {
			return nil, s.toStatus(ctx, err)
		}
		s.batchDecided(ctx, b.items, results, snap.Revision(), now)
		s.logUnknownItems(ctx, req, results)
		return &pdpv1.BatchCheckResponse{Results: results, Revision: snap.Revision()}, nil
	}
	sc := s.getScratch(snap)
	defer s.putScratch(sc)
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, s.toStatus(ctx, err)
		}
		one(sc, i)
		if stops(mode, results[i]) {
			results = results[:i+1]
			break
		}
	}
	s.batchDecided(ctx, b.items, results, snap.Revision(), now)
	s.logUnknownItems(ctx, req, results)
	return &pdpv1.BatchCheckResponse{Results: results, Revision: snap.Revision()}, nil
}

// batch is what the items of one BatchCheck share.
type batch struct {
	req     *pdpv1.BatchCheckRequest
	snap    *snapshot.Snapshot
	tk      *timeKeys
	explain bool
	shared  callerKeys // req's context, checked
	items   []item     // the items as decided, kept for OnDecision; nil without it
}

// batchDecided reports the decided items of a batch to OnDecision; items
// is nil without the hook.
func (s *Server) batchDecided(ctx context.Context, items []item, results []*pdpv1.BatchCheckResult, rev int64, now time.Time) {
	if items == nil {
		return
	}
	ci := callInfoOf(ctx)
	for i, res := range results {
		r := decisionRecord(ci, "BatchCheck", &items[i], res.GetDecision(), res.GetExplanation(), res.GetError(), rev, now)
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

// itemError describes why one batch item could not be decided.
func itemError(err error) *pdpv1.ItemError {
	var (
		re    *rpcerr.RequestError
		perrs engine.Errors
	)
	switch {
	case errors.As(err, &re):
		re = &rpcerr.RequestError{Violations: rpcerr.Clipped(re.Violations)}
		out := &pdpv1.ItemError{Code: int32(codes.InvalidArgument), Message: re.Error()}
		if len(re.Violations) > 0 {
			out.Field = re.Violations[0].Field
		}
		return out
	case errors.As(err, &perrs):
		pe := rpcerr.PolicyErrors(perrs)
		out := &pdpv1.ItemError{Code: int32(codes.InvalidArgument), Message: pe.Error()}
		if len(pe.Violations) > 0 {
			out.Field = pe.Violations[0].Field
		}
		return out
	}
	return &pdpv1.ItemError{Code: int32(codes.Internal), Message: "internal error"}
}

// fanOutGrain is the number of items a goroutine of fanOut takes at a
// time: enough that taking them costs nothing beside deciding them, few
// enough that goroutines finish together on busy cores.
const fanOutGrain = 16

// fanOut runs f(sc, i) for i in 0..n-1, spreading large n over the cores;
// each goroutine has its own scratch for deciding on snap. The calling
// goroutine takes part. Items are checked against the context between
// them.
func (s *Server) fanOut(ctx context.Context, snap *snapshot.Snapshot, n int, f func(sc *scratch, i int)) error {
	workers := min(runtime.GOMAXPROCS(0), (n+s.cfg.ParallelBatchThreshold-1)/s.cfg.ParallelBatchThreshold)
	var next atomic.Int64
	run := func() {
		sc := s.getScratch(snap)
		defer s.putScratch(sc)
		for {
			lo := int(next.Add(fanOutGrain)) - fanOutGrain
			if lo >= n {
				return
			}
			for i := lo; i < min(n, lo+fanOutGrain); i++ {
				if ctx.Err() != nil {
					return
				}
				f(sc, i)
			}
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(run)
	}
	run()
	wg.Wait()
	return ctx.Err()
}
