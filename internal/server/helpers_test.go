package server_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// The accounts, principals and resources of examples/model that the tests
// use.
const (
	exampleModel   = "../../examples/model"
	lockdownModel  = "testdata/lockdown"
	marketing      = "111122223333"
	partnerAccount = "444455556666"

	alice       = "arn:aws:iam::111122223333:user/alice"
	bob         = "arn:aws:iam::111122223333:user/bob"
	analyst     = "arn:aws:sts::111122223333:assumed-role/analyst/report-job"
	smsSender   = "arn:aws:sts::111122223333:assumed-role/sms-sender/notifier"
	partner     = "arn:aws:sts::444455556666:assumed-role/partner-analytics/nightly"
	stranger    = "arn:aws:iam::111122223333:user/carol" // not in the model
	growthApp   = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app"
	springSale  = growthApp + "/campaigns/spring-sale"
	activeUsers = growthApp + "/segments/active-users"
	retention   = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/retention-app"
	winBack     = retention + "/campaigns/win-back"
	smsPool     = "arn:aws:sms-voice:us-east-1:111122223333:pool/pool-marketing"
	optOutList  = "arn:aws:sms-voice:us-east-1:111122223333:opt-out-list/Default"
)

// fixedNow is the clock of every test server, so that decisions do not
// depend on when the tests run.
var fixedNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func loadCatalog(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	cat, err := catalog.Load()
	if err != nil {
		tb.Fatalf("catalog.Load: %v", err)
	}
	return cat
}

// exampleSnapshot compiles examples/model at revision.
func exampleSnapshot(tb testing.TB, cat *catalog.Catalog, revision int64) *server.Snapshot {
	tb.Helper()
	return modelSnapshot(tb, cat, exampleModel, revision)
}

// modelSnapshot compiles the policy directory dir at revision.
func modelSnapshot(tb testing.TB, cat *catalog.Catalog, dir string, revision int64) *server.Snapshot {
	tb.Helper()
	set, err := entity.LoadDir(os.DirFS(dir), ".")
	if err != nil {
		tb.Fatalf("load %s: %v", dir, err)
	}
	res, err := set.Resolve(cat)
	if err != nil {
		tb.Fatalf("resolve %s: %v", dir, err)
	}
	snap, err := server.CompileSnapshot(cat, res, revision, nil)
	if err != nil {
		tb.Fatalf("compile snapshot of %s: %v", dir, err)
	}
	return snap
}

// dial serves whatever register adds over an in-memory listener and returns
// a client connection to it. Both stop when the test ends.
func dial(tb testing.TB, register func(*grpc.Server)) *grpc.ClientConn {
	tb.Helper()
	lis := bufconn.Listen(1 << 20)
	gs := server.NewGRPCServer(server.GRPCConfig{}, nil)
	register(gs)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatalf("grpc.NewClient: %v", err)
	}
	tb.Cleanup(func() {
		conn.Close()
		gs.Stop()
		if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			tb.Errorf("serve: %v", err)
		}
	})
	return conn
}

// testServer is a pdp server over bufconn with its client.
type testServer struct {
	srv    *server.Server
	cat    *catalog.Catalog
	client pdpv1.AuthorizationServiceClient
	conn   *grpc.ClientConn
}

// newServer starts a server with no snapshot; cfg.Clock defaults to
// fixedNow.
func newServer(tb testing.TB, cfg server.Config) *testServer {
	tb.Helper()
	if cfg.Clock == nil {
		cfg.Clock = func() time.Time { return fixedNow }
	}
	cat := loadCatalog(tb)
	srv := server.New(cfg, cat, nil)
	conn := dial(tb, srv.Register)
	return &testServer{srv: srv, cat: cat, client: pdpv1.NewAuthorizationServiceClient(conn), conn: conn}
}

// newExampleServer starts a server serving examples/model at revision 1.
func newExampleServer(tb testing.TB) *testServer {
	tb.Helper()
	ts := newServer(tb, server.Config{})
	ts.srv.Activate(exampleSnapshot(tb, ts.cat, 1))
	return ts
}

func str(v string) *pdpv1.ContextValue {
	return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: v}}
}

func list(vs ...string) *pdpv1.ContextValue {
	return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_ListValue{ListValue: &pdpv1.StringList{Values: vs}}}
}

// ctxMap builds a request context from key, value pairs, the value a
// string or a *pdpv1.ContextValue.
func ctxMap(kv ...any) map[string]*pdpv1.ContextValue {
	m := make(map[string]*pdpv1.ContextValue, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case string:
			m[kv[i].(string)] = str(v)
		case *pdpv1.ContextValue:
			m[kv[i].(string)] = v
		default:
			panic(fmt.Sprintf("ctxMap: value %T", v))
		}
	}
	return m
}

// usEast is the context of a call over TLS to us-east-1 from the office
// network, which the example's SCPs and policies expect, plus kv.
func usEast(kv ...any) map[string]*pdpv1.ContextValue {
	base := []any{"aws:RequestedRegion", "us-east-1", "aws:SecureTransport", "true", "aws:SourceIp", "203.0.113.7"}
	return ctxMap(append(base, kv...)...)
}

// rpcError is what a test checks of a failed call.
type rpcError struct {
	code   codes.Code
	fields []string // BadRequest field violations
	reason string   // ErrorInfo reason
	msg    string   // the status message, then every violation's description
}

func (e rpcError) String() string {
	return fmt.Sprintf("%v fields=%q reason=%q msg=%q", e.code, e.fields, e.reason, e.msg)
}

// decodeError takes apart a gRPC error and its google.rpc details.
func decodeError(err error) rpcError {
	st := status.Convert(err)
	out := rpcError{code: st.Code(), msg: st.Message()}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				out.fields = append(out.fields, v.GetField())
				out.msg += " | " + v.GetDescription()
			}
		case *errdetails.ErrorInfo:
			out.reason = d.GetReason()
		}
	}
	return out
}

// hasField reports whether one of the fields is want or starts with want
// followed by '.'.
func hasField(fields []string, want string) bool {
	return slices.ContainsFunc(fields, func(f string) bool {
		return f == want || strings.HasPrefix(f, want+".")
	})
}
