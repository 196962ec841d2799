package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/boltstore"
	"github.com/pdp-dev/pdp/pkg/store/memstore"
)

// carol is the user the admin tests add to and remove from the model
// (examples/model does not have her).
const carol = stranger

// waitTimeout bounds every wait of the admin tests: a follower catching up,
// a stream delivering, a goroutine ending.
const waitTimeout = 10 * time.Second

// logBuffer is a buffer a server's logger writes while a test reads it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// storeBackends are the stores the admin API is tested over.
var storeBackends = []struct {
	name string
	open func(t *testing.T, o store.Options) store.Store
}{
	{name: "memstore", open: func(_ *testing.T, o store.Options) store.Store { return memstore.New(o) }},
	{name: "boltstore", open: func(t *testing.T, o store.Options) store.Store {
		st, err := boltstore.Open(filepath.Join(t.TempDir(), "pdp.db"), o)
		if err != nil {
			t.Fatalf("boltstore.Open: %v", err)
		}
		return st
	}},
}

// adminOptions configure newAdminEnv.
type adminOptions struct {
	store    store.Store // default: an empty memstore; closed when the test ends
	noSeed   bool        // leave the store empty instead of seeding examples/model
	noFollow bool        // do not start the follower
	// follow, when set, is the store the follower reads (a wrapper of
	// store); the policy service always uses store itself.
	follow store.Store
	config server.Config // Clock defaults to fixedNow
}

// adminEnv is a pdp server that follows a store, serving the authorization
// and policy services, and health, over bufconn.
type adminEnv struct {
	st      store.Store
	follows store.Store // what the follower reads: st, or a wrapper of it
	srv     *server.Server
	cat     *catalog.Catalog
	authz   pdpv1.AuthorizationServiceClient
	admin   pdpv1.PolicyServiceClient
	health  healthpb.HealthClient
	log     *logBuffer
	seedRev int64 // the revision examples/model was seeded as; 0 without seeding

	mu sync.Mutex
	// follower is the running Follow, or nil.
	follower *follower
}

// follower is one srv.Follow running in a goroutine the test owns.
type follower struct {
	cancel context.CancelFunc
	done   chan error // receives Follow's result
}

// newAdminEnv starts a server over o.store, seeded with examples/model and
// followed unless o says not. Everything stops when the test ends: the
// follower, then the gRPC server, then the store.
func newAdminEnv(t *testing.T, o adminOptions) *adminEnv {
	t.Helper()
	st := o.store
	if st == nil {
		st = memstore.New(store.Options{})
	}
	t.Cleanup(func() { st.Close() })
	cat := loadCatalog(t)
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := o.config
	if cfg.Clock == nil {
		cfg.Clock = func() time.Time { return fixedNow }
	}
	e := &adminEnv{st: st, follows: st, cat: cat, log: logs, srv: server.New(cfg, cat, log)}
	if o.follow != nil {
		e.follows = o.follow
	}
	if !o.noSeed {
		rev, seeded, err := server.Seed(t.Context(), cat, st, exampleSet(t), "seed examples/model")
		if err != nil || !seeded {
			t.Fatalf("Seed = %d, %v, %v; want a first revision", rev, seeded, err)
		}
		e.seedRev = rev
	}
	conn := dial(t, func(gs *grpc.Server) {
		e.srv.Register(gs)
		server.NewPolicyAdmin(e.srv, st).Register(gs)
	})
	e.authz = pdpv1.NewAuthorizationServiceClient(conn)
	e.admin = pdpv1.NewPolicyServiceClient(conn)
	e.health = healthpb.NewHealthClient(conn)
	t.Cleanup(func() {
		if err := e.stopFollowing(); err != nil {
			t.Errorf("follower: %v", err)
		}
	})
	if !o.noFollow {
		e.startFollowing(t)
		if e.seedRev > 0 {
			e.waitRevision(t, e.seedRev)
		}
	}
	return e
}

// exampleSet loads examples/model.
func exampleSet(tb testing.TB) *entity.Set {
	tb.Helper()
	set, err := entity.LoadDir(os.DirFS(exampleModel), ".")
	if err != nil {
		tb.Fatalf("load %s: %v", exampleModel, err)
	}
	return set
}

// startFollowing runs srv.Follow(follows) until stopFollowing or the end of the
// test.
func (e *adminEnv) startFollowing(t *testing.T) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.follower != nil {
		t.Fatal("startFollowing: already following")
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	f := &follower{cancel: cancel, done: make(chan error, 1)}
	go func() { f.done <- e.srv.Follow(ctx, e.follows) }()
	e.follower = f
}

// stopFollowing stops the follower, if one runs, and waits for it. Follow
// must end with the context's error and nothing else.
func (e *adminEnv) stopFollowing() error {
	e.mu.Lock()
	f := e.follower
	e.follower = nil
	e.mu.Unlock()
	if f == nil {
		return nil
	}
	f.cancel()
	select {
	case err := <-f.done:
		if err != nil && err != context.Canceled {
			return err
		}
		return nil
	case <-time.After(waitTimeout):
		return context.DeadlineExceeded
	}
}

// revision is the revision of the server's current snapshot, 0 before the
// first.
func (e *adminEnv) revision() int64 {
	if snap := e.srv.Current(); snap != nil {
		return snap.Revision()
	}
	return 0
}

// waitRevision waits until the server's snapshot is at least at rev.
func (e *adminEnv) waitRevision(t *testing.T, rev int64) {
	t.Helper()
	waitFor(t, func() bool { return e.revision() >= rev }, "the server at revision %d (it is at %d)", rev, e.revision)
}

// waitFor polls cond every few milliseconds until it holds, failing the
// test after waitTimeout. Arguments that are func() int64 are called when
// the message is written.
func waitFor(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	waitWithin(t, waitTimeout, cond, format, args...)
}

// waitWithin is waitFor with a limit of d.
func waitWithin(t *testing.T, d time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			for i, a := range args {
				if f, ok := a.(func() int64); ok {
					args[i] = f()
				}
			}
			t.Fatalf("waited %v for "+format, append([]any{d}, args...)...)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// apply applies changes and returns the new revision, failing the test on
// an error.
func (e *adminEnv) apply(t *testing.T, msg string, changes ...*pdpv1.Change) int64 {
	t.Helper()
	resp, err := e.admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: changes, Message: msg})
	if err != nil {
		t.Fatalf("ApplyChanges(%s): %v", msg, err)
	}
	return resp.GetRevision()
}

// export returns the bundle and revision Export gives for rev (0: current).
func (e *adminEnv) export(t *testing.T, rev int64) (string, int64) {
	t.Helper()
	resp, err := e.admin.Export(t.Context(), &pdpv1.ExportRequest{Revision: rev})
	if err != nil {
		t.Fatalf("Export(%d): %v", rev, err)
	}
	return resp.GetBundle(), resp.GetRevision()
}

// storeRevision is the store's current revision.
func (e *adminEnv) storeRevision(t *testing.T) int64 {
	t.Helper()
	rev, err := e.st.Revision(t.Context())
	if err != nil {
		t.Fatalf("store revision: %v", err)
	}
	return rev
}

// healthOf returns the health the server reports for a service.
func (e *adminEnv) healthOf(ctx context.Context, service string) (healthpb.HealthCheckResponse_ServingStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	resp, err := e.health.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	return resp.GetStatus(), err
}

// asAuthor returns ctx with the metadata that names the author of changes.
func asAuthor(ctx context.Context, name string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "x-pdp-author", name)
}

// userDoc is the store document of a user of the marketing account.
func userDoc(arn string, groups ...string) string {
	doc, err := json.Marshal(entity.User{ARN: arn, Groups: groups, Tags: map[string]string{"team": "growth"}})
	if err != nil {
		panic(err)
	}
	return string(doc)
}

func key(kind pdpv1.EntityKind, id string) *pdpv1.EntityKey {
	return &pdpv1.EntityKey{Kind: kind, Id: id}
}

func userKey(arn string) *pdpv1.EntityKey { return key(pdpv1.EntityKind_ENTITY_KIND_USER, arn) }

func putChange(k *pdpv1.EntityKey, doc string) *pdpv1.Change {
	return &pdpv1.Change{Op: pdpv1.ChangeOp_CHANGE_OP_PUT, Key: k, Document: doc}
}

func deleteChange(k *pdpv1.EntityKey) *pdpv1.Change {
	return &pdpv1.Change{Op: pdpv1.ChangeOp_CHANGE_OP_DELETE, Key: k}
}

// putCarol puts carol in the given groups of the marketing account.
func putCarol(groups ...string) *pdpv1.Change {
	return putChange(userKey(carol), userDoc(carol, groups...))
}

// carolReadsSegment is a Check that the marketing group allows: carol
// reading the growth app's active-users segment.
func carolReadsSegment(minRevision int64) *pdpv1.CheckRequest {
	return &pdpv1.CheckRequest{Principal: carol, Action: "mobiletargeting:GetSegment", Resource: activeUsers,
		Context: usEast(), MinRevision: minRevision}
}

// changeStrings writes changes compactly, "put user/ARN", for comparison.
func changeStrings(cs []*pdpv1.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		op := "put"
		if c.GetOp() == pdpv1.ChangeOp_CHANGE_OP_DELETE {
			op = "delete"
		}
		out[i] = op + " " + c.GetKey().GetKind().String() + "/" + c.GetKey().GetId()
	}
	return out
}
