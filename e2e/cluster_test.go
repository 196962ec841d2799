package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/etcdtest"
)

// client is a connection to one pdp server.
type client struct {
	authz  pdpv1.AuthorizationServiceClient
	admin  pdpv1.PolicyServiceClient
	health healthpb.HealthClient
}

func dialServer(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return &client{authz: pdpv1.NewAuthorizationServiceClient(conn), admin: pdpv1.NewPolicyServiceClient(conn),
		health: healthpb.NewHealthClient(conn)}
}

const carol = "arn:aws:iam::111122223333:user/carol"

// putCarol writes user carol, in the marketing group or in none, and
// returns the new revision.
func putCarol(ctx context.Context, t *testing.T, c *client, inMarketing bool) int64 {
	t.Helper()
	groups := "[]"
	if inMarketing {
		groups = `["marketing"]`
	}
	resp, err := c.admin.ApplyChanges(ctx, &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{{
		Op:       pdpv1.ChangeOp_CHANGE_OP_PUT,
		Key:      &pdpv1.EntityKey{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: carol},
		Document: fmt.Sprintf(`{"arn": %q, "groups": %s}`, carol, groups),
	}}})
	require.NoError(t, err, "apply")
	return resp.GetRevision()
}

// carolReadsSegment asks whether carol may read a segment, which the
// marketing group's SegmentReaders policy allows.
func carolReadsSegment(ctx context.Context, c *client, minRev int64) (*pdpv1.CheckResponse, error) {
	return c.authz.Check(ctx, &pdpv1.CheckRequest{
		Principal:   carol,
		Action:      "mobiletargeting:GetSegment",
		Resource:    "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users",
		Context:     map[string]*pdpv1.ContextValue{"aws:RequestedRegion": {Kind: &pdpv1.ContextValue_StringValue{StringValue: "us-east-1"}}},
		MinRevision: minRev,
	})
}

// TestTwoServersOneEtcd runs two pdp serve processes on one etcd: a change
// written through server A is decided by server B at once with min_revision
// and within a measured delay without it; when etcd goes away both keep
// deciding from their last snapshot and report the lost store, and when it
// returns they catch up.
func TestTwoServersOneEtcd(t *testing.T) {
	etcd := etcdtest.Start(t)
	storeURL := "etcd://" + strings.TrimPrefix(etcd.Endpoints()[0], "http://") + "/pdp-e2e"
	root, _ := filepath.Abs("..")
	bin := pdpBinary(t)
	args := []string{"--store", storeURL, "--seed", "examples/model", "--watch-progress", "200ms", "--admin-write-rate", "1000", "--admin-write-burst", "100"}
	a := dialServer(t, startServer(t, bin, root, args...))
	b := dialServer(t, startServer(t, bin, root, args...))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	// Read-your-writes across servers with min_revision.
	rev := putCarol(ctx, t, a, true)
	resp, err := carolReadsSegment(ctx, b, rev)
	require.NoError(t, err, "server B at min_revision %d", rev)
	require.Equal(t, pdpv1.Decision_DECISION_ALLOW, resp.GetDecision(), "server B at min_revision %d", rev)
	require.GreaterOrEqual(t, resp.GetRevision(), rev, "revision of server B at min_revision %d", rev)

	// Propagation without min_revision: flip carol's membership through A
	// and poll B until its decision follows.
	var delays []time.Duration
	for i := range 40 {
		member := i%2 == 1
		want := pdpv1.Decision_DECISION_IMPLICIT_DENY
		if member {
			want = pdpv1.Decision_DECISION_ALLOW
		}
		start := time.Now()
		putCarol(ctx, t, a, member)
		for {
			resp, err := carolReadsSegment(ctx, b, 0)
			require.NoError(t, err, "check on B")
			if resp.GetDecision() == want {
				break
			}
			require.LessOrEqual(t, time.Since(start), 10*time.Second, "change %d not visible on B", i)
		}
		delays = append(delays, time.Since(start))
	}
	slices.Sort(delays)
	t.Logf("write on A to new decision on B, %d changes: p50 %v, p99 %v, max %v",
		len(delays), delays[len(delays)/2], delays[len(delays)*99/100], delays[len(delays)-1])

	// etcd goes away: decisions go on from the last snapshot, the policy
	// service reports NOT_SERVING.
	last, err := carolReadsSegment(ctx, b, 0)
	require.NoError(t, err)
	etcd.Stop()
	for _, c := range []*client{a, b} {
		waitHealth(ctx, t, c, "pdp.v1.PolicyService", healthpb.HealthCheckResponse_NOT_SERVING)
		resp, err := carolReadsSegment(ctx, c, 0)
		require.NoError(t, err, "check with etcd down")
		require.Equal(t, last.GetDecision(), resp.GetDecision(), "check with etcd down")
		require.Equal(t, last.GetRevision(), resp.GetRevision(), "revision of the check with etcd down")
		waitHealth(ctx, t, c, "pdp.v1.AuthorizationService", healthpb.HealthCheckResponse_SERVING)
	}

	// etcd returns: both servers follow again and see a new change.
	etcd.Restart()
	for _, c := range []*client{a, b} {
		waitHealth(ctx, t, c, "pdp.v1.PolicyService", healthpb.HealthCheckResponse_SERVING)
	}
	member := last.GetDecision() != pdpv1.Decision_DECISION_ALLOW
	rev = putCarol(ctx, t, a, member)
	for _, c := range []*client{a, b} {
		resp, err := carolReadsSegment(ctx, c, rev)
		require.NoError(t, err, "after etcd returned, revision %d", rev)
		require.Equal(t, member, resp.GetDecision() == pdpv1.Decision_DECISION_ALLOW, "after etcd returned, revision %d: carol allowed (%v)", rev, resp)
	}
}

// waitHealth waits until a service's health reports want, on the health
// watch, which sends every change (waiting for the connection first). The
// bound is generous: after etcd returns, its client reconnects on a backoff
// that grew while etcd was away, and under the race detector on a loaded
// machine that has taken more than 30 s.
func waitHealth(ctx context.Context, t *testing.T, c *client, service string, want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	watch, err := c.health.Watch(ctx, &healthpb.HealthCheckRequest{Service: service}, grpc.WaitForReady(true))
	require.NoError(t, err, "health watch of %s", service)
	last := healthpb.HealthCheckResponse_UNKNOWN
	for {
		resp, err := watch.Recv()
		require.NoError(t, err, "health of %s: %v, want %v", service, last, want)
		if last = resp.GetStatus(); last == want {
			return
		}
	}
}
