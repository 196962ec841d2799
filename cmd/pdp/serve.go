package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/pdp-dev/pdp/internal/admin"
	"github.com/pdp-dev/pdp/internal/auth"
	"github.com/pdp-dev/pdp/internal/decisionlog"
	"github.com/pdp-dev/pdp/internal/server"
	"github.com/pdp-dev/pdp/internal/tlsconf"
	"github.com/pdp-dev/pdp/internal/tracing"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// serveOptions are the flags of pdp serve. Each can also be set by its
// environment variable (see envflags.go) and by its key in --config.
type serveOptions struct {
	config          string
	listen          string
	storeSpec       string
	dataDir         string
	seed            string
	keepRevisions   int64
	watchProgress   time.Duration
	policies        string
	maxBatch        int
	maxMessageBytes int
	logLevel        levelFlag
	logFormat       *enumFlag
	gracePeriod     time.Duration
	drainDelay      time.Duration
	// TLS: see checkTLS.
	tlsCert, tlsKey, tlsClientCA string
	tlsRequireClientCert         bool
	insecurePlaintext            bool // allow plaintext on a non-loopback listener: see exposure
	// Authentication and admin authorization: see internal/auth.
	authTokens, authIdentities, adminPolicies string
	requireAuth                               optionalBool // unset: auth.DefaultRequireAuth
	requireAuthDecisions                      bool
	adminWriteRate                            float64
	tracing                                   bool // OpenTelemetry traces of gRPC calls; exporter from OTEL_* variables
	adminWriteBurst                           int
	// Decision log and metrics: see observe.go.
	decisionLog         string // "-": stdout; "": off
	decisionLogMaxBytes int64
	decisionLogBackups  int
	decisionLogMask     string // comma-separated context keys
	decisionLogQueue    int64  // bytes the records waiting for the writer may take
	metricsListen       string // "": off
	pprof               bool
	stdout              io.Writer // where --decision-log - writes; not a flag
	// lookupEnv reads the environment (GOGC for raiseGCForLoad); not a flag.
	lookupEnv func(string) (string, bool)
	limits    limitFlags

	audit    auditOptions    // the admin audit log: see serve_audit.go
	extAuthz extAuthzOptions // Envoy external authorization: see serve_extauthz.go
	authzen  authzenOptions  // the AuthZEN API over HTTP: see serve_authzen.go
}

func serveCommand() command {
	return command{
		name:    "serve",
		env:     everyFlag,
		summary: "serve the decision and admin gRPC APIs from a versioned policy store (bolt by default)",
		doc: `pdp serve keeps the policy model (accounts, managed policies, SCPs,
users, groups, roles, resources: see README.md) in a versioned store — by
default an embedded bolt file in --data-dir, or a shared etcd cluster — and
follows it: every change is compiled into a new snapshot and swapped in
whole. It serves pdp.v1.AuthorizationService, pdp.v1.PolicyService (the admin
API), gRPC health checking and server reflection, and logs "serving" with the
address once it accepts calls. Health is NOT_SERVING until the first snapshot
is loaded; a first snapshot without any principal is logged as a warning
(every decision would be an implicit deny), and the "serving" line counts
the principals. On SIGINT or SIGTERM it reports NOT_SERVING, keeps serving and
following the store for the drain delay, stops accepting calls, and lets
calls in flight finish within the grace period; the decision log then gets
5 seconds at most to take what is queued, and what it did not take is
counted as dropped.

An existing bolt file is verified, while the model is read from it, before
anything is written to it or served from it: one that is empty, truncated
or corrupt stops the server with an error naming the file, and is left as
it was ("pdp store check" tells more; restore it from a backup). --seed
writes only into a store this start created, never over an existing one.

With --tls-cert and --tls-key it serves TLS 1.2 or later instead of
plaintext, and reloads the certificate, key and client CAs when their files
change, without a restart; --tls-client-ca verifies the certificates that
clients present, and --tls-require-client-cert refuses clients without one
(mutual TLS). "pdp dev-certs" writes certificates to try this with. A
listener that is not loopback needs TLS, or --insecure-plaintext.

Configuring credentials (--auth-tokens, --auth-mtls-identities,
--admin-policies) turns on authentication of the admin API on any address;
without them it is on unless --listen is a loopback address.
--require-auth=false turns it off regardless.

Every flag can also be set by the environment variable named in its help,
and by its key in the --config file. The command line wins over the
environment, which wins over the config file, which wins over the default.
A value a flag refuses is refused from either source too.`,
		setup: func(fs *flag.FlagSet) runFunc {
			var o serveOptions
			fs.StringVar(&o.config, "config", "",
				"YAML `file` of settings named like these flags; the command line and the environment win over it (PDP_CONFIG)")
			fs.StringVar(&o.listen, "listen", "127.0.0.1:8181", "`address` to listen on (PDP_LISTEN)")
			fs.StringVar(&o.storeSpec, "store", "bolt",
				"policy `store`: bolt (embedded, in --data-dir), memory, or etcd://host:2379[,host:2379]/prefix (PDP_STORE)")
			fs.StringVar(&o.dataDir, "data-dir", defaultDataDir, "`directory` of the bolt store's file pdp.db (PDP_DATA_DIR)")
			fs.StringVar(&o.seed, "seed", "", "policy `directory` written into the store when this start creates it: a new bolt file, a memory store, "+
				"an etcd prefix without keys; an existing store is never seeded over (PDP_SEED)")
			fs.Int64Var(&o.keepRevisions, "keep-revisions", 1000,
				"revisions of history kept; older ones are compacted (PDP_KEEP_REVISIONS)")
			fs.DurationVar(&o.watchProgress, "watch-progress", 5*time.Second,
				"interval of the store's progress notifications; three silent intervals mean the store is lost (PDP_WATCH_PROGRESS)")
			fs.StringVar(&o.policies, "policies", "",
				"serve this policy `directory` from memory: the same as --store memory --seed DIR (PDP_POLICIES)")
			fs.IntVar(&o.maxBatch, "max-batch", server.DefaultMaxBatchItems, "most items in one BatchCheck (PDP_MAX_BATCH)")
			fs.IntVar(&o.maxMessageBytes, "max-message-bytes", server.DefaultMaxMessageBytes,
				"largest request in bytes (PDP_MAX_MESSAGE_BYTES)")
			fs.Var(&o.logLevel, "log-level", "log `level`: debug, info (the default), warn, error (PDP_LOG_LEVEL)")
			o.logFormat = newEnumFlag("text", "text", "json")
			fs.Var(o.logFormat, "log-format", "log `format`: text or json (PDP_LOG_FORMAT)")
			fs.DurationVar(&o.gracePeriod, "grace-period", 10*time.Second,
				"time calls in flight get to finish on shutdown (PDP_GRACE_PERIOD)")
			fs.DurationVar(&o.drainDelay, "drain-delay", time.Second,
				"time between reporting NOT_SERVING and refusing new calls on shutdown, for health checkers to notice (PDP_DRAIN_DELAY)")
			fs.StringVar(&o.tlsCert, "tls-cert", "",
				"PEM certificate chain `file` of the server: with --tls-key, serve TLS instead of plaintext (PDP_TLS_CERT)")
			fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key `file` of --tls-cert (PDP_TLS_KEY)")
			fs.StringVar(&o.tlsClientCA, "tls-client-ca", "",
				"PEM `file` of the CAs that client certificates must chain to; a certificate a client presents is verified (PDP_TLS_CLIENT_CA)")
			fs.BoolVar(&o.tlsRequireClientCert, "tls-require-client-cert", false,
				"refuse clients without a certificate from --tls-client-ca (PDP_TLS_REQUIRE_CLIENT_CERT)")
			fs.BoolVar(&o.insecurePlaintext, "insecure-plaintext", false,
				"serve plaintext on a --listen address that is not loopback, where calls and tokens can be read on the network (PDP_INSECURE_PLAINTEXT)")
			fs.StringVar(&o.authTokens, "auth-tokens", "",
				"bearer token `file`: sha256:HEX of each token and its principal ARN; reread on SIGHUP (PDP_AUTH_TOKENS)")
			fs.StringVar(&o.authIdentities, "auth-mtls-identities", "",
				"`file` mapping verified client certificate identities (URI SAN, else DNS SAN, else CN) to principal ARNs; "+
					"needs --tls-client-ca; reread on SIGHUP (PDP_AUTH_MTLS_IDENTITIES)")
			fs.StringVar(&o.adminPolicies, "admin-policies", "",
				"admin policy `file` or directory of *.json: IAM policies per principal for the admin API, kept outside the store; "+
					"reread on SIGHUP (PDP_ADMIN_POLICIES)")
			fs.Var(&o.requireAuth, "require-auth",
				"authenticate every admin API call and authorize it by --admin-policies; default true when credentials are configured "+
					"(--auth-tokens, --auth-mtls-identities, --admin-policies) or --listen is not a loopback address (PDP_REQUIRE_AUTH)")
			fs.BoolVar(&o.tracing, "tracing", false,
				"trace gRPC calls with OpenTelemetry; the exporter is set by OTEL_TRACES_EXPORTER (otlp, console, none), "+
					"OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL, … (PDP_TRACING)")
			fs.Float64Var(&o.adminWriteRate, "admin-write-rate", 100,
				"policy changes per second each caller may write on average (PDP_ADMIN_WRITE_RATE)")
			// The burst equals the default --max-changes-per-call, so that any
			// call the server accepts fits a full bucket: an import of a whole
			// account is one call.
			fs.IntVar(&o.adminWriteBurst, "admin-write-burst", 1000,
				"policy changes each caller may write in a burst; a call of more changes is refused (PDP_ADMIN_WRITE_BURST)")
			fs.BoolVar(&o.requireAuthDecisions, "require-auth-decisions", false,
				"authenticate Check, BatchCheck and Simulate calls too (PDP_REQUIRE_AUTH_DECISIONS)")
			fs.StringVar(&o.decisionLog, "decision-log", "",
				"write every decision as a JSON line to this `file`, rotated by size, or to stdout for \"-\"; off when empty (PDP_DECISION_LOG)")
			fs.Int64Var(&o.decisionLogMaxBytes, "decision-log-max-bytes", 100<<20,
				"size at which the decision log file rotates; 0 never rotates (PDP_DECISION_LOG_MAX_BYTES)")
			fs.IntVar(&o.decisionLogBackups, "decision-log-backups", 5,
				"rotated decision log files kept, FILE.1 the newest (PDP_DECISION_LOG_BACKUPS)")
			fs.Int64Var(&o.decisionLogQueue, "decision-log-queue-bytes", decisionlog.DefaultQueueBytes,
				"`bytes` of memory the decision log's records waiting to be written may take; records beyond are dropped and counted (PDP_DECISION_LOG_QUEUE_BYTES)")
			fs.StringVar(&o.decisionLogMask, "decision-log-mask", "",
				"comma-separated context `keys` whose values the decision log writes as \"***\", e.g. aws:SourceIp,aws:RequestTag/* (PDP_DECISION_LOG_MASK)")
			fs.StringVar(&o.metricsListen, "metrics-listen", "",
				"`address` to serve Prometheus metrics on, at /metrics; off when empty (PDP_METRICS_LISTEN)")
			fs.BoolVar(&o.pprof, "pprof", false,
				"also serve the runtime profiles at /debug/pprof/ on --metrics-listen (PDP_PPROF)")
			o.limits.register(fs)
			o.audit.register(fs)
			o.extAuthz.register(fs)
			o.authzen.register(fs)
			return func(ctx context.Context, e *env, args []string) int {
				if len(args) > 0 {
					return usageError(e, "serve", "unexpected argument %q", args[0])
				}
				if o.config != "" {
					if err := applyConfigFile(fs, o.config); err != nil {
						fmt.Fprintf(e.stderr, "pdp serve: config: %v\n", err)
						return exitUsage
					}
				}
				if err := o.limits.check(); err != nil {
					return usageError(e, "serve", "%v", err)
				}
				if err := o.checkTLS(); err != nil {
					return usageError(e, "serve", "%v", err)
				}
				if err := o.authzen.check(o.tlsCert != "", o.insecurePlaintext); err != nil {
					return usageError(e, "serve", "%v", err)
				}
				ex, err := o.exposure()
				if err != nil {
					return usageError(e, "serve", "%v", err)
				}
				if o.authIdentities != "" && o.tlsClientCA == "" {
					return usageError(e, "serve", "--auth-mtls-identities needs --tls-client-ca: without it no client certificate is verified")
				}
				if o.pprof && o.metricsListen == "" {
					return usageError(e, "serve", "--pprof needs --metrics-listen")
				}
				if o.decisionLogQueue <= 0 {
					return usageError(e, "serve", "--decision-log-queue-bytes must be positive, not %d", o.decisionLogQueue)
				}
				o.stdout = e.stdout
				o.lookupEnv = e.lookupEnv
				log := newLogger(e, o.logLevel.Level, o.logFormat.value)
				if err := serve(ctx, log, o, ex); err != nil {
					logServeError(ctx, log, o, err)
					return exitFailure
				}
				return exitOK
			}
		},
	}
}

// serve opens the store (seeding it on first start), follows it, and
// serves until ctx ends, then shuts down gracefully. ex is what o exposes,
// from o.exposure.
func serve(ctx context.Context, log *slog.Logger, o serveOptions, ex exposure) error {
	if o.policies != "" {
		o.storeSpec, o.seed = "memory", o.policies
	}
	// Until the first snapshot is active nothing is served: the load may
	// use more memory for less collecting (raiseGCForLoad).
	restoreGC := raiseGCForLoad(o.lookupEnv)
	defer restoreGC()
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, o.storeSpec, o.dataDir, store.Options{KeepRevisions: o.keepRevisions, ProgressInterval: o.watchProgress})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close() // last: after the follower, compaction and every call stopped
	for _, w := range st.warnings {
		log.WarnContext(ctx, "policy store damaged, read past", "store", st.where, "problem", w)
	}
	if st.fresh { // an existing store is logged once its first read is done, below
		if err := seedStore(ctx, log, cat, st, o.seed); err != nil {
			return err
		}
	}
	obs, err := startObservability(ctx, log, o)
	if err != nil {
		return err
	}
	defer obs.stop(ctx) // after the gRPC server stopped: every decision made is written
	auditLog, closeAuditLog, err := openAuditLog(ctx, log, o.audit, o.stdout, st, obs.metrics)
	if err != nil {
		return err
	}
	defer closeAuditLog() // after the gRPC server stopped: every admin call is recorded
	traceOpts, stopTracing, err := tracing.Setup(ctx, o.tracing, "pdp", buildVersion())
	if err != nil {
		return err
	}
	defer func() { // runs after the gRPC server stopped: the last calls' spans are exported
		shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := stopTracing(shutCtx); err != nil {
			log.WarnContext(ctx, "spans lost on shutdown", "err", err)
		}
	}()
	if len(traceOpts) > 0 {
		log.InfoContext(ctx, "tracing gRPC calls")
	}
	// Every goroutine serve starts belongs to workers: serving, following,
	// compaction, certificate and SIGHUP reloads. They outlive ctx: a write
	// acknowledged while the server drains is still activated, so a call
	// with min_revision sees it. serve stops them once the gRPC server has
	// stopped (or never started), and waits for them all before the
	// decision log, audit log, tracing and store close.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var workers errgroup.Group
	defer func() {
		stopWork()
		_ = workers.Wait() // errors travel on channels, as serve needs them in order
	}()
	srv := server.New(o.limits.serverConfig(server.Config{MaxBatchItems: o.maxBatch, StoreSilence: 3 * o.watchProgress, Hooks: obs.hooks()}), cat, log)
	var (
		creds  credentials.TransportCredentials
		tlsCfg *tls.Config // nil: plaintext
	)
	if o.tlsCert != "" {
		certs, err := tlsconf.NewServer(tlsconf.ServerConfig{
			CertFile: o.tlsCert, KeyFile: o.tlsKey, ClientCAFile: o.tlsClientCA, RequireClientCert: o.tlsRequireClientCert,
		}, log)
		if err != nil {
			return err
		}
		tlsCfg = certs.TLSConfig()
		creds = credentials.NewTLS(tlsCfg)
		// certs.Run reloads the files when they change, until serve returns.
		workers.Go(func() error {
			certs.Run(workCtx)
			return nil
		})
	}
	az, err := auth.New(ctx, auth.Config{
		TokenFile: o.authTokens, IdentityFile: o.authIdentities, AdminPolicies: o.adminPolicies,
		RequireAuth: ex.requireAuth, RequireForDecisions: o.requireAuthDecisions,
	}, cat, log) // Identity nil: auth.TLSIdentity
	if err != nil {
		return err
	}
	for _, w := range ex.warnings {
		log.WarnContext(ctx, w)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP) // before serving: an early SIGHUP must not end the process
	defer signal.Stop(hup)
	workers.Go(func() error {
		reloadOnHangup(workCtx, az, hup)
		return nil
	})
	unary, stream := obs.interceptors() // metrics, outside panic recovery
	gs := server.NewGRPCServer(o.limits.grpcConfig(server.GRPCConfig{MaxMessageBytes: o.maxMessageBytes, Creds: creds,
		ObserveUnary:  unary,
		ObserveStream: stream,
		// The audit log's interceptors wrap the guards: it records their refusals too.
		Unary: auditLog.UnaryInterceptors(az.UnaryInterceptor(),
			admin.NewWriteLimiter(o.adminWriteRate, o.adminWriteBurst).UnaryInterceptor()),
		Stream:  auditLog.StreamInterceptors(az.StreamInterceptor()),
		Options: traceOpts,
	}, o.maxBatch), log)
	srv.Register(gs)
	server.NewSimulator(srv).Register(gs)
	server.NewPolicyChecker(srv).Register(gs)
	admin.NewPolicyAdmin(o.limits.adminConfig(), cat, st.Store, log).Register(gs)
	if err := o.extAuthz.registerService(gs, srv, o.authIdentities, log); err != nil {
		return err
	}
	server.NewAccess(srv, st.Store).Register(gs)
	obs.registered(gs)
	door, err := o.authzen.start(ctx, log, srv, az, tlsCfg, o.maxMessageBytes, o.requireAuthDecisions)
	if err != nil {
		return err
	}
	// Stops once the gRPC server has: before the decision log closes, so
	// every decision made is written.
	defer door.stop(log, o.gracePeriod)

	lis, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	// The follower and compaction stop once the gRPC server has stopped
	// (stopWork), and serve waits for both before the store closes.
	followed := make(chan error, 1)
	workers.Go(func() error {
		followed <- srv.Follow(workCtx, st.Store)
		return nil
	})
	workers.Go(func() error {
		compactLoop(workCtx, log, st, o.keepRevisions)
		return nil
	})
	served := make(chan error, 1)
	workers.Go(func() error {
		served <- gs.Serve(lis)
		return nil
	})
	// Health says NOT_SERVING until the first snapshot is active; the
	// "serving" line waits for it too, so that whoever reads it can call.
	err = waitFirstSnapshot(ctx, srv, followed)
	restoreGC()
	if err == nil && !st.fresh {
		// Only now: a bolt file is checked while the follower reads it
		// (openStore), and a read waits for the check.
		err = seedStore(ctx, log, cat, st, o.seed)
	}
	if err != nil {
		err = withRepairAdvice(err)
		shutdown(srv, gs, 0, o.gracePeriod)
		<-served
		return err
	}
	log.InfoContext(ctx, "serving", "addr", lis.Addr().String(), "store", o.storeSpec,
		"revision", srv.Current().Revision(), "principals", srv.Current().Principals(), "tls", o.tlsMode(), "admin_requires_auth", ex.requireAuth)

	select {
	case err := <-served:
		return fmt.Errorf("grpc server stopped: %w", err)
	case err := <-followed:
		shutdown(srv, gs, 0, o.gracePeriod)
		<-served
		return fmt.Errorf("follow the policy store: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace_period", o.gracePeriod)
	shutdown(srv, gs, o.drainDelay, o.gracePeriod)
	// Only now that no call is accepted: until here, writes made during the
	// drain were activated.
	stopWork()
	<-followed
	if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	log.Info("stopped")
	return nil
}

// checkTLS checks that the TLS flags go together.
func (o serveOptions) checkTLS() error {
	switch {
	case (o.tlsCert == "") != (o.tlsKey == ""):
		return errors.New("--tls-cert and --tls-key go together")
	case o.tlsCert == "" && (o.tlsClientCA != "" || o.tlsRequireClientCert):
		return errors.New("--tls-client-ca and --tls-require-client-cert need --tls-cert and --tls-key")
	case o.tlsRequireClientCert && o.tlsClientCA == "":
		return errors.New("--tls-require-client-cert needs --tls-client-ca")
	}
	return nil
}

// tlsMode describes the transport security for the "serving" line.
func (o serveOptions) tlsMode() string {
	switch {
	case o.tlsCert == "":
		return "off"
	case o.tlsRequireClientCert:
		return "mutual"
	case o.tlsClientCA != "":
		return "client-cert-optional"
	}
	return "server-only"
}

// waitFirstSnapshot waits until the follower has activated a snapshot.
func waitFirstSnapshot(ctx context.Context, srv *server.Server, followed <-chan error) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for srv.Current() == nil {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-followed:
			return fmt.Errorf("follow the policy store: %w", err)
		case <-tick.C:
		}
	}
	return nil
}

// seedStore writes the policy directory dir into the store, if dir is set
// and this start created the store (st.fresh); a store that existed before
// is never written over, whatever it holds. It logs which of the two it
// found, with the store's revision.
func seedStore(ctx context.Context, log *slog.Logger, cat *catalog.Catalog, st openedStore, dir string) error {
	if dir == "" || !st.fresh {
		rev, err := st.Revision(ctx)
		if err != nil {
			return fmt.Errorf("read the policy store %s: %w", st.where, err)
		}
		switch {
		case dir != "":
			log.InfoContext(ctx, "opened the existing policy store; --seed skipped: it writes only into a store this start creates",
				"store", st.where, "revision", rev, "seed", dir)
		case st.fresh:
			log.InfoContext(ctx, "created a new, empty policy store", "store", st.where, "revision", rev)
		default:
			log.InfoContext(ctx, "opened the existing policy store", "store", st.where, "revision", rev)
		}
		return nil
	}
	set, err := entity.LoadDir(os.DirFS(dir), ".")
	if err != nil {
		return fmt.Errorf("load %s: %w", dir, err)
	}
	rev, seeded, err := admin.Seed(ctx, cat, st, set, "seed from "+dir)
	if err != nil {
		return fmt.Errorf("seed from %s: %w", dir, err)
	}
	if !seeded { // another server seeded the same new etcd prefix first
		log.InfoContext(ctx, "the new policy store was written meanwhile; --seed skipped", "store", st.where, "revision", rev, "seed", dir)
		return nil
	}
	log.InfoContext(ctx, "seeded the new policy store", "store", st.where, "dir", dir, "revision", rev)
	return nil
}

// shutdown reports NOT_SERVING first and keeps serving for the drain delay,
// so that health checkers and load balancers move traffic away; then it
// stops accepting calls and waits for those in flight, cutting them off
// after the grace period.
func shutdown(srv *server.Server, gs *grpc.Server, drain, grace time.Duration) {
	srv.Drain()
	time.Sleep(drain)
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

// newLogger builds the server's logger from the level and format flags;
// format is "text" or "json", as --log-format allows.
func newLogger(e *env, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

// levelFlag is the --log-level flag: a slog level, checked while flags are
// parsed. Its zero value is info.
type levelFlag struct{ slog.Level }

func (l *levelFlag) Set(s string) error {
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return errors.New("want debug, info, warn or error, optionally with an offset such as warn+2")
	}
	return nil
}

// reloadOnHangup rereads the authentication files whenever hup delivers
// SIGHUP, until ctx ends. A file that fails to load keeps the previous ones
// (Reload logs either outcome).
func reloadOnHangup(ctx context.Context, az *auth.Authorizer, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_ = az.Reload(ctx)
		}
	}
}

// optionalBool is a boolean flag that remembers whether it was given (by
// flag, environment or config file), so that its default can depend on
// other flags.
type optionalBool struct{ value, set bool }

func (b *optionalBool) String() string {
	if b == nil || !b.set {
		return "auto"
	}
	return strconv.FormatBool(b.value)
}

func (b *optionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	b.value, b.set = v, true
	return nil
}

func (b *optionalBool) IsBoolFlag() bool { return true }

// or returns the value given, or def when none was.
func (b *optionalBool) or(def bool) bool {
	if b.set {
		return b.value
	}
	return def
}

// buildVersion is the module version pdp was built as, for telemetry.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(unknown)"
}
