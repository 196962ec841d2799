package metrics

import (
	"math"
	"sync/atomic"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// The methods and decisions whose counters Decision finds without
// allocating; the series of every pair exist, at zero, from the start.
// Decisions keep IAM's spelling.
const (
	MethodCheck      = "Check"
	MethodBatchCheck = "BatchCheck"
	MethodSimulate   = "Simulate"
	// MethodCheckStream counts the requests of CheckStream calls.
	MethodCheckStream = "CheckStream"

	DecisionAllow        = "Allow"
	DecisionExplicitDeny = "ExplicitDeny"
	DecisionImplicitDeny = "ImplicitDeny"
	// DecisionError counts batch items that could not be decided.
	DecisionError = "Error"
)

func methodIndex(m string) int {
	switch m {
	case MethodCheck:
		return 0
	case MethodBatchCheck:
		return 1
	case MethodSimulate:
		return 2
	case MethodCheckStream:
		return 3
	}
	return -1
}

func decisionIndex(d string) int {
	switch d {
	case DecisionAllow:
		return 0
	case DecisionExplicitDeny:
		return 1
	case DecisionImplicitDeny:
		return 2
	case DecisionError:
		return 3
	}
	return -1
}

// durationBuckets span a millisecond to a minute, for snapshot builds and
// watch lag.
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Metrics holds pdp's metrics and the registry they are on.
type Metrics struct {
	reg  *prometheus.Registry
	grpc *grpcprom.ServerMetrics

	decisions       *prometheus.CounterVec
	known           [4][4]prometheus.Counter // by methodIndex, decisionIndex
	revision        prometheus.Gauge
	activated       atomic.Int64 // Unix nanoseconds of the last activation; 0 before the first
	buildSeconds    prometheus.Histogram
	watchLagSeconds prometheus.Histogram
	storeErrors     *prometheus.CounterVec
	logDropped      atomic.Pointer[func() uint64]
}

// New returns metrics registered on a new registry, with the Go runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		grpc: grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
			grpcprom.WithHistogramBuckets([]float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}))),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pdp_decisions_total",
			Help: "Decisions made, by decision (Allow, ExplicitDeny, ImplicitDeny, or Error for a batch item that could not be decided) and RPC method.",
		}, []string{"decision", "method"}),
		revision: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pdp_snapshot_revision",
			Help: "Store revision of the active policy snapshot; 0 before the first.",
		}),
		buildSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pdp_snapshot_build_seconds",
			Help:    "Time to build (decode, link and compile) a policy snapshot.",
			Buckets: durationBuckets,
		}),
		watchLagSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pdp_watch_lag_seconds",
			Help:    "Time from a revision's commit in the store to the activation of its snapshot.",
			Buckets: durationBuckets,
		}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pdp_store_errors_total",
			Help: "Failed policy store operations, by operation.",
		}, []string{"op"}),
	}
	for mi, method := range []string{MethodCheck, MethodBatchCheck, MethodSimulate, MethodCheckStream} {
		for di, decision := range []string{DecisionAllow, DecisionExplicitDeny, DecisionImplicitDeny, DecisionError} {
			m.known[mi][di] = m.decisions.WithLabelValues(decision, method)
		}
	}
	age := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "pdp_snapshot_age_seconds",
		Help: "Time since the active policy snapshot was activated; 0 before the first.",
	}, m.snapshotAge)
	dropped := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "pdp_decision_log_dropped_total",
		Help: "Decision log records lost: dropped on a full queue or to a failed write.",
	}, m.decisionLogDropped)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.grpc, m.decisions, m.revision, age, m.buildSeconds, m.watchLagSeconds, m.storeErrors, dropped,
	)
	return m
}

// Registry returns the registry the metrics are on, for adding more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Decision counts one decision made by an RPC method.
func (m *Metrics) Decision(method, decision string) {
	mi, di := methodIndex(method), decisionIndex(decision)
	if mi < 0 || di < 0 {
		m.decisions.WithLabelValues(decision, method).Inc()
		return
	}
	m.known[mi][di].Inc()
}

// SnapshotActivated records a snapshot made active: its revision, the time
// it took to build, and the lag from the revision's commit in the store,
// when committed is known (not zero). A commit time after now, from clock
// skew between the store and this host, counts as no lag.
func (m *Metrics) SnapshotActivated(rev int64, built time.Duration, committed time.Time) {
	now := time.Now()
	m.revision.Set(float64(rev))
	m.activated.Store(now.UnixNano())
	m.buildSeconds.Observe(built.Seconds())
	if !committed.IsZero() {
		m.watchLagSeconds.Observe(max(now.Sub(committed), 0).Seconds())
	}
}

func (m *Metrics) snapshotAge() float64 {
	at := m.activated.Load()
	if at == 0 {
		return 0
	}
	return math.Max(time.Since(time.Unix(0, at)).Seconds(), 0)
}

// StoreError counts a failed store operation, such as "snapshot" (a full
// read) or "watch".
func (m *Metrics) StoreError(op string) { m.storeErrors.WithLabelValues(op).Inc() }

// SetDecisionLogDropped makes pdp_decision_log_dropped_total read f, the
// decision log's Dropped method; until then it reads 0.
func (m *Metrics) SetDecisionLogDropped(f func() uint64) { m.logDropped.Store(&f) }

func (m *Metrics) decisionLogDropped() float64 {
	if f := m.logDropped.Load(); f != nil && *f != nil {
		return float64((*f)())
	}
	return 0
}
