package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

const (
	activeUsersSegmentARN = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users"
	checkPath             = "/pdp.v1.AuthorizationService/Check"
)

// validCheckRequest is an ordinary, well-formed Check that each attack spoils in one way.
func validCheckRequest() *pdpv1.CheckRequest {
	return &pdpv1.CheckRequest{Principal: carol, Action: "mobiletargeting:GetSegment", Resource: activeUsersSegmentARN}
}

// policyWithCondition is an identity policy allowing GetSegment under one condition.
func policyWithCondition(op, key, value string) string {
	return fmt.Sprintf(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "mobiletargeting:GetSegment",
  "Resource": "*", "Condition": {%q: {%q: %q}}}]}`, op, key, value)
}

// nestedBytes encodes depth levels of field num, each a length-delimited
// value holding the next, the innermost empty. The prefixes (tag and
// length) are computed from the inside out and written from the outside in.
func nestedBytes(num protowire.Number, depth int) []byte {
	prefixes := make([][]byte, depth)
	size := 0
	for i := range prefixes {
		prefixes[i] = protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.BytesType), uint64(size))
		size += len(prefixes[i])
	}
	out := make([]byte, 0, size)
	for i := depth - 1; i >= 0; i-- {
		out = append(out, prefixes[i]...)
	}
	return out
}

// TestReliabilityBadInput sends hostile requests to one pdp serve: each gets
// a clean, bounded refusal with the right code, and the server goes on serving.
func TestReliabilityBadInput(t *testing.T) {
	t.Parallel()
	p := startProc(t, nil, "--policies", "examples/model")
	conn := dialConn(t, p.addr, nil)
	c := clientOf(conn)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	requireServing(ctx, t, p, c)

	t.Run("attacks", func(t *testing.T) {
		// A 10 MB message is refused for its size (the default limit is 4 MiB), and the server serves on.
		t.Run("message over the size limit", func(t *testing.T) {
			t.Parallel()
			req := validCheckRequest()
			req.Resource = strings.Repeat("a", 10<<20)
			_, err := c.authz.Check(ctx, req)
			assertCode(t, codes.ResourceExhausted, err)
			requireServing(ctx, t, p, c)
		})

		// A BatchCheck of 100,000 tiny items (under 4 MiB) is INVALID_ARGUMENT naming the 1,000-item limit.
		t.Run("batch over the item limit", func(t *testing.T) {
			t.Parallel()
			req := &pdpv1.BatchCheckRequest{Principal: carol, Items: make([]*pdpv1.BatchCheckItem, 100_000)}
			for i := range req.Items {
				req.Items[i] = &pdpv1.BatchCheckItem{Action: "a"}
			}
			require.Less(t, proto.Size(req), 4<<20, "the request must stay under the message limit")
			_, err := c.authz.BatchCheck(ctx, req)
			requireCode(t, codes.InvalidArgument, err)
			assert.Regexp(t, `1,?000`, status.Convert(err).Message())
		})

		// A Check with 10,000 context keys is INVALID_ARGUMENT naming the 64-key limit.
		t.Run("too many context keys", func(t *testing.T) {
			t.Parallel()
			req := validCheckRequest()
			req.Context = make(map[string]*pdpv1.ContextValue, 10_000)
			for i := range 10_000 {
				req.Context[fmt.Sprintf("k%05d", i)] = &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: "v"}}
			}
			_, err := c.authz.Check(ctx, req)
			requireCode(t, codes.InvalidArgument, err)
			assert.Contains(t, status.Convert(err).Message(), "64")
		})

		// 100,000 nested groups in an unknown field exceed the decoder's depth: INVALID_ARGUMENT, not INTERNAL.
		t.Run("deeply nested groups on the wire", func(t *testing.T) {
			t.Parallel()
			b, err := proto.Marshal(validCheckRequest())
			require.NoError(t, err)
			const depth = 100_000
			for range depth {
				b = protowire.AppendTag(b, 1000, protowire.StartGroupType)
			}
			for range depth {
				b = protowire.AppendTag(b, 1000, protowire.EndGroupType)
			}
			err = conn.Invoke(ctx, checkPath, rawMessage(b), &pdpv1.CheckResponse{}, grpc.ForceCodec(rawCodec{}))
			assertCode(t, codes.InvalidArgument, err)
			requireServing(ctx, t, p, c)
		})

		// 100,000 nested length-delimited values in an unknown field are opaque bytes to proto3: answered or INVALID_ARGUMENT, never a failure of the server.
		t.Run("deeply nested bytes on the wire", func(t *testing.T) {
			t.Parallel()
			b, err := proto.Marshal(validCheckRequest())
			require.NoError(t, err)
			b = append(b, nestedBytes(1000, 100_000)...)
			require.NoError(t, proto.Unmarshal(b, &pdpv1.CheckRequest{}), "the nesting is well-formed wire data")
			err = conn.Invoke(ctx, checkPath, rawMessage(b), &pdpv1.CheckResponse{}, grpc.ForceCodec(rawCodec{}))
			assert.Contains(t, []codes.Code{codes.OK, codes.InvalidArgument}, status.Code(err), "%v", err)
			requireServing(ctx, t, p, c)
		})

		// Deeply nested JSON in a Simulate policy document is INVALID_ARGUMENT, within and beyond the document size limit.
		t.Run("deeply nested policy JSON", func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct {
				name       string
				open, shut string
				depth      int
			}{
				{name: "arrays within 10 KiB", open: "[", shut: "]", depth: 5_000},
				{name: "objects within 10 KiB", open: `{"a":`, shut: "}", depth: 1_900},
				{name: "arrays 100,000 deep", open: "[", shut: "]", depth: 100_000},
			} {
				doc := `{"Version": "2012-10-17", "Statement": ` + strings.Repeat(tc.open, tc.depth) + "1" +
					strings.Repeat(tc.shut, tc.depth) + "}"
				_, err := c.authz.Simulate(ctx, &pdpv1.SimulateRequest{IdentityPolicies: []string{doc},
					Principal: carol, Action: "mobiletargeting:GetSegment", Resource: activeUsersSegmentARN})
				assertCode(t, codes.InvalidArgument, err, "%s", tc.name)
			}
			requireServing(ctx, t, p, c)
		})

		// A principal holding invalid UTF-8 (sent as raw wire bytes) is INVALID_ARGUMENT, not INTERNAL.
		t.Run("principal not UTF-8", func(t *testing.T) {
			t.Parallel()
			rest := validCheckRequest()
			rest.Principal = ""
			b, err := proto.Marshal(rest)
			require.NoError(t, err)
			b = protowire.AppendTag(b, 1, protowire.BytesType)
			b = protowire.AppendString(b, "arn:aws:iam::111122223333:user/\xff\xfecarol")
			err = conn.Invoke(ctx, checkPath, rawMessage(b), &pdpv1.CheckResponse{}, grpc.ForceCodec(rawCodec{}))
			assertCode(t, codes.InvalidArgument, err)
		})

		// A 3,000,000-byte malformed resource is INVALID_ARGUMENT whose whole status is under 4 KB.
		t.Run("huge malformed resource", func(t *testing.T) {
			t.Parallel()
			req := validCheckRequest()
			req.Resource = "arn:aws:mobiletargeting:" + strings.Repeat("x", 3_000_000-len("arn:aws:mobiletargeting:"))
			require.Len(t, req.Resource, 3_000_000)
			_, err := c.authz.Check(ctx, req)
			requireCode(t, codes.InvalidArgument, err)
			st := status.Convert(err).Proto()
			assert.Less(t, proto.Size(st), 4_000, "the status message starts %.200q", st.GetMessage())
		})

		// A negative min_revision is INVALID_ARGUMENT.
		t.Run("negative min_revision", func(t *testing.T) {
			t.Parallel()
			req := validCheckRequest()
			req.MinRevision = -1
			_, err := c.authz.Check(ctx, req)
			assertCode(t, codes.InvalidArgument, err)
		})

		// Malformed resource ARNs (empty parts, a short account, an empty resource) are INVALID_ARGUMENT.
		t.Run("malformed ARNs", func(t *testing.T) {
			t.Parallel()
			for _, arn := range []string{
				"arn::::::",
				"arn:aws:mobiletargeting:us-east-1:12:apps/x",
				"arn:aws:mobiletargeting:us-east-1:111122223333:",
			} {
				req := validCheckRequest()
				req.Resource = arn
				_, err := c.authz.Check(ctx, req)
				assertCode(t, codes.InvalidArgument, err, "resource %q", arn)
			}
		})

		// session_tags for an IAM user, which has no session, are INVALID_ARGUMENT.
		t.Run("session tags for a user", func(t *testing.T) {
			t.Parallel()
			req := validCheckRequest()
			req.SessionTags = map[string]string{"team": "growth"}
			_, err := c.authz.Check(ctx, req)
			assertCode(t, codes.InvalidArgument, err)
		})

		// Simulate with a policy whose condition value cannot be parsed for its operator is INVALID_ARGUMENT.
		t.Run("invalid condition values", func(t *testing.T) {
			t.Parallel()
			for _, doc := range []string{
				policyWithCondition("IpAddress", "aws:SourceIp", "999.1.1.1/99"),
				policyWithCondition("NumericLessThan", "aws:MultiFactorAuthAge", "abc"),
				policyWithCondition("DateGreaterThan", "aws:CurrentTime", "notadate"),
			} {
				_, err := c.authz.Simulate(ctx, &pdpv1.SimulateRequest{IdentityPolicies: []string{doc},
					Principal: carol, Action: "mobiletargeting:GetSegment", Resource: activeUsersSegmentARN})
				assertCode(t, codes.InvalidArgument, err, "%s", doc)
			}
		})
	})

	// After all of it, the process is alive and serving.
	requireServing(ctx, t, p, c)
}

// TestReliabilityContextKeyFlood sends 80 Checks each with a distinct 2 MB
// context key: all are refused, the server lives, and its log grows by a few KB per call at most.
func TestReliabilityContextKeyFlood(t *testing.T) {
	t.Parallel()
	p := startProc(t, nil, "--policies", "examples/model")
	c := clientOf(dialConn(t, p.addr, nil))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	requireServing(ctx, t, p, c)

	const calls, perCallLog = 80, 4 << 10
	before := p.logSize(t)
	for i := range calls {
		req := validCheckRequest()
		key := fmt.Sprintf("flood%02d:", i) + strings.Repeat("k", 2<<20)
		req.Context = map[string]*pdpv1.ContextValue{key: {Kind: &pdpv1.ContextValue_StringValue{StringValue: "v"}}}
		_, err := c.authz.Check(ctx, req)
		requireCode(t, codes.InvalidArgument, err, "call %d", i)
		// Checked as it goes, so that a server echoing the keys fails at
		// once instead of writing gigabytes of log.
		require.LessOrEqual(t, p.logSize(t)-before, int64((i+1)*perCallLog),
			"stderr grew by more than %d bytes per call after %d calls", perCallLog, i+1)
	}
	requireServing(ctx, t, p, c)
}
