package audit

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxKeys is how many entity keys a record lists unless configured;
// KeysTotal counts the rest.
const DefaultMaxKeys = 20

// Config tunes a Logger. Zero values take the defaults.
type Config struct {
	// MaxKeys bounds the entity keys listed in one record; default
	// DefaultMaxKeys.
	MaxKeys int
	// Revision reads the store's current revision, recorded as the
	// revision a write starts from; nil records none.
	Revision func(ctx context.Context) (int64, error)
	// Clock stamps the records; nil means time.Now.
	Clock func() time.Time
}

// A Syncer commits what was written to stable storage, as *os.File and
// rotate.File do. A sink that is one has the records of writes synced.
type Syncer interface {
	Sync() error
}

// A Logger writes audit records to a sink, one JSON line per Write call,
// so that a rotating sink never splits a record. It is safe for
// concurrent use; a nil Logger records nothing (see UnaryInterceptors).
type Logger struct {
	cfg Config
	log *slog.Logger

	mu   sync.Mutex // serializes Write and Sync on the sink
	sink io.Writer

	written, failed atomic.Int64
}

// New returns a Logger that writes to sink. Records of writes are synced
// when sink is a Syncer; give stdout as a plain io.Writer, since a pipe or
// terminal cannot be synced.
func New(cfg Config, sink io.Writer, log *slog.Logger) *Logger {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Logger{cfg: cfg, sink: sink, log: log.With("component", "audit")}
}

// Written returns how many records were written.
func (l *Logger) Written() int64 { return l.written.Load() }

// Failed returns how many records could not be written.
func (l *Logger) Failed() int64 { return l.failed.Load() }

// write writes r as one line; durable syncs the sink after, when it can.
func (l *Logger) write(r *Record, durable bool) error {
	line, err := json.Marshal(r)
	if err != nil { // a Record holds only strings, numbers and bools
		l.failed.Add(1)
		return err
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.sink.Write(line); err != nil {
		l.failed.Add(1)
		return err
	}
	if s, ok := l.sink.(Syncer); ok && durable {
		if err := s.Sync(); err != nil {
			l.failed.Add(1)
			return err
		}
	}
	l.written.Add(1)
	return nil
}
