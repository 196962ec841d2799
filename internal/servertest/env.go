package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/admin"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/boltstore"
	"github.com/pdp-dev/pdp/pkg/store/memstore"
)

// WaitTimeout bounds every wait of the tests over an Env: a follower
// catching up, a stream delivering, a goroutine ending. It is generous
// because the race detector on two shared cores can slow a follower's
// backoff and reload by several times; a passing wait returns at once.
const WaitTimeout = 30 * time.Second

// A LogBuffer is a buffer a server's logger writes while a test reads it.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p to the buffer.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StoreBackends are the stores the policy service is tested over.
var StoreBackends = []struct {
	Name string
	Open func(t *testing.T, o store.Options) store.Store
}{
	{Name: "memstore", Open: func(_ *testing.T, o store.Options) store.Store { return memstore.New(o) }},
	{Name: "boltstore", Open: func(t *testing.T, o store.Options) store.Store {
		st, err := boltstore.Open(filepath.Join(t.TempDir(), "pdp.db"), o)
		require.NoError(t, err, "boltstore.Open")
		return st
	}},
}

// Options configure NewEnv.
type Options struct {
	Store    store.Store // default: an empty memstore; closed when the test ends
	NoSeed   bool        // leave the store empty instead of seeding examples/model
	NoFollow bool        // do not start the follower
	// Follow, when set, is the store the follower reads (a wrapper of
	// Store); the policy service always uses Store itself.
	Follow store.Store
	Config server.Config // Clock defaults to FixedNow
	Admin  admin.Config  // limits of the policy service
}

// An Env is a pdp server that follows a store, serving the authorization
// and policy services, and health, over bufconn.
type Env struct {
	St      store.Store
	follows store.Store // what the follower reads: St, or a wrapper of it
	Srv     *server.Server
	Cat     *catalog.Catalog
	Authz   pdpv1.AuthorizationServiceClient
	Admin   pdpv1.PolicyServiceClient
	Health  healthpb.HealthClient
	Log     *LogBuffer
	SeedRev int64 // the revision examples/model was seeded as; 0 without seeding

	mu sync.Mutex
	// follower is the running Follow, or nil.
	follower *follower
}

// follower is one Srv.Follow running in a goroutine the test owns.
type follower struct {
	cancel context.CancelFunc
	done   chan error // receives Follow's result
}

// NewEnv starts a server over o.Store, seeded with examples/model and
// followed unless o says not. Everything stops when the test ends: the
// follower, then the gRPC server, then the store.
func NewEnv(t *testing.T, o Options) *Env {
	t.Helper()
	st := o.Store
	if st == nil {
		st = memstore.New(store.Options{})
	}
	t.Cleanup(func() { st.Close() })
	cat := LoadCatalog(t)
	logs := &LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := o.Config
	if cfg.Clock == nil {
		cfg.Clock = func() time.Time { return FixedNow }
	}
	e := &Env{St: st, follows: st, Cat: cat, Log: logs, Srv: server.New(cfg, cat, log)}
	if o.Follow != nil {
		e.follows = o.Follow
	}
	if !o.NoSeed {
		rev, seeded, err := admin.Seed(t.Context(), cat, st, ExampleSet(t), "seed examples/model")
		require.NoError(t, err, "Seed")
		require.True(t, seeded, "Seed = %d, not seeded; want a first revision", rev)
		e.SeedRev = rev
	}
	conn := Dial(t, func(gs *grpc.Server) {
		e.Srv.Register(gs)
		admin.NewPolicyAdmin(o.Admin, cat, st, log).Register(gs)
	})
	e.Authz = pdpv1.NewAuthorizationServiceClient(conn)
	e.Admin = pdpv1.NewPolicyServiceClient(conn)
	e.Health = healthpb.NewHealthClient(conn)
	t.Cleanup(func() {
		assert.NoError(t, e.StopFollowing(), "follower")
	})
	if !o.NoFollow {
		e.StartFollowing(t)
		if e.SeedRev > 0 {
			e.WaitRevision(t, e.SeedRev)
		}
	}
	return e
}

// StartFollowing runs Srv.Follow on the followed store until StopFollowing
// or the end of the test.
func (e *Env) StartFollowing(t *testing.T) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	require.Nil(t, e.follower, "startFollowing: already following")
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	f := &follower{cancel: cancel, done: make(chan error, 1)}
	go func() { f.done <- e.Srv.Follow(ctx, e.follows) }()
	e.follower = f
}

// StopFollowing stops the follower, if one runs, and waits for it. Follow
// must end with the context's error and nothing else.
func (e *Env) StopFollowing() error {
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
	case <-time.After(WaitTimeout):
		return context.DeadlineExceeded
	}
}

// Revision is the revision of the server's current snapshot, 0 before the
// first.
func (e *Env) Revision() int64 {
	if snap := e.Srv.Current(); snap != nil {
		return snap.Revision()
	}
	return 0
}

// WaitRevision waits until the server's snapshot is at least at rev.
func (e *Env) WaitRevision(t *testing.T, rev int64) {
	t.Helper()
	WaitFor(t, func() bool { return e.Revision() >= rev }, "the server at revision %d (it is at %d)", rev, e.Revision)
}

// WaitFor polls cond every few milliseconds until it holds, failing the
// test after WaitTimeout. Arguments that are func() int64 are called when
// the message is written.
func WaitFor(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	WaitWithin(t, WaitTimeout, cond, format, args...)
}

// WaitWithin is WaitFor with a limit of d. Unlike require.Eventually it
// calls cond on the test's own goroutine, because conditions may stop the
// test themselves (a failed call inside cond is fatal, not retried).
func WaitWithin(t *testing.T, d time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			for i, a := range args {
				if f, ok := a.(func() int64); ok {
					args[i] = f()
				}
			}
			require.FailNow(t, "condition not reached", append([]any{"waited %v for " + format, d}, args...)...)
		}
	}
}

// Apply applies changes and returns the new revision, failing the test on
// an error.
func (e *Env) Apply(t *testing.T, msg string, changes ...*pdpv1.Change) int64 {
	t.Helper()
	resp, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: changes, Message: msg})
	require.NoError(t, err, "ApplyChanges(%s)", msg)
	return resp.GetRevision()
}

// Export returns the bundle and revision Export gives for rev (0: current).
func (e *Env) Export(t *testing.T, rev int64) (string, int64) {
	t.Helper()
	resp, err := e.Admin.Export(t.Context(), &pdpv1.ExportRequest{Revision: rev})
	require.NoError(t, err, "Export(%d)", rev)
	return resp.GetBundle(), resp.GetRevision()
}

// StoreRevision is the store's current revision.
func (e *Env) StoreRevision(t *testing.T) int64 {
	t.Helper()
	rev, err := e.St.Revision(t.Context())
	require.NoError(t, err, "store revision")
	return rev
}

// HealthOf returns the health the server reports for a service.
func (e *Env) HealthOf(ctx context.Context, service string) (healthpb.HealthCheckResponse_ServingStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	resp, err := e.Health.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	return resp.GetStatus(), err
}

// AsAuthor returns ctx with the metadata that names the author of changes.
func AsAuthor(ctx context.Context, name string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "x-pdp-author", name)
}

// UserDoc is the store document of a user of the marketing account.
func UserDoc(arn string, groups ...string) string {
	doc, err := json.Marshal(entity.User{ARN: arn, Groups: groups, Tags: map[string]string{"team": "growth"}})
	if err != nil {
		panic(err)
	}
	return string(doc)
}

// Key is an entity key.
func Key(kind pdpv1.EntityKind, id string) *pdpv1.EntityKey {
	return &pdpv1.EntityKey{Kind: kind, Id: id}
}

// UserKey is the key of a user.
func UserKey(arn string) *pdpv1.EntityKey { return Key(pdpv1.EntityKind_ENTITY_KIND_USER, arn) }

// PutChange puts doc at k.
func PutChange(k *pdpv1.EntityKey, doc string) *pdpv1.Change {
	return &pdpv1.Change{Op: pdpv1.ChangeOp_CHANGE_OP_PUT, Key: k, Document: doc}
}

// DeleteChange deletes k.
func DeleteChange(k *pdpv1.EntityKey) *pdpv1.Change {
	return &pdpv1.Change{Op: pdpv1.ChangeOp_CHANGE_OP_DELETE, Key: k}
}

// PutCarol puts Carol in the given groups of the marketing account.
func PutCarol(groups ...string) *pdpv1.Change {
	return PutChange(UserKey(Carol), UserDoc(Carol, groups...))
}

// CarolReadsSegment is a Check that the marketing group allows: Carol
// reading the growth app's active-users segment.
func CarolReadsSegment(minRevision int64) *pdpv1.CheckRequest {
	return &pdpv1.CheckRequest{Principal: Carol, Action: "mobiletargeting:GetSegment", Resource: ActiveUsers,
		Context: UsEast(), MinRevision: minRevision}
}

// ChangeStrings writes changes compactly, "put user/ARN", for comparison.
func ChangeStrings(cs []*pdpv1.Change) []string {
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
