package server_test

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
)

// outcomes writes each result of a batch compactly: ALLOW, EXPLICIT_DENY,
// IMPLICIT_DENY, or "error CODE FIELD".
func outcomes(resp *pdpv1.BatchCheckResponse) []string {
	out := make([]string, len(resp.GetResults()))
	for i, r := range resp.GetResults() {
		if e := r.GetError(); e != nil {
			out[i] = fmt.Sprintf("error %d %s", e.GetCode(), e.GetField())
			continue
		}
		out[i] = strings.TrimPrefix(r.GetDecision().String(), "DECISION_")
	}
	return out
}

// getCampaign is an item reading a campaign; kv is its own context.
func getCampaign(principal, resource string, kv ...any) *pdpv1.BatchCheckItem {
	it := &pdpv1.BatchCheckItem{Principal: principal, Action: "mobiletargeting:GetCampaign", Resource: resource}
	if len(kv) > 0 {
		it.Context = ctxMap(kv...)
	}
	return it
}

// TestBatchCheckItems checks that results come back in request order, that
// the batch's defaults apply to items that give none and yield to those
// that do, and that a bad item carries its own error.
func TestBatchCheckItems(t *testing.T) {
	t.Parallel()
	ts := newExampleServer(t)
	tests := []struct {
		name string
		req  *pdpv1.BatchCheckRequest
		want []string
	}{
		{name: "default principal and context, overridden per item",
			req: &pdpv1.BatchCheckRequest{Principal: alice, Context: usEast(), Items: []*pdpv1.BatchCheckItem{
				getCampaign("", springSale),
				getCampaign(bob, springSale),
				getCampaign("", springSale, "aws:SecureTransport", "false"),
				getCampaign("", springSale, "aws:RequestedRegion", "ap-south-1"),
				getCampaign("", winBack),
				getCampaign(bob, winBack),
				getCampaign(partner, springSale),
			}},
			want: []string{"ALLOW", "IMPLICIT_DENY", "IMPLICIT_DENY", "EXPLICIT_DENY", "IMPLICIT_DENY", "ALLOW", "ALLOW"}},
		{name: "bad items carry their own errors",
			req: &pdpv1.BatchCheckRequest{Principal: alice, Context: usEast(), Items: []*pdpv1.BatchCheckItem{
				getCampaign("", springSale),
				getCampaign("", "apps/growth-app"),
				getCampaign("arn:aws:iam::1111:user/alice", springSale),
				{Action: "mobiletargeting:GetCampaignz", Resource: springSale},
				getCampaign("", springSale, "aws:SourceIp", "not-an-ip"),
				getCampaign("", springSale, "aws:PrincipalTag/team", "growth"),
				{Principal: analyst, Action: "mobiletargeting:GetCampaign", Resource: springSale, SessionPolicies: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`}},
				getCampaign("", springSale),
			}},
			want: []string{"ALLOW", "error 3 resource", "error 3 principal", "error 3 action", "error 3 context[aws:SourceIp]",
				"error 3 context[aws:PrincipalTag/team]", "error 3 session_policies[0].Statement[0].Effect", "ALLOW"}},
		{name: "default session policy, overridden per item",
			req: &pdpv1.BatchCheckRequest{Principal: analyst, Context: usEast(), SessionPolicies: []string{campaignsOnly}, Items: []*pdpv1.BatchCheckItem{
				{Action: "mobiletargeting:GetSegment", Resource: activeUsers},
				{Action: "mobiletargeting:GetCampaign", Resource: springSale},
				{Action: "mobiletargeting:GetSegment", Resource: activeUsers, SessionPolicies: []string{allButSegments}},
				{Action: "mobiletargeting:GetCampaign", Resource: springSale, SessionPolicies: []string{allButSegments}},
			}},
			want: []string{"IMPLICIT_DENY", "ALLOW", "IMPLICIT_DENY", "ALLOW"}},
		{name: "default session tags, overridden per item",
			req: &pdpv1.BatchCheckRequest{Principal: analyst, Context: usEast(), SessionPolicies: []string{denyGrowthTeam},
				SessionTags: map[string]string{"team": "growth"}, Items: []*pdpv1.BatchCheckItem{
					{Action: "mobiletargeting:GetSegment", Resource: activeUsers},
					{Action: "mobiletargeting:GetSegment", Resource: activeUsers, SessionTags: map[string]string{"team": "ops"}},
				}},
			want: []string{"EXPLICIT_DENY", "ALLOW"}},
		{name: "empty batch",
			req:  &pdpv1.BatchCheckRequest{Principal: alice},
			want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := ts.client.BatchCheck(t.Context(), tc.req)
			if err != nil {
				t.Fatalf("BatchCheck: %v", decodeError(err))
			}
			if got := outcomes(resp); !slices.Equal(got, tc.want) {
				t.Errorf("results\n got %q\nwant %q", got, tc.want)
			}
			if resp.GetRevision() != 1 {
				t.Errorf("revision %d, want 1", resp.GetRevision())
			}
		})
	}
}

// TestBatchCheckModes checks where each mode ends a batch.
func TestBatchCheckModes(t *testing.T) {
	t.Parallel()
	ts := newExampleServer(t)
	var (
		ok      = getCampaign(alice, springSale)
		denied  = getCampaign(bob, springSale)
		refused = getCampaign(alice, springSale, "aws:RequestedRegion", "ap-south-1")
		broken  = getCampaign(alice, "not-an-arn")
		mixed   = []*pdpv1.BatchCheckItem{ok, ok, denied, ok, refused}
	)
	tests := []struct {
		name  string
		mode  pdpv1.BatchMode
		items []*pdpv1.BatchCheckItem
		want  []string
	}{
		{"unspecified decides all", pdpv1.BatchMode_BATCH_MODE_UNSPECIFIED, mixed,
			[]string{"ALLOW", "ALLOW", "IMPLICIT_DENY", "ALLOW", "EXPLICIT_DENY"}},
		{"execute all decides all", pdpv1.BatchMode_BATCH_MODE_EXECUTE_ALL, mixed,
			[]string{"ALLOW", "ALLOW", "IMPLICIT_DENY", "ALLOW", "EXPLICIT_DENY"}},
		{"deny on first deny stops at the implicit deny", pdpv1.BatchMode_BATCH_MODE_DENY_ON_FIRST_DENY, mixed,
			[]string{"ALLOW", "ALLOW", "IMPLICIT_DENY"}},
		{"deny on first deny stops at an explicit deny", pdpv1.BatchMode_BATCH_MODE_DENY_ON_FIRST_DENY, []*pdpv1.BatchCheckItem{ok, refused, denied},
			[]string{"ALLOW", "EXPLICIT_DENY"}},
		{"deny on first deny stops at an error", pdpv1.BatchMode_BATCH_MODE_DENY_ON_FIRST_DENY, []*pdpv1.BatchCheckItem{ok, broken, denied},
			[]string{"ALLOW", "error 3 resource"}},
		{"deny on first deny, all allowed", pdpv1.BatchMode_BATCH_MODE_DENY_ON_FIRST_DENY, []*pdpv1.BatchCheckItem{ok, ok, ok},
			[]string{"ALLOW", "ALLOW", "ALLOW"}},
		{"permit on first permit stops at the first allow", pdpv1.BatchMode_BATCH_MODE_PERMIT_ON_FIRST_PERMIT, []*pdpv1.BatchCheckItem{denied, broken, refused, ok, denied, ok},
			[]string{"IMPLICIT_DENY", "error 3 resource", "EXPLICIT_DENY", "ALLOW"}},
		{"permit on first permit, first item", pdpv1.BatchMode_BATCH_MODE_PERMIT_ON_FIRST_PERMIT, mixed,
			[]string{"ALLOW"}},
		{"permit on first permit, none allowed", pdpv1.BatchMode_BATCH_MODE_PERMIT_ON_FIRST_PERMIT, []*pdpv1.BatchCheckItem{denied, refused},
			[]string{"IMPLICIT_DENY", "EXPLICIT_DENY"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := ts.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Context: usEast(), Items: tc.items, Mode: tc.mode})
			if err != nil {
				t.Fatalf("BatchCheck: %v", decodeError(err))
			}
			if got := outcomes(resp); !slices.Equal(got, tc.want) {
				t.Errorf("results\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestBatchCheckRejected checks the errors that fail a whole batch.
func TestBatchCheckRejected(t *testing.T) {
	t.Parallel()
	ts := newServer(t, server.Config{MaxBatchItems: 10})
	items := func(n int) []*pdpv1.BatchCheckItem {
		return slices.Repeat([]*pdpv1.BatchCheckItem{getCampaign(alice, springSale)}, n)
	}
	// Before any snapshot: UNAVAILABLE.
	if _, err := ts.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Items: items(1)}); decodeError(err).Code != codes.Unavailable {
		t.Errorf("before Activate: error %v, want %v", decodeError(err), codes.Unavailable)
	}
	ts.srv.Activate(exampleSnapshot(t, ts.cat, 1))
	tests := []struct {
		name      string
		req       *pdpv1.BatchCheckRequest
		wantCode  codes.Code
		wantField string
	}{
		{"at the limit", &pdpv1.BatchCheckRequest{Context: usEast(), Items: items(10)}, codes.OK, ""},
		{"over the limit", &pdpv1.BatchCheckRequest{Context: usEast(), Items: items(11)}, codes.InvalidArgument, "items"},
		{"unknown mode", &pdpv1.BatchCheckRequest{Context: usEast(), Items: items(1), Mode: 42}, codes.InvalidArgument, "mode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ts.client.BatchCheck(t.Context(), tc.req)
			got := decodeError(err)
			if got.Code != tc.wantCode || (tc.wantField != "" && !slices.Equal(got.Fields, []string{tc.wantField})) {
				t.Errorf("error %v, want %v with field %q", got, tc.wantCode, tc.wantField)
			}
		})
	}
	t.Run("over the default limit", func(t *testing.T) {
		t.Parallel()
		ts := newExampleServer(t)
		_, err := ts.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Items: items(server.DefaultMaxBatchItems + 1)})
		if got := decodeError(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"items"}) {
			t.Errorf("error %v, want %v with field %q", got, codes.InvalidArgument, "items")
		}
	})
}

// largeBatch builds n items whose decisions depend on their index in no
// regular way, with a malformed resource naming its index every 97 items,
// and the results they must have, in order.
func largeBatch(n int) (items []*pdpv1.BatchCheckItem, want []string) {
	for i := range n {
		switch h := (i * 2654435761) >> 7 % 5; {
		case i%97 == 0:
			items = append(items, getCampaign(alice, fmt.Sprintf("bad-%d", i)))
			want = append(want, "error 3 resource")
		case h < 2:
			items = append(items, getCampaign(alice, springSale))
			want = append(want, "ALLOW")
		case h < 4:
			items = append(items, getCampaign(bob, springSale))
			want = append(want, "IMPLICIT_DENY")
		default:
			items = append(items, getCampaign(alice, springSale, "aws:RequestedRegion", "sa-east-1"))
			want = append(want, "EXPLICIT_DENY")
		}
	}
	return items, want
}

// TestBatchCheckLarge decides batches large enough to be spread over the
// cores and requires every result in its place.
func TestBatchCheckLarge(t *testing.T) {
	t.Parallel()
	if runtime.GOMAXPROCS(0) < 2 {
		t.Log("GOMAXPROCS < 2: large batches run on one core")
	}
	ts := newExampleServer(t)
	items, want := largeBatch(1000)
	for _, mode := range []pdpv1.BatchMode{pdpv1.BatchMode_BATCH_MODE_UNSPECIFIED, pdpv1.BatchMode_BATCH_MODE_EXECUTE_ALL} {
		resp, err := ts.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Context: usEast(), Items: items, Mode: mode})
		if err != nil {
			t.Fatalf("%v: BatchCheck: %v", mode, decodeError(err))
		}
		got := outcomes(resp)
		if len(got) != len(want) {
			t.Fatalf("%v: %d results, want %d", mode, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%v: result %d: got %q, want %q", mode, i, got[i], want[i])
			}
			if e := resp.GetResults()[i].GetError(); e != nil && !strings.Contains(e.GetMessage(), fmt.Sprintf(`"bad-%d"`, i)) {
				t.Errorf("%v: result %d: error %q does not name its own resource", mode, i, e.GetMessage())
			}
		}
	}
}

// TestBatchCheckOneSnapshot swaps between two snapshots, one allowing what
// the other denies, while big batches run: each batch must report one of
// the two revisions and have every item decided on that snapshot.
func TestBatchCheckOneSnapshot(t *testing.T) {
	t.Parallel()
	ts := newServer(t, server.Config{})
	open, locked := exampleSnapshot(t, ts.cat, 1), modelSnapshot(t, ts.cat, lockdownModel, 2)
	wantByRevision := map[int64]pdpv1.Decision{1: allow, 2: explicitDeny}
	ts.srv.Activate(open)

	stop := make(chan struct{})
	var swapper sync.WaitGroup
	swapper.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				ts.srv.Activate(locked)
			} else {
				ts.srv.Activate(open)
			}
			time.Sleep(50 * time.Microsecond) // several swaps during each batch
		}
	})
	defer swapper.Wait()
	defer close(stop)

	items := slices.Repeat([]*pdpv1.BatchCheckItem{getCampaign(alice, springSale)}, 1000)
	var seen [3]atomic.Int64
	var callers sync.WaitGroup
	for range 4 {
		callers.Go(func() {
			for range 15 {
				resp, err := ts.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Context: usEast(), Items: items})
				if err != nil {
					t.Errorf("BatchCheck: %v", decodeError(err))
					return
				}
				rev := resp.GetRevision()
				want, ok := wantByRevision[rev]
				if !ok {
					t.Errorf("revision %d, want 1 or 2", rev)
					return
				}
				seen[rev].Add(1)
				for i, r := range resp.GetResults() {
					if r.GetDecision() != want || r.GetError() != nil {
						t.Errorf("revision %d: item %d: %v (error %v), want %v for every item", rev, i, r.GetDecision(), r.GetError(), want)
						return
					}
				}
				check, err := ts.client.Check(t.Context(), &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: usEast()})
				if err != nil {
					t.Errorf("Check: %v", decodeError(err))
					return
				}
				if w := wantByRevision[check.GetRevision()]; check.GetDecision() != w {
					t.Errorf("Check at revision %d: %v, want %v", check.GetRevision(), check.GetDecision(), w)
				}
			}
		})
	}
	callers.Wait()
	t.Logf("batches decided at revision 1: %d, at revision 2: %d", seen[1].Load(), seen[2].Load())
	if seen[1].Load() == 0 || seen[2].Load() == 0 {
		t.Errorf("batches saw revision 1 %d times and revision 2 %d times, want both", seen[1].Load(), seen[2].Load())
	}
}
