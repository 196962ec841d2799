package server_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
)

// fuzzRevision is the revision of the snapshot fuzz targets decide on.
const fuzzRevision = 1

// allowedCodes are the only codes a decision call may fail with, whatever
// its input: the input is bad, too big, or the server is not ready.
var allowedCodes = map[codes.Code]bool{codes.InvalidArgument: true, codes.ResourceExhausted: true, codes.Unavailable: true}

// fuzzServer is a server over examples/model, called directly: a panic
// fails the target instead of becoming INTERNAL in the interceptor.
func fuzzServer(f *testing.F) *server.Server {
	cat := loadCatalog(f)
	srv := server.New(server.Config{}, cat, nil)
	srv.Activate(exampleSnapshot(f, cat, fuzzRevision))
	return srv
}

// callContext is the context of one fuzzed call. A min_revision the server
// has not reached would wait for the deadline: give such calls one that
// has passed, so that they answer UNAVAILABLE at once.
func callContext(t *testing.T, minRevision int64) context.Context {
	if minRevision <= fuzzRevision {
		return t.Context()
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}

// checkStatus fails unless err is nil or carries an allowed code, with a
// BadRequest naming the fields when the input is invalid.
func checkStatus(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	st, ok := status.FromError(err)
	if !ok || !allowedCodes[st.Code()] {
		t.Fatalf("error %v (code %v), want one of %v", err, status.Code(err), allowedCodes)
	}
	if got := decodeError(err); got.Code == codes.InvalidArgument && len(got.Fields) == 0 {
		t.Fatalf("INVALID_ARGUMENT without field violations: %v", got)
	}
}

func validDecision(d pdpv1.Decision) bool {
	return d == allow || d == explicitDeny || d == implicitDeny
}

func seedRequests() []*pdpv1.CheckRequest {
	return []*pdpv1.CheckRequest{
		{Principal: alice, Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: usEast()},
		{Principal: bob, Action: "mobiletargeting:UpdateCampaign", Resource: winBack, Context: usEast(), Explain: true},
		{Principal: partner, Action: "mobiletargeting:GetCampaign", Resource: springSale, ResourceAccount: marketing},
		{Principal: analyst, Action: "mobiletargeting:GetSegment", Resource: activeUsers, Context: usEast(),
			SessionPolicies: []string{allButSegments}, SessionTags: map[string]string{"team": "growth"}},
		{Principal: smsSender, Action: "sms-voice:SendTextMessage", Resource: smsPool,
			Context: usEast("aws:TagKeys", list("team", "env"), "aws:MultiFactorAuthAge", "300")},
		{Principal: stranger, Action: "sms-voice:CarrierLookup", Resource: "*", Context: ctxMap("aws:PrincipalTag/team", "growth")},
		{Principal: alice, Action: "mobiletargeting:GetCampaignz", Resource: "apps/x", Context: ctxMap("aws:SourceIp", "not-an-ip")},
		{Principal: analyst, Action: "mobiletargeting:GetSegment", Resource: activeUsers, SessionPolicies: []string{notJSON}},
	}
}

// FuzzCheckRequest decodes a CheckRequest from the input and decides it:
// no panic, a valid decision at the snapshot's revision, or an allowed
// error code.
func FuzzCheckRequest(f *testing.F) {
	srv := fuzzServer(f)
	for _, req := range seedRequests() {
		b, err := proto.Marshal(req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req := &pdpv1.CheckRequest{}
		if err := proto.Unmarshal(data, req); err != nil {
			return
		}
		resp, err := srv.Check(callContext(t, req.GetMinRevision()), req)
		checkStatus(t, err)
		if err != nil {
			return
		}
		if !validDecision(resp.GetDecision()) || resp.GetRevision() != fuzzRevision {
			t.Fatalf("decision %v at revision %d, want a decision at %d", resp.GetDecision(), resp.GetRevision(), fuzzRevision)
		}
		if req.GetExplain() != (resp.GetExplanation() != nil) {
			t.Fatalf("explain %v, explanation %v", req.GetExplain(), resp.GetExplanation())
		}
	})
}

// FuzzBatchCheckRequest decodes a BatchCheckRequest from the input and
// decides it: no panic, an allowed error code, or one result per decided
// item, each a decision or an INVALID_ARGUMENT naming a field.
func FuzzBatchCheckRequest(f *testing.F) {
	srv := fuzzServer(f)
	seeds := seedRequests()
	var items []*pdpv1.BatchCheckItem
	for _, r := range seeds {
		items = append(items, &pdpv1.BatchCheckItem{Principal: r.Principal, Action: r.Action, Resource: r.Resource,
			ResourceAccount: r.ResourceAccount, Context: r.Context, SessionPolicies: r.SessionPolicies, SessionTags: r.SessionTags})
	}
	for mode := range pdpv1.BatchMode_name {
		for _, req := range []*pdpv1.BatchCheckRequest{
			{Items: items, Mode: pdpv1.BatchMode(mode)},
			{Principal: alice, Context: usEast(), Items: []*pdpv1.BatchCheckItem{
				getCampaign("", springSale), getCampaign(bob, springSale), getCampaign("", winBack, "aws:SecureTransport", "false"),
			}, Mode: pdpv1.BatchMode(mode), Explain: true},
		} {
			b, err := proto.Marshal(req)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req := &pdpv1.BatchCheckRequest{}
		if err := proto.Unmarshal(data, req); err != nil {
			return
		}
		resp, err := srv.BatchCheck(callContext(t, req.GetMinRevision()), req)
		checkStatus(t, err)
		if err != nil {
			return
		}
		n, got := len(req.GetItems()), len(resp.GetResults())
		if got > n || (got < n && req.GetMode() <= pdpv1.BatchMode_BATCH_MODE_EXECUTE_ALL) {
			t.Fatalf("%d results for %d items in mode %v", got, n, req.GetMode())
		}
		if resp.GetRevision() != fuzzRevision {
			t.Fatalf("revision %d, want %d", resp.GetRevision(), fuzzRevision)
		}
		for i, r := range resp.GetResults() {
			e := r.GetError()
			switch {
			case e != nil && (e.GetCode() != int32(codes.InvalidArgument) || e.GetField() == ""):
				t.Fatalf("result %d: error %v, want INVALID_ARGUMENT naming a field", i, e)
			case e == nil && !validDecision(r.GetDecision()):
				t.Fatalf("result %d: decision %v", i, r.GetDecision())
			}
		}
	})
}
