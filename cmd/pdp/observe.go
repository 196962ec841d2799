package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"

	"github.com/pdp-dev/pdp/internal/decisionlog"
	"github.com/pdp-dev/pdp/internal/metrics"
	"github.com/pdp-dev/pdp/internal/server"
)

// observability is what pdp serve tells about itself besides its log: the
// decision log and the metrics, each off unless its flag is given.
type observability struct {
	metrics *metrics.Metrics          // nil without -metrics-listen
	dlog    *decisionlog.Logger       // nil without -decision-log
	file    *decisionlog.RotatingFile // the decision log's file; nil for stdout
	log     *slog.Logger

	stopLog  context.CancelFunc
	logDone  chan struct{}
	http     *http.Server
	httpDone chan struct{}
	stopped  bool
}

// startObservability opens the decision log and starts its writer, and
// starts serving metrics. stop ends both; call it after the gRPC server has
// stopped, so that every decision made is written.
func startObservability(ctx context.Context, log *slog.Logger, o serveOptions) (_ *observability, err error) {
	ob := &observability{log: log}
	defer func() {
		if err != nil {
			ob.stop(ctx)
		}
	}()
	if o.decisionLog != "" {
		sink := o.stdout
		if o.decisionLog != "-" {
			rf := &decisionlog.RotatingFile{Path: o.decisionLog, MaxBytes: o.decisionLogMaxBytes, MaxBackups: o.decisionLogBackups}
			if err := rf.Open(); err != nil {
				return nil, err
			}
			sink, ob.file = rf, rf
		}
		ob.dlog = decisionlog.New(decisionlog.Config{QueueBytes: o.decisionLogQueue, Mask: splitList(o.decisionLogMask)}, sink, log)
		// The writer outlives ctx: it writes the decisions of calls that
		// finish during the grace period, until stop.
		logCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		ob.stopLog, ob.logDone = cancel, make(chan struct{})
		go func() {
			defer close(ob.logDone)
			_ = ob.dlog.Run(logCtx)
		}()
		log.InfoContext(ctx, "writing the decision log", "path", o.decisionLog, "masked_keys", o.decisionLogMask)
	}
	if o.metricsListen != "" {
		ob.metrics = metrics.New()
		if ob.dlog != nil {
			ob.metrics.SetDecisionLogDropped(ob.dlog.Dropped)
		}
		lis, err := net.Listen("tcp", o.metricsListen)
		if err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		ob.http = &http.Server{Handler: ob.metrics.Handler(o.pprof), ReadHeaderTimeout: 10 * time.Second}
		ob.httpDone = make(chan struct{})
		go func() {
			defer close(ob.httpDone)
			if err := ob.http.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
				log.ErrorContext(ctx, "metrics server stopped", "err", err)
			}
		}()
		log.InfoContext(ctx, "serving metrics", "addr", lis.Addr().String(), "pprof", o.pprof)
	}
	return ob, nil
}

// hooks returns the server hooks that feed the decision log and metrics;
// none when both are off.
func (ob *observability) hooks() server.Hooks {
	var h server.Hooks
	if ob.dlog != nil || ob.metrics != nil {
		h.OnDecision = ob.decided
	}
	if m := ob.metrics; m != nil {
		h.OnActivate = m.SnapshotActivated
		h.OnStoreError = m.StoreError
	}
	return h
}

func (ob *observability) decided(_ context.Context, r decisionlog.Record) {
	if ob.metrics != nil {
		d := r.Decision
		if r.Error != "" {
			d = metrics.DecisionError
		}
		ob.metrics.Decision(r.Method, d)
	}
	ob.dlog.Log(r) // a nil Logger logs nothing
}

// interceptors returns the metrics interceptors, none without metrics.
func (ob *observability) interceptors() ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	if ob.metrics == nil {
		return nil, nil
	}
	u, s := ob.metrics.ServerInterceptors()
	return []grpc.UnaryServerInterceptor{u}, []grpc.StreamServerInterceptor{s}
}

// registered creates the zero series of every method of gs.
func (ob *observability) registered(gs *grpc.Server) {
	if ob.metrics != nil {
		ob.metrics.InitializeGRPC(gs)
	}
}

// decisionLogFlushTimeout bounds how long shutdown waits for the decision
// log's writer to deliver what is queued, whatever its sink does;
// decisionLogAbortWait is how long it then waits for the writer to notice
// that its file was closed.
const (
	decisionLogFlushTimeout = 5 * time.Second
	decisionLogAbortWait    = time.Second
)

// stop writes the queued decisions and closes the decision log, and stops
// serving metrics; it waits for their goroutines. A decision log sink that
// blocks (a FIFO or pipe nobody reads) holds it up for
// decisionLogFlushTimeout at most: what it has not taken by then is
// counted as dropped, in the metric and in a last log line.
func (ob *observability) stop(ctx context.Context) {
	if ob.stopped {
		return
	}
	ob.stopped = true
	if ob.stopLog != nil {
		ob.stopLog()
		ob.waitDecisionLog(ctx)
	}
	if ob.http != nil {
		shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = ob.http.Shutdown(shutCtx)
		<-ob.httpDone
	}
}

// waitDecisionLog waits for the decision log's writer to finish, at most
// decisionLogFlushTimeout; past it, it abandons what is undelivered and
// closes the file under the blocked write, and waits for the writer only
// decisionLogAbortWait more; a stdout sink cannot be closed, and its
// writer is left blocked until the process exits.
func (ob *observability) waitDecisionLog(ctx context.Context) {
	timer := time.NewTimer(decisionLogFlushTimeout)
	defer timer.Stop()
	select {
	case <-ob.logDone:
		if ob.file != nil {
			_ = ob.file.Close()
		}
		return
	case <-timer.C:
	}
	lost := ob.dlog.Abandon()
	ob.log.WarnContext(ctx, "decision log sink blocked at shutdown; undelivered records counted as dropped",
		"undelivered", lost, "dropped_total", ob.dlog.Dropped(), "waited", decisionLogFlushTimeout)
	if ob.file == nil {
		return // the writer stays blocked on stdout until the process exits
	}
	ob.file.Abort()
	timer.Reset(decisionLogAbortWait)
	select {
	case <-ob.logDone:
		_ = ob.file.Close()
	case <-timer.C: // a write that even closing does not end
	}
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
