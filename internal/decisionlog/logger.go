package decisionlog

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"time"
)

// Defaults for the zero fields of a Config.
const (
	DefaultQueueSize          = 10_000
	DefaultQueueBytes         = 32 << 20
	DefaultFlushInterval      = 100 * time.Millisecond
	DefaultDropReportInterval = 10 * time.Second
)

// bufferSize is how much the writer gathers before writing to the sink.
const bufferSize = 64 << 10

// Config tunes a Logger. Zero values take the defaults.
type Config struct {
	// QueueSize is how many records may wait for the writer; Log drops
	// records beyond it.
	QueueSize int
	// QueueBytes bounds the memory the queued records take, their text
	// and context counted; Log drops records beyond it, as beyond
	// QueueSize.
	QueueBytes int64
	// FlushInterval bounds how long a record waits in the writer's buffer
	// before it reaches the sink.
	FlushInterval time.Duration
	// DropReportInterval is the least time between two warnings about
	// dropped records.
	DropReportInterval time.Duration
	// Mask lists the context keys whose values are written as "***", for
	// example "aws:SourceIp". Matching ignores case, as IAM does for
	// condition keys; an entry ending in "*" masks every key that starts
	// with the rest, for example "aws:RequestTag/*".
	Mask []string
}

func (c Config) withDefaults() Config {
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.QueueBytes <= 0 {
		c.QueueBytes = DefaultQueueBytes
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.DropReportInterval <= 0 {
		c.DropReportInterval = DefaultDropReportInterval
	}
	return c
}

// A Logger writes decision records to a sink as JSON lines. Log queues
// records; Run writes them.
type Logger struct {
	cfg     Config
	sink    io.Writer
	log     *slog.Logger
	queue   chan queued
	dropped atomic.Uint64
	// queuedBytes is the size of the records in the queue (see freeze).
	queuedBytes atomic.Int64
	// unsettled counts the records queued and not yet written to the sink
	// nor counted as dropped; abandoned is set once Abandon counted them.
	unsettled atomic.Int64
	abandoned atomic.Bool
	// dropSignal wakes the reporter when a record is lost; it holds at most
	// one signal, and senders never wait.
	dropSignal chan struct{}
	running    atomic.Bool
}

// New returns a logger that writes to sink once Run runs. The caller keeps
// ownership of sink and closes it, if it needs closing, after Run returns.
// Warnings about dropped records and write errors go to log.
func New(cfg Config, sink io.Writer, log *slog.Logger) *Logger {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	return &Logger{
		cfg:        cfg,
		sink:       sink,
		log:        log.With("component", "decisionlog"),
		queue:      make(chan queued, cfg.QueueSize),
		dropSignal: make(chan struct{}, 1),
	}
}

// Log queues a copy of r for writing and returns at once. When the queue
// is full, in records (QueueSize) or in bytes (QueueBytes), r is dropped
// and counted. Log sets r.Time to the current time when it is zero. A nil
// Logger logs nothing.
//
// The copy holds r's strings and what r.Context gives, in one string: r
// and its Context are not used after Log returns.
//
// Records logged after Run returned are never written: stop the callers
// of Log before ending Run.
func (l *Logger) Log(r Record) {
	if l == nil {
		return
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	if l.abandoned.Load() {
		l.drop(1)
		return
	}
	if len(l.queue) == cap(l.queue) { // full: spare the copy
		l.drop(1)
		return
	}
	size := freeze(&r)
	if l.queuedBytes.Add(size) > l.cfg.QueueBytes {
		l.queuedBytes.Add(-size)
		l.drop(1)
		return
	}
	l.unsettled.Add(1)
	select {
	case l.queue <- queued{r, size}:
	default:
		l.unsettled.Add(-1)
		l.queuedBytes.Add(-size)
		l.drop(1)
	}
}

// Abandon counts every record not yet written to the sink as dropped, and
// returns how many that is. Call it when Run does not return in time
// because the sink blocks (a pipe or FIFO whose reader stopped reading), so
// that shutdown need not wait for it: the records queued, buffered, or in
// the write that blocks are lost, and the count says so. Records logged
// later are dropped too, and a write that completes later is not counted
// again.
func (l *Logger) Abandon() uint64 {
	if l == nil || l.abandoned.Swap(true) {
		return 0
	}
	n := uint64(max(l.unsettled.Swap(0), 0))
	if n > 0 {
		l.drop(n)
	}
	return n
}

// settle records that n records reached the sink.
func (l *Logger) settle(n uint64) {
	if !l.abandoned.Load() {
		l.unsettled.Add(-int64(n))
	}
}

// Dropped returns how many records were lost: dropped because the queue was
// full, or lost to a failed write.
func (l *Logger) Dropped() uint64 {
	if l == nil {
		return 0
	}
	return l.dropped.Load()
}

func (l *Logger) drop(n uint64) {
	l.dropped.Add(n)
	select {
	case l.dropSignal <- struct{}{}:
	default:
	}
}

// Run writes queued records to the sink until ctx ends, then writes what
// is still queued, flushes, and returns nil. While it runs, it warns about
// lost records at most once per DropReportInterval. Run may be called
// once.
func (l *Logger) Run(ctx context.Context) error {
	if !l.running.CompareAndSwap(false, true) {
		return errors.New("decisionlog: Run called twice")
	}
	stop := make(chan struct{})
	reported := make(chan struct{})
	go func() {
		defer close(reported)
		l.report(ctx, stop)
	}()
	w := &writer{l: l, enc: newEncoder(l.cfg.Mask), bw: bufio.NewWriterSize(l.sink, bufferSize),
		timer: time.NewTimer(time.Hour)}
	w.timer.Stop()
	w.loop(ctx)
	close(stop)
	<-reported
	return nil
}

// report warns about lost records: at once after the first loss, then at
// most once per interval, and a last time when stop closes.
func (l *Logger) report(ctx context.Context, stop <-chan struct{}) {
	var reported uint64
	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	defer quiet.Stop()
	for {
		select {
		case <-l.dropSignal:
		case <-stop:
			l.reportDrops(ctx, &reported)
			return
		}
		l.reportDrops(ctx, &reported)
		quiet.Reset(l.cfg.DropReportInterval)
		select {
		case <-quiet.C:
		case <-stop:
			l.reportDrops(ctx, &reported)
			return
		}
	}
}

func (l *Logger) reportDrops(ctx context.Context, reported *uint64) {
	n := l.dropped.Load()
	if n == *reported {
		return
	}
	l.log.WarnContext(ctx, "decision log dropped records", "dropped", n-*reported, "dropped_total", n)
	*reported = n
}

// writer is the state of the goroutine that writes records.
type writer struct {
	l       *Logger
	enc     *encoder
	bw      *bufio.Writer
	pending uint64 // records in bw, not yet written to the sink
	timer   *time.Timer
	flushC  <-chan time.Time // timer.C while records wait in bw; nil otherwise
	warned  time.Time        // when the last write error was reported
}

func (w *writer) loop(ctx context.Context) {
	defer w.timer.Stop()
	for {
		select {
		case q := <-w.l.queue:
			w.take(ctx, &q)
		case <-w.flushC:
			w.flush(ctx)
		case <-ctx.Done():
			for {
				select {
				case q := <-w.l.queue:
					w.take(ctx, &q)
				default:
					w.flush(ctx)
					return
				}
			}
		}
	}
}

// take writes a record taken from the queue, whose bytes no longer count.
func (w *writer) take(ctx context.Context, q *queued) {
	w.l.queuedBytes.Add(-q.size)
	w.write(ctx, &q.r)
}

// write adds one record to the buffer. The buffer only ever holds whole
// lines, so that each write to the sink ends with a line and a failed one
// loses a known number of records.
func (w *writer) write(ctx context.Context, r *Record) {
	line := w.enc.encode(r)
	if len(line) > w.bw.Available() && w.bw.Buffered() > 0 {
		w.flush(ctx)
	}
	if _, err := w.bw.Write(line); err != nil {
		w.failed(ctx, err, w.pending+1)
		return
	}
	if w.bw.Buffered() == 0 { // longer than the buffer: written through
		w.l.settle(1)
		return
	}
	w.pending++
	if w.flushC == nil {
		w.timer.Reset(w.l.cfg.FlushInterval)
		w.flushC = w.timer.C
	}
}

func (w *writer) flush(ctx context.Context) {
	w.timer.Stop()
	w.flushC = nil
	if w.bw.Buffered() == 0 {
		return
	}
	if err := w.bw.Flush(); err != nil {
		w.failed(ctx, err, w.pending)
		return
	}
	w.l.settle(w.pending)
	w.pending = 0
}

// failed counts the records a failed write lost and starts over with an
// empty buffer, so that the next write tries the sink again.
func (w *writer) failed(ctx context.Context, err error, lost uint64) {
	w.bw.Reset(w.l.sink)
	w.pending = 0
	w.timer.Stop()
	w.flushC = nil
	if w.l.abandoned.Load() { // Abandon counted them already
		return
	}
	if now := time.Now(); now.Sub(w.warned) >= w.l.cfg.DropReportInterval {
		w.warned = now
		w.l.log.WarnContext(ctx, "decision log write failed", "err", err, "lost", lost)
	}
	w.l.unsettled.Add(-int64(lost))
	w.l.drop(lost)
}
