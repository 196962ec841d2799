package echo

import (
	"context"
	"errors"
	"io"

	"google.golang.org/grpc"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// Revision is the policy revision every response reports: a store that pdp
// serve seeded from a directory is at revision 1, so pdp's responses carry
// the same small number.
const Revision = 1

// Server answers AuthorizationService calls without deciding: every
// decision is DECISION_ALLOW. Every Decision value encodes in one byte, so
// a response is as large as pdp's for the same request whatever pdp
// decides.
type Server struct {
	pdpv1.UnimplementedAuthorizationServiceServer
}

// Check answers one decision, with the fields pdp fills for a request
// without explain: the decision, the revision and whether the model knows
// the principal and the resource.
func (Server) Check(context.Context, *pdpv1.CheckRequest) (*pdpv1.CheckResponse, error) {
	return &pdpv1.CheckResponse{Decision: pdpv1.Decision_DECISION_ALLOW, Revision: Revision,
		PrincipalStatus: pdpv1.ModelStatus_MODEL_STATUS_KNOWN, ResourceStatus: pdpv1.ModelStatus_MODEL_STATUS_KNOWN}, nil
}

// BatchCheck answers one result per item, each allocated on its own as pdp
// allocates them, so that the garbage collector has the same work.
func (Server) BatchCheck(_ context.Context, req *pdpv1.BatchCheckRequest) (*pdpv1.BatchCheckResponse, error) {
	results := make([]*pdpv1.BatchCheckResult, len(req.GetItems()))
	for i := range results {
		results[i] = &pdpv1.BatchCheckResult{Decision: pdpv1.Decision_DECISION_ALLOW,
			PrincipalStatus: pdpv1.ModelStatus_MODEL_STATUS_KNOWN, ResourceStatus: pdpv1.ModelStatus_MODEL_STATUS_KNOWN}
	}
	return &pdpv1.BatchCheckResponse{Results: results, Revision: Revision}, nil
}

// CheckStream answers each request at once, in order, with what Check
// answers, echoing the request's id; it ends when the client closes its
// side.
func (s Server) CheckStream(stream grpc.BidiStreamingServer[pdpv1.CheckStreamRequest, pdpv1.CheckStreamResponse]) error {
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		res, _ := s.Check(stream.Context(), req.GetCheck())
		if err := stream.Send(&pdpv1.CheckStreamResponse{Id: req.GetId(), Result: res}); err != nil {
			return err
		}
	}
}

// Simulate answers one decision, as Check does.
func (Server) Simulate(context.Context, *pdpv1.SimulateRequest) (*pdpv1.SimulateResponse, error) {
	return &pdpv1.SimulateResponse{Decision: pdpv1.Decision_DECISION_ALLOW}, nil
}
