package server

import (
	"context"
	"slices"
	"time"

	"google.golang.org/grpc/peer"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/auth"
	"github.com/pdp-dev/pdp/internal/decisionlog"
	"github.com/pdp-dev/pdp/internal/rpcerr"
)

// Hooks let the process observe the server: decisions for the decision log
// and metrics, snapshot activations and store errors for metrics. Each is
// optional and must not block: they run on the request's or the follower's
// goroutine.
type Hooks struct {
	// OnDecision is called after every decision of Check and Simulate
	// (whose records have revision 0: it reads no snapshot), and for every
	// item of a BatchCheck that completed (items that could not be decided
	// carry Error), concurrently for the items of a large batch. The
	// record's Context reads the request's own map: a hook that keeps it
	// after it returns keeps a copy (decisionlog.Logger.Log does).
	OnDecision func(ctx context.Context, r decisionlog.Record)
	// OnActivate is called after the follower activates a snapshot, with
	// its build time and the store's commit time of its revision (zero
	// after a full read).
	OnActivate func(rev int64, built time.Duration, committed time.Time)
	// OnStoreError is called when a store operation fails: op is
	// "snapshot" (the full read) or "watch".
	OnStoreError func(op string)
}

// callInfo is what the decision log says of a call, found once per call.
type callInfo struct{ requestID, caller string }

// callInfoOf returns the request ID and caller of a call: the
// authenticated principal when there is one, else the peer's address.
func callInfoOf(ctx context.Context) callInfo {
	ci := callInfo{requestID: RequestID(ctx)}
	if p, ok := auth.Caller(ctx); ok {
		ci.caller = p
	} else if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		ci.caller = p.Addr.String()
	}
	return ci
}

// decisionRecord describes one decision (or, with err, one batch item that
// could not be decided) for OnDecision.
func decisionRecord(ci callInfo, method string, it *item, d pdpv1.Decision, ex *pdpv1.Explanation, ie *pdpv1.ItemError, rev int64, now time.Time) decisionlog.Record {
	r := decisionlog.Record{
		Time: now, RequestID: ci.requestID, Caller: ci.caller, Method: method,
		Principal: rpcerr.Clip(it.principal), Action: rpcerr.Clip(it.action), Resource: rpcerr.Clip(it.resource), Revision: rev,
	}
	if ie != nil {
		r.Error = rpcerr.ClipMessage(ie.GetMessage())
	} else {
		r.Decision, _ = DecisionName(d)
	}
	if len(it.context) > 0 {
		r.Context = logContext(it.context)
	}
	if ex != nil {
		r.Matched = make([]decisionlog.Statement, 0, len(ex.GetMatched()))
		for _, m := range ex.GetMatched() {
			r.Matched = append(r.Matched, decisionlog.Statement{
				Type: PolicyTypeName(m.GetType()), Level: int(m.GetLevel()), Policy: m.GetPolicy(),
				Sid: m.GetSid(), Index: int(m.GetIndex()), Effect: EffectName(m.GetEffect()),
			})
		}
	}
	return r
}

// logContext hands a request's context to the decision log without
// copying it on the decision path: decisionlog.Logger.Log reads it once and
// queues a copy of what Each gives, so that a queued record holds the
// clipped values and not the request. Keys and values over rpcerr.MaxEcho
// bytes reach the log clipped.
type logContext map[string]*pdpv1.ContextValue

func (c logContext) Each(f func(key string, values []string, multi bool)) {
	for k, v := range c {
		values, multi, ok := contextValues(v)
		if !ok {
			continue
		}
		for i, s := range values {
			if len(s) > rpcerr.MaxEcho {
				values = slices.Clone(values)
				for j := i; j < len(values); j++ {
					values[j] = rpcerr.Clip(values[j])
				}
				break
			}
		}
		f(rpcerr.Clip(k), values, multi)
	}
}
