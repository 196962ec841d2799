// Package servertest holds what the tests of the decision services
// (internal/server) and of the policy service (internal/admin) share: the
// principals and resources of examples/model they use, a fixed clock, a
// gRPC server over an in-memory listener, the decoding of a failed call's
// status, and Env, a server following a store with both services. It is
// imported by tests only.
package servertest

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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// The accounts, principals and resources of examples/model that the tests
// use.
const (
	// ExampleModel is examples/model, from a package two levels below the
	// module's root.
	ExampleModel = "../../examples/model"
	Marketing    = "111122223333"

	Alice       = "arn:aws:iam::111122223333:user/alice"
	Bob         = "arn:aws:iam::111122223333:user/bob"
	Carol       = "arn:aws:iam::111122223333:user/carol" // not in the model
	GrowthApp   = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app"
	SpringSale  = GrowthApp + "/campaigns/spring-sale"
	ActiveUsers = GrowthApp + "/segments/active-users"
	Retention   = "arn:aws:mobiletargeting:us-east-1:111122223333:apps/retention-app"
)

// FixedNow is the clock of every test server, so that decisions do not
// depend on when the tests run.
var FixedNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// MarketingUser is the ARN of a user of the marketing account.
func MarketingUser(name string) string { return "arn:aws:iam::" + Marketing + ":user/" + name }

// LoadCatalog loads the service catalog.
func LoadCatalog(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	cat, err := catalog.Load()
	require.NoError(tb, err, "catalog.Load")
	return cat
}

// ExampleSet loads examples/model.
func ExampleSet(tb testing.TB) *entity.Set {
	tb.Helper()
	set, err := entity.LoadDir(os.DirFS(ExampleModel), ".")
	require.NoError(tb, err, "load %s", ExampleModel)
	return set
}

// ModelSnapshot compiles the policy directory dir at revision.
func ModelSnapshot(tb testing.TB, cat *catalog.Catalog, dir string, revision int64) *snapshot.Snapshot {
	tb.Helper()
	set, err := entity.LoadDir(os.DirFS(dir), ".")
	require.NoError(tb, err, "load %s", dir)
	res, err := set.Resolve(cat)
	require.NoError(tb, err, "resolve %s", dir)
	snap, err := snapshot.Compile(cat, res, revision, nil)
	require.NoError(tb, err, "compile snapshot of %s", dir)
	return snap
}

// Dial serves whatever register adds over an in-memory listener and returns
// a client connection to it. Both stop when the test ends.
func Dial(tb testing.TB, register func(*grpc.Server)) *grpc.ClientConn {
	tb.Helper()
	lis := bufconn.Listen(1 << 20)
	gs := server.NewGRPCServer(server.GRPCConfig{}, nil)
	register(gs)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(tb, err, "grpc.NewClient")
	tb.Cleanup(func() {
		conn.Close()
		gs.Stop()
		if err := <-served; !errors.Is(err, grpc.ErrServerStopped) {
			assert.NoError(tb, err, "serve")
		}
	})
	return conn
}

// Str is a context value of one string.
func Str(v string) *pdpv1.ContextValue {
	return &pdpv1.ContextValue{Kind: &pdpv1.ContextValue_StringValue{StringValue: v}}
}

// CtxMap builds a request context from key, value pairs, the value a
// string or a *pdpv1.ContextValue.
func CtxMap(kv ...any) map[string]*pdpv1.ContextValue {
	m := make(map[string]*pdpv1.ContextValue, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case string:
			m[kv[i].(string)] = Str(v)
		case *pdpv1.ContextValue:
			m[kv[i].(string)] = v
		default:
			panic(fmt.Sprintf("CtxMap: value %T", v))
		}
	}
	return m
}

// UsEast is the context of a call over TLS to us-east-1 from the office
// network, which the example's SCPs and policies expect, plus kv.
func UsEast(kv ...any) map[string]*pdpv1.ContextValue {
	base := []any{"aws:RequestedRegion", "us-east-1", "aws:SecureTransport", "true", "aws:SourceIp", "203.0.113.7"}
	return CtxMap(append(base, kv...)...)
}

// RPCError is what a test checks of a failed call.
type RPCError struct {
	Code   codes.Code
	Fields []string // BadRequest field violations
	Reason string   // ErrorInfo reason
	Msg    string   // the status message, then every violation's description
}

func (e RPCError) String() string {
	return fmt.Sprintf("%v fields=%q reason=%q msg=%q", e.Code, e.Fields, e.Reason, e.Msg)
}

// DecodeError takes apart a gRPC error and its google.rpc details.
func DecodeError(err error) RPCError {
	st := status.Convert(err)
	out := RPCError{Code: st.Code(), Msg: st.Message()}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				out.Fields = append(out.Fields, v.GetField())
				out.Msg += " | " + v.GetDescription()
			}
		case *errdetails.ErrorInfo:
			out.Reason = d.GetReason()
		}
	}
	return out
}

// HasField reports whether one of the fields is want or starts with want
// followed by '.'.
func HasField(fields []string, want string) bool {
	return slices.ContainsFunc(fields, func(f string) bool {
		return f == want || strings.HasPrefix(f, want+".")
	})
}

// CheckError compares a decoded error with what a test wants. A wanted
// field matches a field equal to it or inside it ("session_policies[0]"
// matches "session_policies[0].Statement[0].Action").
func CheckError(t *testing.T, got RPCError, code codes.Code, fields []string, reason, msg string) {
	t.Helper()
	assert.Equal(t, code, got.Code, "code of %v", got)
	if assert.Len(t, got.Fields, len(fields), "fields of %v, want %q", got, fields) {
		for i, want := range fields {
			assert.True(t, HasField(got.Fields[i:i+1], want), "field %d of %v is not %q or inside it", i, got, want)
		}
	}
	if reason != "" {
		assert.Equal(t, reason, got.Reason, "reason of %v", got)
	}
	if msg != "" {
		assert.Contains(t, got.Msg, msg, "message of %v", got)
	}
}
