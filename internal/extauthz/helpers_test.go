package extauthz_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/auth"
	"github.com/pdp-dev/pdp/internal/decisionlog"
	"github.com/pdp-dev/pdp/internal/extauthz"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// fixedNow is the server's clock in tests.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Principals of examples/model.
const (
	alice     = "arn:aws:iam::111122223333:user/alice"
	bob       = "arn:aws:iam::111122223333:user/bob"
	analyst   = "arn:aws:sts::111122223333:assumed-role/analyst/s1"
	smsSender = "arn:aws:sts::111122223333:assumed-role/sms-sender/s1"
	partner   = "arn:aws:sts::444455556666:assumed-role/partner-analytics/s1"
)

// identities maps the peers of the tests to principals of examples/model.
const identities = `{
  "spiffe://example.org/alice": "arn:aws:iam::111122223333:user/alice",
  "spiffe://example.org/bob": "arn:aws:iam::111122223333:user/bob",
  "spiffe://example.org/analyst": "arn:aws:sts::111122223333:assumed-role/analyst/s1",
  "spiffe://example.org/sms": "arn:aws:sts::111122223333:assumed-role/sms-sender/s1",
  "spiffe://example.org/ghost": "arn:aws:iam::111122223333:user/ghost",
  "alice@example.org": "arn:aws:iam::111122223333:user/alice"
}`

// decisions records what the server's OnDecision hook saw.
type decisions struct {
	mu      sync.Mutex
	records []decisionlog.Record
}

func (d *decisions) onDecision(_ context.Context, r decisionlog.Record) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.records = append(d.records, r)
}

func (d *decisions) take() []decisionlog.Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.records
	d.records = nil
	return out
}

// contextOf flattens a record's context.
func contextOf(r decisionlog.Record) map[string][]string {
	out := map[string][]string{}
	if r.Context != nil {
		r.Context.Each(func(k string, vs []string, _ bool) { out[k] = append([]string(nil), vs...) })
	}
	return out
}

// env is a pdp server deciding examples/model, serving Check and
// ext_authz over bufconn.
type env struct {
	authz authv3.AuthorizationClient
	check pdpv1.AuthorizationServiceClient
	seen  *decisions
}

func loadCatalog(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	cat, err := catalog.Load()
	require.NoError(tb, err)
	return cat
}

// newEnv starts a server on examples/model with an ext_authz service of
// cfg (its Identities from the identities above when nil).
func newEnv(tb testing.TB, cfg extauthz.Config) *env {
	tb.Helper()
	e, _, _ := newEnvParts(tb, cfg)
	return e
}

// newEnvParts is newEnv, also returning the server and the service.
func newEnvParts(tb testing.TB, cfg extauthz.Config) (*env, *server.Server, *extauthz.Service) {
	tb.Helper()
	cat := loadCatalog(tb)
	set, err := entity.LoadDir(os.DirFS("../../examples/model"), ".")
	require.NoError(tb, err)
	res, err := set.Resolve(cat)
	require.NoError(tb, err)
	snap, err := snapshot.Compile(cat, res, 1, nil)
	require.NoError(tb, err)
	seen := &decisions{}
	srv := server.New(server.Config{Clock: func() time.Time { return fixedNow }, Hooks: server.Hooks{OnDecision: seen.onDecision}}, cat, nil)
	srv.Activate(snap)
	if cfg.Identities == nil {
		ids, err := auth.ParseIdentities("identities.json", []byte(identities))
		require.NoError(tb, err)
		cfg.Identities = ids
	}
	svc, err := extauthz.New(cfg, srv, nil)
	require.NoError(tb, err)

	lis := bufconn.Listen(1 << 20)
	gs := server.NewGRPCServer(server.GRPCConfig{}, nil)
	srv.Register(gs)
	svc.Register(gs)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(tb, err)
	tb.Cleanup(func() {
		conn.Close()
		gs.Stop()
		if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			tb.Errorf("serve: %v", err)
		}
	})
	return &env{authz: authv3.NewAuthorizationClient(conn), check: pdpv1.NewAuthorizationServiceClient(conn), seen: seen}, srv, svc
}

// httpReq describes the request Envoy holds.
type httpReq struct {
	method, path, host string
	headers            map[string]string // lower-case names, as Envoy sends them
	body               string
	rawBody            bool           // send body as raw_body (bytes, as pack_as_bytes does), not body (UTF-8)
	peer               string         // attributes.source.principal
	jwt                map[string]any // jwt_authn's metadata; nil for none
	sourceIP           string
	tls                bool
}

// envoyRequest builds a CheckRequest as Envoy's ext_authz filter does.
func envoyRequest(tb testing.TB, r httpReq) *authv3.CheckRequest {
	tb.Helper()
	if r.host == "" {
		r.host = "pinpoint.us-east-1.amazonaws.com"
	}
	if r.sourceIP == "" {
		r.sourceIP = "203.0.113.7"
	}
	scheme := "http"
	if r.tls {
		scheme = "https"
	}
	headers := map[string]string{":authority": r.host, ":method": r.method, ":path": r.path, "user-agent": "aws-sdk-go-v2"}
	for k, v := range r.headers {
		headers[k] = v
	}
	attrs := &authv3.AttributeContext{
		Source: &authv3.AttributeContext_Peer{
			Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
				Address: r.sourceIP, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 51234}}}},
			Principal: r.peer,
		},
		Request: &authv3.AttributeContext_Request{
			Time: timestamppb.New(fixedNow),
			Http: &authv3.AttributeContext_HttpRequest{
				Id: "req-1", Method: r.method, Path: r.path, Host: r.host, Scheme: scheme,
				Headers: headers, Body: r.body, Size: int64(len(r.body)), Protocol: "HTTP/1.1",
			},
		},
	}
	if r.rawBody {
		attrs.Request.Http.Body, attrs.Request.Http.RawBody = "", []byte(r.body)
	}
	if r.tls {
		attrs.TlsSession = &authv3.AttributeContext_TLSSession{Sni: r.host}
	}
	if r.jwt != nil {
		st, err := structpb.NewStruct(r.jwt)
		require.NoError(tb, err)
		attrs.MetadataContext = &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{extauthz.JWTFilter: st}}
	}
	return &authv3.CheckRequest{Attributes: attrs}
}

// arnPath escapes an ARN as one path segment.
func arnPath(arn string) string { return url.PathEscape(arn) }
