package server

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/store"
)

// DefaultMaxBatchItems is the largest BatchCheck accepted unless configured.
const DefaultMaxBatchItems = 1000

// DefaultMaxRevisionWait is how long a call with min_revision waits at
// most unless configured.
const DefaultMaxRevisionWait = 10 * time.Second

// Config tunes a Server. Zero values take the defaults.
type Config struct {
	// MaxBatchItems is the most items one BatchCheck may hold.
	MaxBatchItems int
	// ParallelBatchThreshold is the number of items per core above which a
	// batch is spread over the cores.
	ParallelBatchThreshold int
	// Clock gives the time of aws:CurrentTime and aws:EpochTime.
	Clock func() time.Time
	// MaxRevisionWait bounds how long a call with min_revision waits for
	// the server to catch up, whatever the call's own deadline.
	MaxRevisionWait time.Duration
	// Limits bound what one request may carry.
	Limits Limits
	// StoreSilence is how long the store's watch may stay silent (no
	// change, no progress notification) before the store is reported lost;
	// a few times the store's progress interval.
	StoreSilence time.Duration
	// Hooks observe decisions, activations and store errors; see Hooks.
	Hooks Hooks
}

func (c Config) withDefaults() Config {
	if c.MaxBatchItems <= 0 {
		c.MaxBatchItems = DefaultMaxBatchItems
	}
	if c.ParallelBatchThreshold <= 0 {
		c.ParallelBatchThreshold = 64
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.MaxRevisionWait <= 0 {
		c.MaxRevisionWait = DefaultMaxRevisionWait
	}
	c.Limits = c.Limits.withDefaults()
	if c.StoreSilence <= 0 {
		c.StoreSilence = 3 * store.DefaultProgressInterval
	}
	return c
}

// Server implements pdp.v1.AuthorizationService over the current snapshot.
type Server struct {
	pdpv1.UnimplementedAuthorizationServiceServer

	cfg    Config
	cat    *catalog.Catalog
	log    *slog.Logger
	health *health.Server
	// snaps holds the snapshot every request decides on, and follows the
	// store.
	snaps *snapshot.Follower

	// What deciding reuses from call to call: per-goroutine scratch, key
	// names worked out, the time keys of the last second, and the session
	// policies compiled last.
	scratch  sync.Pool // of *scratch
	names    *keyNames
	lastTime atomic.Pointer[timeKeys]
	checks   atomic.Uint64 // contexts checked, numbering them
	derived  atomic.Pointer[derivedCache]
	sessions sessionMemo // the session policies compiled last

	// draining is closed by Drain, ending open CheckStream calls.
	draining  chan struct{}
	drainOnce sync.Once
}

// New returns a server with no snapshot: it answers UNAVAILABLE and reports
// NOT_SERVING until Activate is called.
func New(cfg Config, cat *catalog.Catalog, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg.withDefaults(), cat: cat, log: log.With("component", "server"), health: health.NewServer(),
		names: newKeyNames(cat), draining: make(chan struct{})}
	s.snaps = snapshot.NewFollower(snapshot.FollowerConfig{
		StoreSilence:  s.cfg.StoreSilence,
		OnPublish:     func(*snapshot.Snapshot) { s.setServing(true) },
		OnStoreHealth: s.setStoreServing,
		OnActivate:    s.cfg.Hooks.OnActivate,
		OnStoreError:  s.cfg.Hooks.OnStoreError,
	}, cat, s.log)
	s.scratch.New = func() any { return newScratch() }
	s.derived.Store(&derivedCache{})
	s.setServing(false)
	s.setStoreServing(true)
	return s
}

// MaxBatchItems returns the most items one batch may hold: BatchCheck's,
// and the evaluations of an AuthZEN batch.
func (s *Server) MaxBatchItems() int { return s.cfg.MaxBatchItems }

// Register adds the authorization service, health checking and reflection
// to a gRPC server.
func (s *Server) Register(gs *grpc.Server) {
	pdpv1.RegisterAuthorizationServiceServer(gs, s)
	healthpb.RegisterHealthServer(gs, s.health)
	reflection.Register(gs)
}

// Activate makes snap the snapshot every new request decides on, and
// reports SERVING.
func (s *Server) Activate(snap *snapshot.Snapshot) { s.snaps.Publish(snap) }

// Current returns the active snapshot, or nil before the first.
func (s *Server) Current() *snapshot.Snapshot { return s.snaps.Current() }

// Follow keeps the server's snapshot at the store's latest revision until
// ctx ends (see snapshot.Follower.Follow): the server reports SERVING from
// the first snapshot on, and the health of the policy service follows the
// store's.
func (s *Server) Follow(ctx context.Context, st store.Store) error { return s.snaps.Follow(ctx, st) }

// Drain reports NOT_SERVING, so that load balancers stop sending calls
// before the server stops, and ends the CheckStream calls still open
// (UNAVAILABLE), so that their clients reconnect elsewhere and a graceful
// stop does not wait on them.
func (s *Server) Drain() {
	s.setServing(false)
	s.drainOnce.Do(func() { close(s.draining) })
}

func (s *Server) setServing(ok bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ok {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus("", st)
	s.health.SetServingStatus(pdpv1.AuthorizationService_ServiceDesc.ServiceName, st)
}

// setStoreServing reports whether the policy store is reachable, as the
// health of the policy service.
func (s *Server) setStoreServing(ok bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ok {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus(pdpv1.PolicyService_ServiceDesc.ServiceName, st)
}
