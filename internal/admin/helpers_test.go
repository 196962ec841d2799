package admin_test

import (
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/servertest"
	"github.com/pdp-dev/pdp/pkg/catalog"
)

// The accounts, principals and resources of examples/model that the tests
// use.
const (
	exampleModel = servertest.ExampleModel
	marketing    = servertest.Marketing

	alice       = servertest.Alice
	bob         = servertest.Bob
	stranger    = servertest.Carol // not in the model
	springSale  = servertest.SpringSale
	activeUsers = servertest.ActiveUsers
	retention   = servertest.Retention

	implicitDeny = pdpv1.Decision_DECISION_IMPLICIT_DENY
)

// fixedNow is the clock of every test server.
var fixedNow = servertest.FixedNow

func loadCatalog(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	return servertest.LoadCatalog(tb)
}

// dial serves whatever register adds over an in-memory listener and returns
// a client connection to it. Both stop when the test ends.
func dial(tb testing.TB, register func(*grpc.Server)) *grpc.ClientConn {
	tb.Helper()
	return servertest.Dial(tb, register)
}

// usEast is the context of a call over TLS to us-east-1 from the office
// network, which the example's SCPs and policies expect, plus kv.
func usEast(kv ...any) map[string]*pdpv1.ContextValue { return servertest.UsEast(kv...) }

// rpcError is what a test checks of a failed call.
type rpcError = servertest.RPCError

// decodeError takes apart a gRPC error and its google.rpc details.
func decodeError(err error) rpcError { return servertest.DecodeError(err) }

// checkError compares a decoded error with what a test wants (see
// servertest.CheckError).
func checkError(t *testing.T, got rpcError, code codes.Code, fields []string, reason, msg string) {
	t.Helper()
	servertest.CheckError(t, got, code, fields, reason, msg)
}

// exampleServer is a decision server serving examples/model at revision 1,
// with its client.
type exampleServer struct {
	srv    *server.Server
	client pdpv1.AuthorizationServiceClient
}

// newExampleServer starts a server serving examples/model at revision 1.
func newExampleServer(tb testing.TB) *exampleServer {
	tb.Helper()
	cat := loadCatalog(tb)
	srv := server.New(server.Config{Clock: func() time.Time { return fixedNow }}, cat, nil)
	srv.Activate(servertest.ModelSnapshot(tb, cat, exampleModel, 1))
	conn := dial(tb, srv.Register)
	return &exampleServer{srv: srv, client: pdpv1.NewAuthorizationServiceClient(conn)}
}

// newAccessClient serves the access service of an examples/model server.
func newAccessClient(t *testing.T) (*servertest.Env, pdpv1.AccessServiceClient) {
	e := servertest.NewEnv(t, servertest.Options{})
	conn := dial(t, func(gs *grpc.Server) { server.NewAccess(e.Srv, e.St).Register(gs) })
	return e, pdpv1.NewAccessServiceClient(conn)
}
