package server_test

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
			require.NoError(t, err, "BatchCheck")
			assert.Equal(t, tc.want, outcomes(resp), "results")
			assert.EqualValues(t, 1, resp.GetRevision(), "revision")
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
			require.NoError(t, err, "BatchCheck")
			assert.Equal(t, tc.want, outcomes(resp), "results")
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
	_, err := ts.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Items: items(1)})
	assert.Equal(t, codes.Unavailable, decodeError(err).Code, "before Activate: error %v", decodeError(err))
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
			assert.Equal(t, tc.wantCode, got.Code, "error %v", got)
			if tc.wantField != "" {
				assert.Equal(t, []string{tc.wantField}, got.Fields, "error %v", got)
			}
		})
	}
	t.Run("over the default limit", func(t *testing.T) {
		t.Parallel()
		ts := newExampleServer(t)
		_, err := ts.client.BatchCheck(t.Context(), &pdpv1.BatchCheckRequest{Items: items(server.DefaultMaxBatchItems + 1)})
		got := decodeError(err)
		assert.Equal(t, codes.InvalidArgument, got.Code, "error %v", got)
		assert.Equal(t, []string{"items"}, got.Fields, "error %v", got)
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
		require.NoError(t, err, "%v: BatchCheck", mode)
		got := outcomes(resp)
		require.Len(t, got, len(want), "%v: results", mode)
		assert.Equal(t, want, got, "%v: results", mode)
		for i := range got {
			if e := resp.GetResults()[i].GetError(); e != nil {
				assert.Contains(t, e.GetMessage(), fmt.Sprintf(`"bad-%d"`, i), "%v: result %d: error does not name its own resource", mode, i)
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
			// Yield after each swap: swaps keep landing during every batch,
			// and the callers are never starved of CPU by the swapper.
			runtime.Gosched()
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
				if !assert.NoError(t, err, "BatchCheck: %v", decodeError(err)) {
					return
				}
				rev := resp.GetRevision()
				want, ok := wantByRevision[rev]
				if !assert.True(t, ok, "revision %d, want 1 or 2", rev) {
					return
				}
				seen[rev].Add(1)
				for i, r := range resp.GetResults() {
					if !assert.Equal(t, want, r.GetDecision(), "revision %d: item %d", rev, i) ||
						!assert.Nil(t, r.GetError(), "revision %d: item %d", rev, i) {
						return
					}
				}
				check, err := ts.client.Check(t.Context(), &pdpv1.CheckRequest{Principal: alice, Action: "mobiletargeting:GetCampaign", Resource: springSale, Context: usEast()})
				if !assert.NoError(t, err, "Check: %v", decodeError(err)) {
					return
				}
				assert.Equal(t, wantByRevision[check.GetRevision()], check.GetDecision(), "Check at revision %d", check.GetRevision())
			}
		})
	}
	callers.Wait()
	t.Logf("batches decided at revision 1: %d, at revision 2: %d", seen[1].Load(), seen[2].Load())
	assert.NotZero(t, seen[1].Load(), "batches decided at revision 1")
	assert.NotZero(t, seen[2].Load(), "batches decided at revision 2")
}
