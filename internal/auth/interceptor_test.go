package auth

import (
	"context"
	"io"
	"net"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

const (
	kindUser  = pdpv1.EntityKind_ENTITY_KIND_USER
	kindGroup = pdpv1.EntityKind_ENTITY_KIND_GROUP
	kindRole  = pdpv1.EntityKind_ENTITY_KIND_ROLE
	kindSCP   = pdpv1.EntityKind_ENTITY_KIND_SCP
)

// TestAdminCalls runs admin calls of the fixture principals through the
// interceptors and checks the code and message of each answer.
func TestAdminCalls(t *testing.T) {
	az, _ := newAuthorizer(t, fixtureConfig(t))
	h := serve(t, az, nil)
	apply := func(changes ...*pdpv1.Change) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := h.policy.ApplyChanges(ctx, &pdpv1.ApplyChangesRequest{Changes: changes})
			return err
		}
	}
	dryRun := func(changes ...*pdpv1.Change) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := h.policy.ApplyChanges(ctx, &pdpv1.ApplyChangesRequest{Changes: changes, DryRun: true})
			return err
		}
	}
	get := func(k *pdpv1.EntityKey) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := h.policy.GetEntity(ctx, &pdpv1.GetEntityRequest{Key: k})
			return err
		}
	}
	list := func(kind pdpv1.EntityKind) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := h.policy.ListEntities(ctx, &pdpv1.ListEntitiesRequest{Kind: kind})
			return err
		}
	}
	const otherUser = "arn:aws:iam::111122223333:user/bob"
	tests := []struct {
		name      string
		principal string // "" sends no credentials
		call      func(context.Context) error
		wantCode  codes.Code
		wantMsg   string // for errors: the whole status message
	}{
		{name: "read-only caller gets an entity", principal: opsARN, call: get(key(kindSCP, "FullAccess"))},
		{name: "read-only caller reads history", principal: opsARN, call: func(ctx context.Context) error {
			_, err := h.policy.GetHistory(ctx, &pdpv1.GetHistoryRequest{})
			return err
		}},
		{name: "read-only caller cannot apply changes", principal: opsARN, call: apply(put(kindUser, otherUser)),
			wantCode: codes.PermissionDenied,
			wantMsg:  "not authorized to perform pdp:ApplyChanges on arn:pdp:store:::entity/user/" + otherUser},
		{name: "read-only caller cannot list", principal: opsARN, call: list(kindUser), wantCode: codes.PermissionDenied,
			wantMsg: "not authorized to perform pdp:ListEntities on arn:pdp:store:::entity/user/*"},
		{name: "read-only caller cannot roll back", principal: opsARN, call: func(ctx context.Context) error {
			_, err := h.policy.Rollback(ctx, &pdpv1.RollbackRequest{ToRevision: 1})
			return err
		}, wantCode: codes.PermissionDenied, wantMsg: "not authorized to perform pdp:Rollback on arn:pdp:store:::store"},
		{name: "admin applies changes", principal: adminARN, call: apply(put(kindUser, otherUser), put(kindRole, "arn:aws:iam::111122223333:role/x"))},
		{name: "explicit deny wins over allow", principal: adminARN, call: apply(put(kindSCP, "FullAccess")),
			wantCode: codes.PermissionDenied,
			wantMsg:  "not authorized to perform pdp:ApplyChanges on arn:pdp:store:::entity/scp/FullAccess"},
		{name: "explicit deny wins in a dry run too", principal: adminARN, call: dryRun(put(kindSCP, "FullAccess")),
			wantCode: codes.PermissionDenied,
			wantMsg:  "not authorized to perform pdp:ApplyChanges on arn:pdp:store:::entity/scp/FullAccess"},
		{name: "admin imports", principal: adminARN, call: func(ctx context.Context) error {
			_, err := h.policy.Import(ctx, &pdpv1.ImportRequest{Bundle: "{}"})
			return err
		}},
		{name: "editor changes users and groups", principal: editorARN,
			call: apply(put(kindUser, otherUser), put(kindGroup, "111122223333/admins"))},
		{name: "one forbidden change denies the whole set", principal: editorARN,
			call:     apply(put(kindUser, otherUser), put(kindRole, "arn:aws:iam::111122223333:role/x"), put(kindGroup, "111122223333/admins")),
			wantCode: codes.PermissionDenied,
			wantMsg:  "not authorized to perform pdp:ApplyChanges on arn:pdp:store:::entity/role/arn:aws:iam::111122223333:role/x"},
		{name: "pdp:ChangeOp condition denies a delete", principal: editorARN,
			call:     apply(put(kindUser, otherUser), change(pdpv1.ChangeOp_CHANGE_OP_DELETE, kindUser, aliceARN)),
			wantCode: codes.PermissionDenied,
			wantMsg:  "not authorized to perform pdp:ApplyChanges on arn:pdp:store:::entity/user/" + aliceARN},
		{name: "an empty change set is authorized on the store", principal: editorARN, call: apply(),
			wantCode: codes.PermissionDenied, wantMsg: "not authorized to perform pdp:ApplyChanges on arn:pdp:store:::store"},
		{name: "editor lists users", principal: editorARN, call: list(kindUser)},
		{name: "policy variable: alice reads herself", principal: aliceARN, call: get(key(kindUser, aliceARN))},
		{name: "policy variable: alice cannot read bob", principal: aliceARN, call: get(key(kindUser, otherUser)),
			wantCode: codes.PermissionDenied,
			wantMsg:  "not authorized to perform pdp:GetEntity on arn:pdp:store:::entity/user/" + otherUser},
		{name: "a grant on some users does not allow listing them all", principal: aliceARN, call: list(kindUser),
			wantCode: codes.PermissionDenied,
			wantMsg:  "not authorized to perform pdp:ListEntities on arn:pdp:store:::entity/user/*"},
		{name: "pdp:DryRun allows a dry run", principal: ciARN, call: dryRun(put(kindSCP, "FullAccess"))},
		{name: "pdp:DryRun refuses the real thing", principal: ciARN, call: apply(put(kindSCP, "FullAccess")),
			wantCode: codes.PermissionDenied,
			wantMsg:  "not authorized to perform pdp:ApplyChanges on arn:pdp:store:::entity/scp/FullAccess"},
		{name: "authenticated without admin policies", principal: nobodyARN, call: get(key(kindUser, otherUser)),
			wantCode: codes.PermissionDenied,
			wantMsg:  "not authorized to perform pdp:GetEntity on arn:pdp:store:::entity/user/" + otherUser},
		{name: "unauthenticated", call: get(key(kindUser, otherUser)), wantCode: codes.Unauthenticated,
			wantMsg: `authentication required: send "authorization: Bearer <token>" metadata or a client certificate`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			if tc.principal != "" {
				ctx = as(ctx, tc.principal)
			}
			_, before := h.calls.last()
			err := tc.call(ctx)
			st := status.Convert(err)
			require.Equal(t, tc.wantCode, st.Code(), "code (message %q)", st.Message())
			caller, after := h.calls.last()
			if tc.wantCode != codes.OK {
				if tc.wantMsg != "" {
					assert.Equal(t, tc.wantMsg, st.Message(), "message")
				}
				assert.Equal(t, before, after, "a refused call reached the handler")
				return
			}
			assert.Equal(t, before+1, after, "calls that reached the handler")
			assert.Equal(t, tc.principal, caller, "the handler's caller")
		})
	}
}

// TestBearerTokens checks that only a token of the file, sent as
// "Bearer <token>" once, authenticates.
func TestBearerTokens(t *testing.T) {
	az, logs := newAuthorizer(t, fixtureConfig(t))
	h := serve(t, az, nil)
	good := fixtureTokens[opsARN]
	lastByte := good[:len(good)-1] + string(good[len(good)-1]^1)
	tests := []struct {
		name     string
		md       []string // authorization values
		wantCode codes.Code
		wantMsg  string
	}{
		{name: "good token", md: []string{"Bearer " + good}, wantCode: codes.OK},
		{name: "scheme is case-insensitive", md: []string{"bearer " + good}, wantCode: codes.OK},
		{name: "no credentials", wantCode: codes.Unauthenticated},
		{name: "wrong token", md: []string{"Bearer not-a-token"}, wantCode: codes.Unauthenticated, wantMsg: "unknown bearer token"},
		{name: "differs only in the last byte", md: []string{"Bearer " + lastByte}, wantCode: codes.Unauthenticated},
		{name: "a prefix of a token", md: []string{"Bearer " + good[:len(good)-1]}, wantCode: codes.Unauthenticated},
		{name: "a token with a byte more", md: []string{"Bearer " + good + "x"}, wantCode: codes.Unauthenticated},
		{name: "the token's hash is not the token", md: []string{"Bearer " + HashToken(good)}, wantCode: codes.Unauthenticated},
		{name: "empty token", md: []string{"Bearer "}, wantCode: codes.Unauthenticated},
		{name: "other scheme", md: []string{"Basic " + good}, wantCode: codes.Unauthenticated,
			wantMsg: `authorization is not "Bearer <token>"`},
		{name: "two values", md: []string{"Bearer " + good, "Bearer " + good}, wantCode: codes.Unauthenticated,
			wantMsg: "more than one authorization value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			for _, v := range tc.md {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", v)
			}
			_, err := h.policy.GetEntity(ctx, &pdpv1.GetEntityRequest{Key: key(kindUser, "x")})
			st := status.Convert(err)
			require.Equal(t, tc.wantCode, st.Code(), "code (message %q)", st.Message())
			if tc.wantMsg != "" {
				assert.Equal(t, tc.wantMsg, st.Message(), "message")
			}
		})
	}
	out := logs.String()
	assert.NotContains(t, out, good[:10], "a token reached the log")
	assert.NotContains(t, out, "not-a-token", "a token reached the log")
}

// TestDenialLoggedNotReturned checks that the statement that denied a call
// is in the server log and nowhere in the reply.
func TestDenialLoggedNotReturned(t *testing.T) {
	az, logs := newAuthorizer(t, fixtureConfig(t))
	h := serve(t, az, nil)
	_, err := h.policy.ApplyChanges(as(t.Context(), adminARN), &pdpv1.ApplyChangesRequest{
		Changes: []*pdpv1.Change{put(kindSCP, "FullAccess")}})
	st := status.Convert(err)
	require.Equal(t, codes.PermissionDenied, st.Code(), "code")
	const policyID = "admin.json[" + adminARN + "][1]"
	reply := st.Message()
	for _, d := range st.Proto().GetDetails() {
		reply += "\n" + prototext.Format(d)
	}
	for _, secret := range []string{"ProtectSCPs", policyID, "admin.json", "Statement", "ExplicitDeny"} {
		assert.NotContains(t, reply, secret, "reply")
	}
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok {
			info = i
		}
	}
	assert.Equal(t, "ACCESS_DENIED", info.GetReason(), "ErrorInfo %v", info)
	assert.Equal(t, ActionApplyChanges, info.GetMetadata()["action"], "action of ErrorInfo %v", info)
	assert.Equal(t, "arn:pdp:store:::entity/scp/FullAccess", info.GetMetadata()["resource"], "resource of ErrorInfo %v", info)

	recs := logRecords(t, logs, "admin call denied")
	require.Len(t, recs, 1, "denial records:\n%s", logs)
	by, _ := recs[0]["denied_by"].(map[string]any)
	assert.Equal(t, policyID, by["policy_id"], "denial record %v", recs[0])
	assert.Equal(t, "ProtectSCPs", by["sid"], "denial record %v", recs[0])
	assert.Equal(t, float64(0), by["statement"], "denial record %v", recs[0])
	assert.Equal(t, "ExplicitDeny", recs[0]["decision"], "denial record %v", recs[0])
	assert.Equal(t, adminARN, recs[0]["principal"], "denial record %v", recs[0])
}

// TestImplicitDenyLogged checks the log of a denial no statement made.
func TestImplicitDenyLogged(t *testing.T) {
	az, logs := newAuthorizer(t, fixtureConfig(t))
	h := serve(t, az, nil)
	_, err := h.policy.Export(as(t.Context(), opsARN), &pdpv1.ExportRequest{})
	require.Equal(t, codes.PermissionDenied, status.Code(err), "err = %v", err)
	recs := logRecords(t, logs, "admin call denied")
	if assert.Len(t, recs, 1, "denial records") {
		assert.Equal(t, "ImplicitDeny", recs[0]["decision"], "denial record %v", recs[0])
		assert.Nil(t, recs[0]["denied_by"], "denial record %v", recs[0])
	}
}

// TestWatchStream checks the stream interceptor on Watch.
func TestWatchStream(t *testing.T) {
	az, _ := newAuthorizer(t, fixtureConfig(t))
	h := serve(t, az, nil)
	tests := []struct {
		name      string
		principal string
		wantCode  codes.Code
	}{
		{name: "allowed", principal: adminARN, wantCode: codes.OK},
		{name: "denied", principal: opsARN, wantCode: codes.PermissionDenied},
		{name: "unauthenticated", wantCode: codes.Unauthenticated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			if tc.principal != "" {
				ctx = as(ctx, tc.principal)
			}
			stream, err := h.policy.Watch(ctx, &pdpv1.WatchRequest{})
			require.NoError(t, err)
			_, err = stream.Recv()
			require.Equal(t, tc.wantCode, status.Code(err), "Recv: %v", err)
			if tc.wantCode != codes.OK {
				return
			}
			caller, _ := h.calls.last()
			assert.Equal(t, tc.principal, caller, "the handler's caller")
			_, err = stream.Recv()
			assert.ErrorIs(t, err, io.EOF, "second Recv")
		})
	}
}

// TestInjectedIdentity maps client certificate identities through the
// identity file, with an IdentityFunc injected in place of TLSIdentity.
func TestInjectedIdentity(t *testing.T) {
	cfg := fixtureConfig(t)
	cfg.Identity = func(ctx context.Context) (string, bool) {
		md, _ := metadata.FromIncomingContext(ctx)
		if v := md.Get("x-test-identity"); len(v) == 1 {
			return v[0], true
		}
		return "", false
	}
	az, logs := newAuthorizer(t, cfg)
	h := serve(t, az, nil)
	tests := []struct {
		name       string
		identity   string
		token      string
		wantCode   codes.Code
		wantCaller string
	}{
		{name: "mapped identity", identity: "ops.example.org", wantCode: codes.OK, wantCaller: opsARN},
		{name: "unmapped identity", identity: "eve.example.org", wantCode: codes.Unauthenticated},
		{name: "no certificate", wantCode: codes.Unauthenticated},
		{name: "a token decides over a certificate", identity: "ops.example.org", token: fixtureTokens[adminARN],
			wantCode: codes.OK, wantCaller: adminARN},
		{name: "a bad token is refused even with a good certificate", identity: "ops.example.org", token: "nope",
			wantCode: codes.Unauthenticated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			if tc.identity != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "x-test-identity", tc.identity)
			}
			if tc.token != "" {
				ctx = bearer(ctx, tc.token)
			}
			_, err := h.policy.GetEntity(ctx, &pdpv1.GetEntityRequest{Key: key(kindUser, "x")})
			require.Equal(t, tc.wantCode, status.Code(err), "GetEntity: %v", err)
			if caller, _ := h.calls.last(); tc.wantCode == codes.OK {
				assert.Equal(t, tc.wantCaller, caller, "the handler's caller")
			}
		})
	}
	assert.Contains(t, logs.String(), `"identity":"eve.example.org"`, "the unmapped identity is not in the log")
}

// TestDecisionMethods checks that decisions are open unless
// RequireForDecisions, and never authorized by the admin policies.
func TestDecisionMethods(t *testing.T) {
	tests := []struct {
		name      string
		require   bool
		principal string
		wantCode  codes.Code
	}{
		{name: "open by default", wantCode: codes.OK},
		{name: "open by default, credentials ignored", principal: nobodyARN, wantCode: codes.OK},
		{name: "gated: unauthenticated", require: true, wantCode: codes.Unauthenticated},
		{name: "gated: any known principal", require: true, principal: nobodyARN, wantCode: codes.OK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fixtureConfig(t)
			cfg.RequireForDecisions = tc.require
			az, _ := newAuthorizer(t, cfg)
			h := serve(t, az, nil)
			ctx := t.Context()
			if tc.principal != "" {
				ctx = as(ctx, tc.principal)
			}
			_, err := h.decide.Check(ctx, &pdpv1.CheckRequest{})
			require.Equal(t, tc.wantCode, status.Code(err), "Check: %v", err)
			if tc.wantCode != codes.OK {
				return
			}
			want := ""
			if tc.require {
				want = tc.principal
			}
			caller, _ := h.calls.last()
			assert.Equal(t, want, caller, "the handler's caller")
		})
	}
}

// TestHealthNeverGated calls health checking without credentials while
// everything else is gated.
func TestHealthNeverGated(t *testing.T) {
	cfg := fixtureConfig(t)
	cfg.RequireForDecisions = true
	az, _ := newAuthorizer(t, cfg)
	h := serve(t, az, nil)
	resp, err := h.health.Check(t.Context(), &healthpb.HealthCheckRequest{})
	require.NoError(t, err, "health")
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus(), "health")
	for _, m := range []string{"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
		"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", "/grpc.health.v1.Health/Watch"} {
		_, err := az.guard(t.Context(), m, nil)
		assert.NoError(t, err, "%s, want open", m)
	}
}

// TestNotRequired checks that without RequireAuth admin calls pass
// unchecked and unattributed.
func TestNotRequired(t *testing.T) {
	cfg := fixtureConfig(t)
	cfg.RequireAuth = false
	az, _ := newAuthorizer(t, cfg)
	h := serve(t, az, nil)
	_, err := h.policy.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{
		Changes: []*pdpv1.Change{put(kindSCP, "x")}})
	require.NoError(t, err)
	caller, n := h.calls.last()
	assert.Equal(t, 1, n, "call the handler saw")
	assert.Empty(t, caller, "caller the handler saw")
}

// TestUncoveredMethods checks that what the Authorizer has no rule for is
// refused when authentication is required: another service, a request of
// the wrong type.
func TestUncoveredMethods(t *testing.T) {
	az, _ := newAuthorizer(t, fixtureConfig(t))
	ctx := metadata.NewIncomingContext(t.Context(), metadata.Pairs("authorization", "Bearer "+fixtureTokens[adminARN]))
	tests := []struct {
		name   string
		method string
		req    any
	}{
		{name: "other service", method: "/pdp.v2.Secrets/Get", req: &pdpv1.GetEntityRequest{}},
		{name: "wrong request type", method: pdpv1.PolicyService_ApplyChanges_FullMethodName, req: &pdpv1.GetEntityRequest{}},
		{name: "no request", method: pdpv1.PolicyService_GetEntity_FullMethodName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := az.guard(ctx, tc.method, tc.req)
			assert.Equal(t, codes.PermissionDenied, status.Code(err), "guard: %v", err)
		})
	}
	t.Run("new PolicyService method", func(t *testing.T) {
		// A method added later is pdp:<Method> on the store: allowed by
		// pdp:*, refused otherwise.
		_, err := az.guard(ctx, "/pdp.v1.PolicyService/Compact", nil)
		assert.NoError(t, err, "admin, want allowed by pdp:*")
		opsCtx := metadata.NewIncomingContext(t.Context(), metadata.Pairs("authorization", "Bearer "+fixtureTokens[opsARN]))
		_, err = az.guard(opsCtx, "/pdp.v1.PolicyService/Compact", nil)
		assert.Equal(t, codes.PermissionDenied, status.Code(err), "ops: %v", err)
	})
}

// TestPeerConditions checks aws:SourceIp and aws:SecureTransport from the
// peer of a call.
func TestPeerConditions(t *testing.T) {
	az, _ := newAuthorizer(t, fixtureConfig(t))
	intercept := az.UnaryInterceptor()
	info := &grpc.UnaryServerInfo{FullMethod: pdpv1.PolicyService_GetEntity_FullMethodName}
	handler := func(context.Context, any) (any, error) { return "ok", nil }
	tests := []struct {
		name     string
		addr     net.Addr
		wantCode codes.Code
	}{
		{name: "inside the range", addr: &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 5000}, wantCode: codes.OK},
		{name: "IPv4-mapped IPv6", addr: &net.TCPAddr{IP: net.ParseIP("::ffff:10.1.2.3"), Port: 5000}, wantCode: codes.OK},
		{name: "outside the range", addr: &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 5000}, wantCode: codes.PermissionDenied},
		{name: "no IP address", addr: &net.UnixAddr{Name: "/run/pdp.sock", Net: "unix"}, wantCode: codes.PermissionDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := metadata.NewIncomingContext(t.Context(), metadata.Pairs("authorization", "Bearer "+fixtureTokens[netopsARN]))
			ctx = peer.NewContext(ctx, &peer.Peer{Addr: tc.addr})
			_, err := intercept(ctx, &pdpv1.GetEntityRequest{Key: key(kindUser, "x")}, info, handler)
			assert.Equal(t, tc.wantCode, status.Code(err), "intercept: %v", err)
		})
	}
}
