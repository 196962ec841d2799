package audit_test

import (
	"bufio"
	"bytes"
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
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/admin"
	"github.com/pdp-dev/pdp/internal/audit"
	"github.com/pdp-dev/pdp/internal/auth"
	"github.com/pdp-dev/pdp/internal/logbuf"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/memstore"
)

// Principals of the tests and their bearer tokens.
const (
	adminARN  = "arn:aws:iam::111122223333:role/pdp-admin"
	readerARN = "arn:aws:iam::111122223333:user/reader"
	nobodyARN = "arn:aws:iam::111122223333:user/nobody" // has a token, no admin policy
	alice     = "arn:aws:iam::111122223333:user/alice"
	carol     = "arn:aws:iam::111122223333:user/carol" // not in examples/model
)

var tokens = map[string]string{
	adminARN:  "admin-3vQ8nR1tZ6xK0pL5wB9mD2hF7jC4sY",
	readerARN: "reader-Wq2Ez6Rt0Yu4Io8Pa1Sd5Fg9Hj3Kl7",
	nobodyARN: "nobody-Zx7Cv1Bn5Mq9We3Rt6Yu0Io4Pa8Sd2",
}

const adminPolicies = `{
  "principals": {
    "arn:aws:iam::111122223333:role/pdp-admin": [
      {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "pdp:*", "Resource": "*"}]}
    ],
    "arn:aws:iam::111122223333:user/reader": [
      {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["pdp:Get*", "pdp:ListEntities"], "Resource": "*"}]}
    ]
  }
}`

// fixedNow stamps every record of the tests.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))

// wantTime is fixedNow as records write it.
const wantTime = "2026-03-01T11:00:00.123456789Z"

// A sink is an audit log sink the test reads; err makes Write fail and
// syncErr makes Sync fail.
type sink struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	err     error
	syncErr error
	syncs   int           // lines synced: the number of lines written at each Sync, summed
	changed chan struct{} // closed by the next Write; nil until waitWrite asks
}

// waitWrite returns a channel closed by the next Write.
func (s *sink) waitWrite() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	if s.err != nil {
		return 0, s.err
	}
	return s.buf.Write(p)
}

func (s *sink) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.syncErr != nil {
		return s.syncErr
	}
	s.syncs++
	return nil
}

func (s *sink) records(t *testing.T) []audit.Record {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	return decode(t, s.buf.Bytes())
}

func (s *sink) synced() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.syncs
}

// decode reads JSON lines into records, failing on unknown fields.
func decode(t *testing.T, data []byte) []audit.Record {
	t.Helper()
	var out []audit.Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		var r audit.Record
		require.NoError(t, dec.Decode(&r), "line %q", sc.Text())
		out = append(out, r)
	}
	require.NoError(t, sc.Err())
	return out
}

// envOptions configure newEnv.
type envOptions struct {
	sink       any  // an io.Writer; default a new *sink
	openAdmin  bool // admin calls need no authentication (as on loopback)
	writeBurst int  // writes each caller may make; default 100
	maxKeys    int
	wrapStore  func(store.Store) store.Store // what the policy service reads and writes
}

// env is a pdp server over bufconn whose admin API is guarded by real
// authentication, admin policies and write limits, recorded by an audit
// Logger.
type env struct {
	st      store.Store
	admin   pdpv1.PolicyServiceClient
	audit   *audit.Logger
	sink    *sink // nil when envOptions.sink was given
	logs    *logbuf.Buffer
	seedRev int64
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	cat, err := catalog.Load()
	require.NoError(t, err)
	var st store.Store = memstore.New(store.Options{})
	t.Cleanup(func() { st.Close() })
	e := &env{st: st, logs: &logbuf.Buffer{}}
	{
		set, err := entity.LoadDir(os.DirFS("../../examples/model"), ".")
		require.NoError(t, err)
		rev, seeded, err := admin.Seed(t.Context(), cat, st, set, "seed examples/model")
		require.NoError(t, err)
		require.True(t, seeded)
		e.seedRev = rev
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	dir := t.TempDir()
	var tf strings.Builder
	for p, tok := range tokens {
		tf.WriteString(auth.HashToken(tok) + " " + p + "\n")
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tokens.txt"), []byte(tf.String()), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "admin.json"), []byte(adminPolicies), 0o600))
	az, err := auth.New(t.Context(), auth.Config{TokenFile: filepath.Join(dir, "tokens.txt"),
		AdminPolicies: filepath.Join(dir, "admin.json"), RequireAuth: !o.openAdmin}, cat, log)
	require.NoError(t, err)

	out, ok := o.sink.(interface{ Write([]byte) (int, error) })
	if !ok {
		e.sink = &sink{}
		out = e.sink
	}
	e.audit = audit.New(audit.Config{MaxKeys: o.maxKeys, Revision: st.Revision, Clock: func() time.Time { return fixedNow }}, out, log)
	burst := o.writeBurst
	if burst == 0 {
		burst = 100
	}
	guards := []grpc.UnaryServerInterceptor{az.UnaryInterceptor(), admin.NewWriteLimiter(1e-9, burst).UnaryInterceptor()}
	gs := server.NewGRPCServer(server.GRPCConfig{
		Unary:  e.audit.UnaryInterceptors(guards...),
		Stream: e.audit.StreamInterceptors(az.StreamInterceptor()),
	}, log)
	srv := server.New(server.Config{}, cat, log)
	srv.Register(gs)
	served := st
	if o.wrapStore != nil {
		served = o.wrapStore(st)
	}
	admin.NewPolicyAdmin(admin.Config{}, cat, served, log).Register(gs)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	e.admin = pdpv1.NewPolicyServiceClient(conn)
	return e
}

// as returns a context that sends principal's bearer token and a request id.
func as(ctx context.Context, principal, requestID string) context.Context {
	if tok, ok := tokens[principal]; ok {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	}
	if requestID != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", requestID)
	}
	return ctx
}

func storeRevision(t *testing.T, st store.Store) int64 {
	t.Helper()
	rev, err := st.Revision(t.Context())
	require.NoError(t, err)
	return rev
}

func rev(n int64) *int64 { return &n }

func userKey(arn string) *pdpv1.EntityKey {
	return &pdpv1.EntityKey{Kind: pdpv1.EntityKind_ENTITY_KIND_USER, Id: arn}
}

func userDoc(arn string) string {
	doc, err := json.Marshal(entity.User{ARN: arn})
	if err != nil {
		panic(err)
	}
	return string(doc)
}

func putUser(arn string) *pdpv1.Change {
	return &pdpv1.Change{Op: pdpv1.ChangeOp_CHANGE_OP_PUT, Key: userKey(arn), Document: userDoc(arn)}
}
