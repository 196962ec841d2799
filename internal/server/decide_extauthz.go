package server

import (
	"context"
	"time"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// CheckAt decides req exactly as Check does, on the current snapshot, for
// doors that decide in-process (the Envoy external authorization service):
// now is the time the request was made, for aws:CurrentTime and
// aws:EpochTime (the server's clock when zero), and method names the call
// to OnDecision, so that the decision log and metrics count it as any
// other. Errors are gRPC statuses, as Check returns them.
func (s *Server) CheckAt(ctx context.Context, method string, req *pdpv1.CheckRequest, now time.Time) (*pdpv1.CheckResponse, error) {
	snap, err := s.snapshotFor(ctx, req.GetMinRevision())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	if now.IsZero() {
		now = s.cfg.Clock()
	}
	it := checkItem(req)
	sc := s.getScratch(snap)
	defer s.putScratch(sc)
	if err := s.prepareItem(sc, snap, &it, nil, s.clockKeys(now)); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	d, ex := decide(&sc.in, req.GetExplain())
	if h := s.cfg.Hooks.OnDecision; h != nil {
		h(ctx, decisionRecord(callInfoOf(ctx), method, &it, d, ex, nil, snap.Revision(), now))
	}
	return &pdpv1.CheckResponse{Decision: d, Revision: snap.Revision(), Explanation: ex}, nil
}
