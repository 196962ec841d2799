package server_test

import (
	"testing"
	"time"

	"google.golang.org/grpc"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/servertest"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
)

// The accounts, principals and resources of examples/model that the tests
// use.
const (
	exampleModel   = servertest.ExampleModel
	lockdownModel  = "testdata/lockdown"
	marketing      = servertest.Marketing
	partnerAccount = "444455556666"

	alice       = servertest.Alice
	bob         = servertest.Bob
	analyst     = "arn:aws:sts::111122223333:assumed-role/analyst/report-job"
	smsSender   = "arn:aws:sts::111122223333:assumed-role/sms-sender/notifier"
	partner     = "arn:aws:sts::444455556666:assumed-role/partner-analytics/nightly"
	stranger    = servertest.Carol // not in the model
	growthApp   = servertest.GrowthApp
	springSale  = servertest.SpringSale
	activeUsers = servertest.ActiveUsers
	retention   = servertest.Retention
	winBack     = retention + "/campaigns/win-back"
	smsPool     = "arn:aws:sms-voice:us-east-1:111122223333:pool/pool-marketing"
	optOutList  = "arn:aws:sms-voice:us-east-1:111122223333:opt-out-list/Default"
)

// fixedNow is the clock of every test server, so that decisions do not
// depend on when the tests run.
var fixedNow = servertest.FixedNow

func loadCatalog(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	return servertest.LoadCatalog(tb)
}

// exampleSnapshot compiles examples/model at revision.
func exampleSnapshot(tb testing.TB, cat *catalog.Catalog, revision int64) *snapshot.Snapshot {
	tb.Helper()
	return servertest.ModelSnapshot(tb, cat, exampleModel, revision)
}

// modelSnapshot compiles the policy directory dir at revision.
func modelSnapshot(tb testing.TB, cat *catalog.Catalog, dir string, revision int64) *snapshot.Snapshot {
	tb.Helper()
	return servertest.ModelSnapshot(tb, cat, dir, revision)
}

// dial serves whatever register adds over an in-memory listener and returns
// a client connection to it. Both stop when the test ends.
func dial(tb testing.TB, register func(*grpc.Server)) *grpc.ClientConn {
	tb.Helper()
	return servertest.Dial(tb, register)
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

func str(v string) *pdpv1.ContextValue { return servertest.Str(v) }

func list(vs ...string) *pdpv1.ContextValue {
	return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_ListValue{ListValue: &pdpv1.StringList{Values: vs}}}
}

// ctxMap builds a request context from key, value pairs, the value a
// string or a *pdpv1.ContextValue.
func ctxMap(kv ...any) map[string]*pdpv1.ContextValue { return servertest.CtxMap(kv...) }

// usEast is the context of a call over TLS to us-east-1 from the office
// network, which the example's SCPs and policies expect, plus kv.
func usEast(kv ...any) map[string]*pdpv1.ContextValue { return servertest.UsEast(kv...) }

// rpcError is what a test checks of a failed call.
type rpcError = servertest.RPCError

// decodeError takes apart a gRPC error and its google.rpc details.
func decodeError(err error) rpcError { return servertest.DecodeError(err) }

// hasField reports whether one of the fields is want or starts with want
// followed by '.'.
func hasField(fields []string, want string) bool { return servertest.HasField(fields, want) }
