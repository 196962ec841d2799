package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/admin"
	"github.com/pdp-dev/pdp/internal/server"
)

// TestServeLimitFlags runs pdp serve with lowered limits and checks over
// gRPC that each one is held to.
func TestServeLimitFlags(t *testing.T) {
	t.Parallel()
	s := startServe(t, "--policies", modelDir, "--max-context-keys", "2", "--max-value-bytes", "8",
		"--max-changes-per-call", "1", "--max-policies-per-call", "1", "--max-min-revision-wait", "20ms")
	conn := dialTest(t, s.addr)
	authz, admin := pdpv1.NewAuthorizationServiceClient(conn), pdpv1.NewPolicyServiceClient(conn)
	str := func(v string) *pdpv1.ContextValue {
		return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: v}}
	}
	policy := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"mobiletargeting:GetSegment","Resource":"*"}}`
	user := func(name string) *pdpv1.Change {
		arn := "arn:aws:iam::111122223333:user/" + name
		return &pdpv1.Change{Op: pdpv1.ChangeOp_CHANGE_OP_PUT,
			Key:      &pdpv1.EntityKey{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: arn},
			Document: fmt.Sprintf(`{"arn": %q}`, arn)}
	}
	tests := []struct {
		name     string
		call     func() error
		wantMsg  string
		wantCode codes.Code // InvalidArgument when not set
	}{
		{"context keys", func() error {
			_, err := authz.Check(t.Context(), &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegment",
				Resource: segment, Context: map[string]*pdpv1.ContextValue{"a:b": str("1"), "a:c": str("1"), "a:d": str("1")}})
			return err
		}, "3 context keys exceed the limit of 2", codes.OK},
		{"value bytes", func() error {
			_, err := authz.Check(t.Context(), &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegment",
				Resource: segment, Context: map[string]*pdpv1.ContextValue{"a:b": str("203.0.113.7")}})
			return err
		}, "a value is 11 bytes, over the limit of 8", codes.OK},
		{"policies per call", func() error {
			_, err := authz.Simulate(t.Context(), &pdpv1.SimulateRequest{Principal: analyst, Action: "mobiletargeting:GetSegment",
				Resource: "*", IdentityPolicies: []string{policy, policy}})
			return err
		}, "2 policy documents exceed the limit of 1", codes.OK},
		{"changes per call", func() error {
			_, err := admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{user("x1"), user("x2")}})
			return err
		}, "2 changes exceed the limit of 1", codes.OK},
		{"min revision wait", func() error {
			// The call's own deadline is far; the server's bound ends the wait.
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			_, err := authz.Check(ctx, &pdpv1.CheckRequest{Principal: analyst, Action: "mobiletargeting:GetSegment",
				Resource: segment, MinRevision: 1 << 40})
			return err
		}, "revision", codes.Unavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.wantCode == codes.OK {
				tc.wantCode = codes.InvalidArgument
			}
			require.Equal(t, tc.wantCode, status.Code(err), "%v", err)
			assert.Contains(t, status.Convert(err).Message(), tc.wantMsg)
		})
	}
}

// TestServeLimitFlagsMustBePositive checks that a limit of zero or less is
// a usage error naming the flag.
func TestServeLimitFlagsMustBePositive(t *testing.T) {
	t.Parallel()
	for _, flag := range []string{"--max-context-keys", "--max-context-values", "--max-value-bytes", "--max-policy-bytes",
		"--max-policies-per-call", "--max-changes-per-call", "--max-concurrent-streams", "--default-deadline",
		"--max-min-revision-wait"} {
		t.Run(flag, func(t *testing.T) {
			t.Parallel()
			value := "0"
			if flag == "--default-deadline" || flag == "--max-min-revision-wait" {
				value = "0s"
			}
			code, _, stderr := runPDP(t, nil, "serve", "--listen", "127.0.0.1:0", "--policies", modelDir, flag, value)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr, flag[1:]+" must be positive")
		})
	}
}

// TestLimitFlagsConfigure checks that each limit flag reaches its field of
// the server's configuration, and that the defaults are the server's.
func TestLimitFlagsConfigure(t *testing.T) {
	t.Parallel()
	parse := func(args ...string) *limitFlags {
		var l limitFlags
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		l.register(fs)
		require.NoError(t, fs.Parse(args))
		require.NoError(t, l.check())
		return &l
	}
	d := parse()
	assert.Equal(t, server.DefaultLimits, d.serverConfig(server.Config{}).Limits)
	assert.Equal(t, admin.Config{MaxChangesPerCall: admin.DefaultMaxChangesPerCall}, d.adminConfig())
	assert.Equal(t, server.DefaultMaxRevisionWait, d.serverConfig(server.Config{}).MaxRevisionWait)
	assert.Equal(t, server.GRPCConfig{MaxConcurrentStreams: server.DefaultMaxConcurrentStreams, DefaultDeadline: server.DefaultDeadline,
		MaxRequestMessages: server.MaxRequestMessages(server.Limits{}, 0, 0)},
		d.grpcConfig(server.GRPCConfig{}, server.DefaultMaxBatchItems))

	l := parse("--max-context-keys", "1", "--max-context-values", "2", "--max-value-bytes", "3", "--max-policy-bytes", "4",
		"--max-policies-per-call", "5", "--max-changes-per-call", "6", "--max-concurrent-streams", "7",
		"--default-deadline", "8s", "--max-min-revision-wait", "9s")
	cfg := l.serverConfig(server.Config{MaxBatchItems: 10})
	assert.Equal(t, server.Limits{MaxContextKeys: 1, MaxContextValues: 2, MaxValueBytes: 3, MaxPolicyBytes: 4,
		MaxPoliciesPerCall: 5}, cfg.Limits)
	assert.Equal(t, admin.Config{MaxChangesPerCall: 6}, l.adminConfig())
	assert.Equal(t, 9*time.Second, cfg.MaxRevisionWait)
	assert.Equal(t, 10, cfg.MaxBatchItems, "other settings kept")
	// A batch of 10 items, its defaults and each item with a context of 1
	// key (an entry, its value and its list) and a session tag.
	assert.Equal(t, server.GRPCConfig{MaxMessageBytes: 11, MaxConcurrentStreams: 7, DefaultDeadline: 8 * time.Second,
		MaxRequestMessages: 11 * 5}, l.grpcConfig(server.GRPCConfig{MaxMessageBytes: 11}, 10))
}

// TestServeAnswersBeyondTheRequestLimit checks that --max-message-bytes
// bounds what a server receives, not what it answers: a model grown by
// requests each within the limit is exported, diffed and watched whole,
// by the pdp CLI's own client too, though each answer is over the limit —
// and over gRPC's default receive limit of 4 MiB.
func TestServeAnswersBeyondTheRequestLimit(t *testing.T) {
	t.Parallel()
	const limit = 3 << 20
	s := startServe(t, "--policies", modelDir, "--max-message-bytes", fmt.Sprint(limit))
	conn := dialTest(t, s.addr)
	admin := pdpv1.NewPolicyServiceClient(conn)
	tags := make(map[string]string, 40)
	for i := range 40 {
		tags[fmt.Sprintf("key%02d", i)] = strings.Repeat(string(rune('a'+i%26)), 200)
	}
	tagJSON, err := json.Marshal(tags)
	require.NoError(t, err)
	var last int64
	for call := range 3 {
		req := &pdpv1.ApplyChangesRequest{Message: fmt.Sprintf("resources %d", call)}
		for i := range 250 {
			arn := fmt.Sprintf("arn:aws:mobiletargeting:us-east-1:111122223333:apps/big%d-%d", call, i)
			req.Changes = append(req.Changes, &pdpv1.Change{Op: pdpv1.ChangeOp_CHANGE_OP_PUT,
				Key:      &pdpv1.EntityKey{Kind: pdpv1.EntityKind_ENTITY_KIND_RESOURCE, Id: arn},
				Document: fmt.Sprintf(`{"arn":%q,"tags":%s}`, arn, tagJSON)})
		}
		require.Less(t, proto.Size(req), limit, "request %d within the limit", call)
		resp, err := admin.ApplyChanges(t.Context(), req)
		require.NoError(t, err, "ApplyChanges %d", call)
		last = resp.GetRevision()
	}

	export, err := admin.Export(t.Context(), &pdpv1.ExportRequest{})
	require.NoError(t, err, "Export")
	assert.Greater(t, proto.Size(export), 4<<20, "export size")

	diff, err := admin.Diff(t.Context(), &pdpv1.DiffRequest{FromRevision: last - 3, ToRevision: last})
	require.NoError(t, err, "Diff")
	assert.Len(t, diff.GetChanges(), 750, "changes in the diff")

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	watch, err := admin.Watch(ctx, &pdpv1.WatchRequest{FromRevision: last - 3})
	require.NoError(t, err, "Watch")
	for want := last - 2; want <= last; {
		ev, err := watch.Recv()
		require.NoError(t, err, "Watch event for revision %d", want)
		if ev.GetProgress() {
			continue
		}
		assert.Equal(t, want, ev.GetRevision(), "revision watched")
		assert.Len(t, ev.GetChanges(), 250, "changes of revision %d", want)
		want++
	}

	bundle := policyMust(t, s.addr, "export")
	assert.Greater(t, len(bundle), 4<<20, "pdp policy export's output")
	assert.Contains(t, bundle, "apps/big2-249", "pdp policy export's output")
}
