package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"google.golang.org/grpc"

	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// serveOptions are the flags of pdp serve. Each has an environment variable
// that sets its default.
type serveOptions struct {
	listen          string
	policies        string
	maxBatch        int
	maxMessageBytes int
	logLevel        string
	logFormat       string
	gracePeriod     time.Duration
}

func serveCommand() command {
	return command{
		name:    "serve",
		summary: "serve the gRPC API (Check, BatchCheck, Simulate) on a policy directory",
		doc: `pdp serve loads the policy model of a directory (accounts, managed
policies, SCPs, users, groups, roles, resources: see README.md), compiles it,
and serves pdp.v1.AuthorizationService, gRPC health checking and server
reflection. It logs "serving" with the address once it accepts calls. On
SIGINT or SIGTERM it reports NOT_SERVING, stops accepting calls, and lets
calls in flight finish within the grace period.

Every flag can also be set by the environment variable named in its help.`,
		setup: func(fs *flag.FlagSet) runFunc {
			var o serveOptions
			fs.StringVar(&o.listen, "listen", envOr("PDP_LISTEN", "127.0.0.1:8181"), "`address` to listen on (PDP_LISTEN)")
			fs.StringVar(&o.policies, "policies", envOr("PDP_POLICIES", "examples/model"), "policy model `directory` (PDP_POLICIES)")
			fs.IntVar(&o.maxBatch, "max-batch", envInt("PDP_MAX_BATCH", server.DefaultMaxBatchItems), "most items in one BatchCheck (PDP_MAX_BATCH)")
			fs.IntVar(&o.maxMessageBytes, "max-message-bytes", envInt("PDP_MAX_MESSAGE_BYTES", server.DefaultMaxMessageBytes),
				"largest request or response in bytes (PDP_MAX_MESSAGE_BYTES)")
			fs.StringVar(&o.logLevel, "log-level", envOr("PDP_LOG_LEVEL", "info"), "log `level`: debug, info, warn, error (PDP_LOG_LEVEL)")
			fs.StringVar(&o.logFormat, "log-format", envOr("PDP_LOG_FORMAT", "text"), "log `format`: text or json (PDP_LOG_FORMAT)")
			fs.DurationVar(&o.gracePeriod, "grace-period", envDuration("PDP_GRACE_PERIOD", 10*time.Second),
				"time calls in flight get to finish on shutdown (PDP_GRACE_PERIOD)")
			return func(ctx context.Context, e *env, args []string) int {
				if len(args) > 0 {
					return usageError(e, "serve", "unexpected argument %q", args[0])
				}
				log, err := newLogger(e, o.logLevel, o.logFormat)
				if err != nil {
					return usageError(e, "serve", "%v", err)
				}
				if err := serve(ctx, log, o); err != nil {
					log.ErrorContext(ctx, "serve failed", "err", err)
					return exitFailure
				}
				return exitOK
			}
		},
	}
}

// serve loads the policies, then serves until ctx ends, then shuts down
// gracefully.
func serve(ctx context.Context, log *slog.Logger, o serveOptions) error {
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	snap, err := loadSnapshot(ctx, log, cat, o.policies, 1)
	if err != nil {
		return err
	}
	srv := server.New(server.Config{MaxBatchItems: o.maxBatch}, cat, log)
	gs := server.NewGRPCServer(server.GRPCConfig{MaxMessageBytes: o.maxMessageBytes}, log)
	srv.Register(gs)
	srv.Activate(snap)

	lis, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	log.InfoContext(ctx, "serving", "addr", lis.Addr().String(), "policies", o.policies, "revision", snap.Revision())

	select {
	case err := <-served:
		return fmt.Errorf("grpc server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace_period", o.gracePeriod)
	shutdown(srv, gs, o.gracePeriod)
	if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	log.Info("stopped")
	return nil
}

// shutdown reports NOT_SERVING first, then stops accepting calls and waits
// for those in flight, cutting them off after the grace period.
func shutdown(srv *server.Server, gs *grpc.Server, grace time.Duration) {
	srv.Drain()
	done := make(chan struct{})
	go func() {
		gs.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(grace):
		gs.Stop()
		<-done
	}
}

// loadSnapshot reads, checks and compiles the policy model in dir.
func loadSnapshot(ctx context.Context, log *slog.Logger, cat *catalog.Catalog, dir string, revision int64) (*server.Snapshot, error) {
	set, err := entity.LoadDir(os.DirFS(dir), ".")
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	res, err := set.Resolve(cat)
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", dir, err)
	}
	for _, w := range res.Warnings() {
		log.WarnContext(ctx, "policy warning", "warning", w.Error())
	}
	return server.CompileSnapshot(cat, res, revision)
}

// newLogger builds the server's logger from the level and format flags.
func newLogger(e *env, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level: %v", err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	}
	return nil, fmt.Errorf("-log-format must be text or json, not %q", format)
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}
