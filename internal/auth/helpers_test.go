package auth

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/logbuf"
	"github.com/pdp-dev/pdp/pkg/catalog"
)

// Principals of the fixtures.
const (
	opsARN      = "arn:aws:iam::111122223333:user/ops"
	adminARN    = "arn:aws:iam::111122223333:role/pdp-admin"
	editorARN   = "arn:aws:iam::111122223333:user/editor"
	aliceARN    = "arn:aws:iam::111122223333:user/alice"
	ciARN       = "arn:aws:iam::111122223333:user/ci"
	deployerARN = "arn:aws:iam::111122223333:role/deployer"
	netopsARN   = "arn:aws:iam::111122223333:user/netops"
	nobodyARN   = "arn:aws:iam::111122223333:user/nobody"
)

// fixtureTokens are the bearer tokens of the fixtures, by principal.
var fixtureTokens = map[string]string{
	opsARN:    "ops-7Qm2vX9kL4pR8sT1wY6zB3nD5fH0jC",
	adminARN:  "admin-Jd83hQ0zPq7LmX2vN5bR9tW4yK6sA1",
	editorARN: "editor-Hf6Tq1Zs9Lk3Pw7Xm2Rv5Nb8Yc4Dj0",
	aliceARN:  "alice-Uq4Ws8Ez2Rx6Tc0Yv3Ib7On1Pm5Al9",
	ciARN:     "ci-Gk2Lm6Nq0Pr4St8Uv1Wx5Yz9Ab3Cd7Ef",
	netopsARN: "netops-Mn5Bv9Cx3Zl7Kj1Hg6Fd0Sa4Qw8Er2",
	nobodyARN: "nobody-Po0Iu4Yt8Re2Wq6Lk1Jh5Gf9Ds3Az7",
}

// adminFixture grants each fixture principal what the tests need.
const adminFixture = `{
  "principals": {
    "arn:aws:iam::111122223333:user/ops": [
      {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadOnly", "Effect": "Allow", "Action": "pdp:Get*", "Resource": "*"}]}
    ],
    "arn:aws:iam::111122223333:role/pdp-admin": [
      {"Version": "2012-10-17", "Statement": [
        {"Sid": "Everything", "Effect": "Allow", "Action": "pdp:*", "Resource": "*"}]},
      {"Version": "2012-10-17", "Statement": [
        {"Sid": "ProtectSCPs", "Effect": "Deny", "Action": "pdp:ApplyChanges", "Resource": "arn:pdp:store:::entity/scp/*"}]}
    ],
    "arn:aws:iam::111122223333:user/editor": [
      {"Version": "2012-10-17", "Statement": [
        {"Sid": "EditPeople", "Effect": "Allow", "Action": ["pdp:ApplyChanges", "pdp:GetEntity", "pdp:ListEntities"],
         "Resource": ["arn:pdp:store:::entity/user/*", "arn:pdp:store:::entity/group/*"]},
        {"Sid": "NoDeletes", "Effect": "Deny", "Action": "pdp:ApplyChanges", "Resource": "*",
         "Condition": {"StringEquals": {"pdp:ChangeOp": "delete"}}}]}
    ],
    "arn:aws:iam::111122223333:user/alice": [
      {"Version": "2012-10-17", "Statement": [
        {"Sid": "Self", "Effect": "Allow", "Action": ["pdp:GetEntity", "pdp:ListEntities"],
         "Resource": "arn:pdp:store:::entity/user/${aws:PrincipalArn}"},
        {"Sid": "SameAccountUsers", "Effect": "Allow", "Action": "pdp:ListEntities",
         "Resource": "arn:pdp:store:::entity/user/arn:aws:iam::111122223333:*"}]}
    ],
    "arn:aws:iam::111122223333:user/ci": [
      {"Version": "2012-10-17", "Statement": [
        {"Sid": "DryRunOnly", "Effect": "Allow", "Action": ["pdp:ApplyChanges", "pdp:Import"], "Resource": "*",
         "Condition": {"Bool": {"pdp:DryRun": "true"}}}]}
    ],
    "arn:aws:iam::111122223333:role/deployer": [
      {"Version": "2012-10-17", "Statement": [
        {"Sid": "WatchOverTLS", "Effect": "Allow", "Action": ["pdp:Watch", "pdp:Export"], "Resource": "arn:pdp:store:::store",
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}
    ],
    "arn:aws:iam::111122223333:user/netops": [
      {"Version": "2012-10-17", "Statement": [
        {"Sid": "FromTheOffice", "Effect": "Allow", "Action": "pdp:GetEntity", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}
    ]
  }
}`

// identityFixture maps client certificate identities to principals.
const identityFixture = `# certificate identity          principal
spiffe://example.org/deployer   arn:aws:iam::111122223333:role/deployer
ops.example.org                 arn:aws:iam::111122223333:user/ops
`

func testCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load()
	require.NoError(t, err)
	return cat
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// tokenFile writes a token file in text form for the given principals'
// tokens.
func tokenFile(t testing.TB, dir string, toks map[string]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# test tokens\n")
	for p, tok := range toks {
		b.WriteString(HashToken(tok) + " " + p + "\n")
	}
	return writeFile(t, dir, "tokens.txt", b.String())
}

// fixtureConfig writes the fixture files and returns a Config that reads
// them, with the admin API guarded.
func fixtureConfig(t testing.TB) Config {
	t.Helper()
	dir := t.TempDir()
	return Config{
		TokenFile:     tokenFile(t, dir, fixtureTokens),
		IdentityFile:  writeFile(t, dir, "identities.txt", identityFixture),
		AdminPolicies: writeFile(t, dir, "admin.json", adminFixture),
		RequireAuth:   true,
		Clock:         func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
	}
}

// syncBuffer is where a server logs while the test reads.
type syncBuffer = logbuf.Buffer

// records returns the JSON log records with the given message.
func logRecords(t testing.TB, b *syncBuffer, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "log line %q", line)
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func newAuthorizer(t testing.TB, cfg Config) (*Authorizer, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	az, err := New(t.Context(), cfg, testCatalog(t), log)
	require.NoError(t, err)
	return az, logs
}

// policyStandIn is the PolicyService the interceptor guards in these tests:
// fixed answers, and a record of the caller each handler saw.
type policyStandIn struct {
	pdpv1.UnimplementedPolicyServiceServer
	calls *callLog
}

// callLog records what handlers saw.
type callLog struct {
	mu      sync.Mutex
	callers []string // auth.Caller of each call that reached a handler, "" if none
}

func (l *callLog) add(ctx context.Context) {
	p, _ := Caller(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.callers = append(l.callers, p)
}

func (l *callLog) last() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.callers) == 0 {
		return "", 0
	}
	return l.callers[len(l.callers)-1], len(l.callers)
}

func (s *policyStandIn) ApplyChanges(ctx context.Context, _ *pdpv1.ApplyChangesRequest) (*pdpv1.ApplyChangesResponse, error) {
	s.calls.add(ctx)
	return &pdpv1.ApplyChangesResponse{Revision: 42}, nil
}

func (s *policyStandIn) GetEntity(ctx context.Context, req *pdpv1.GetEntityRequest) (*pdpv1.GetEntityResponse, error) {
	s.calls.add(ctx)
	return &pdpv1.GetEntityResponse{Entity: &pdpv1.Entity{Key: req.GetKey(), Document: "{}"}, Revision: 42}, nil
}

func (s *policyStandIn) ListEntities(ctx context.Context, _ *pdpv1.ListEntitiesRequest) (*pdpv1.ListEntitiesResponse, error) {
	s.calls.add(ctx)
	return &pdpv1.ListEntitiesResponse{Revision: 42}, nil
}

func (s *policyStandIn) GetHistory(ctx context.Context, _ *pdpv1.GetHistoryRequest) (*pdpv1.GetHistoryResponse, error) {
	s.calls.add(ctx)
	return &pdpv1.GetHistoryResponse{}, nil
}

func (s *policyStandIn) Diff(ctx context.Context, _ *pdpv1.DiffRequest) (*pdpv1.DiffResponse, error) {
	s.calls.add(ctx)
	return &pdpv1.DiffResponse{ToRevision: 42}, nil
}

func (s *policyStandIn) Rollback(ctx context.Context, _ *pdpv1.RollbackRequest) (*pdpv1.RollbackResponse, error) {
	s.calls.add(ctx)
	return &pdpv1.RollbackResponse{Revision: 43}, nil
}

func (s *policyStandIn) Export(ctx context.Context, _ *pdpv1.ExportRequest) (*pdpv1.ExportResponse, error) {
	s.calls.add(ctx)
	return &pdpv1.ExportResponse{Bundle: "{}", Revision: 42}, nil
}

func (s *policyStandIn) Import(ctx context.Context, _ *pdpv1.ImportRequest) (*pdpv1.ImportResponse, error) {
	s.calls.add(ctx)
	return &pdpv1.ImportResponse{Revision: 42}, nil
}

func (s *policyStandIn) Watch(_ *pdpv1.WatchRequest, stream pdpv1.PolicyService_WatchServer) error {
	s.calls.add(stream.Context())
	return stream.Send(&pdpv1.WatchResponse{Revision: 42, Progress: true})
}

// decisionStandIn is the AuthorizationService of these tests.
type decisionStandIn struct {
	pdpv1.UnimplementedAuthorizationServiceServer
	calls *callLog
}

func (s *decisionStandIn) Check(ctx context.Context, _ *pdpv1.CheckRequest) (*pdpv1.CheckResponse, error) {
	s.calls.add(ctx)
	return &pdpv1.CheckResponse{}, nil
}

// harness is a gRPC server over bufconn with the interceptors of an
// Authorizer in front of the stand-in services, and a client of it.
type harness struct {
	policy pdpv1.PolicyServiceClient
	decide pdpv1.AuthorizationServiceClient
	health healthpb.HealthClient
	calls  *callLog
}

// serve starts the harness. serverOpts and dialOpts add credentials for
// the TLS tests; without dialOpts the client is insecure.
func serve(t testing.TB, az *Authorizer, serverOpts []grpc.ServerOption, dialOpts ...grpc.DialOption) *harness {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	opts := append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(az.UnaryInterceptor()),
		grpc.ChainStreamInterceptor(az.StreamInterceptor()),
	}, serverOpts...)
	gs := grpc.NewServer(opts...)
	calls := &callLog{}
	pdpv1.RegisterPolicyServiceServer(gs, &policyStandIn{calls: calls})
	pdpv1.RegisterAuthorizationServiceServer(gs, &decisionStandIn{calls: calls})
	healthpb.RegisterHealthServer(gs, health.NewServer())
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)

	if len(dialOpts) == 0 {
		dialOpts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	dialOpts = append(dialOpts, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
		return lis.DialContext(ctx)
	}))
	conn, err := grpc.NewClient("passthrough:///bufnet", dialOpts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return &harness{policy: pdpv1.NewPolicyServiceClient(conn), decide: pdpv1.NewAuthorizationServiceClient(conn),
		health: healthpb.NewHealthClient(conn), calls: calls}
}

// as returns a context that sends the bearer token of principal.
func as(ctx context.Context, principal string) context.Context {
	return bearer(ctx, fixtureTokens[principal])
}

func bearer(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

func change(op pdpv1.ChangeOp, kind pdpv1.EntityKind, id string) *pdpv1.Change {
	return &pdpv1.Change{Op: op, Key: &pdpv1.EntityKey{Kind: kind, Id: id}, Document: "{}"}
}

func put(kind pdpv1.EntityKind, id string) *pdpv1.Change {
	return change(pdpv1.ChangeOp_CHANGE_OP_PUT, kind, id)
}

func key(kind pdpv1.EntityKind, id string) *pdpv1.EntityKey {
	return &pdpv1.EntityKey{Kind: kind, Id: id}
}
