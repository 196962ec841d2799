package etcdstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/pdp-dev/pdp/pkg/store"
)

// Defaults of Config.
const (
	DefaultPrefix      = "/pdp/"
	DefaultDialTimeout = 5 * time.Second
)

// ErrTooLarge: a change set does not fit in one etcd transaction (more
// operations than etcd's --max-txn-ops, or more bytes than its
// --max-request-bytes). Errors wrapping it also wrap
// store.ErrInvalidChangeSet.
var ErrTooLarge = errors.New("change set too large for one etcd transaction")

// Config says which etcd cluster to use and where in its keyspace.
type Config struct {
	// Endpoints are the cluster's client URLs ("http://host:2379" or
	// "host:2379"); at least one.
	Endpoints []string
	// Prefix is the key prefix the store owns; "/" is appended when it
	// does not end with one, so that "/pdp" and "/pdp2" do not overlap.
	// Default DefaultPrefix.
	Prefix string
	// DialTimeout bounds Open's first contact with the cluster. Default
	// DefaultDialTimeout.
	DialTimeout time.Duration
	// TLS, when set, is used to connect (ParseURL sets it for etcds://).
	TLS *tls.Config
	// MaxTxnOps, when positive, makes Apply reject a change set needing
	// more transaction operations before sending it; set it to etcd's
	// --max-txn-ops. When zero, etcd's own rejection is reported instead
	// (the same error, one round trip later).
	MaxTxnOps int
	// Options are the store options (watch progress interval, compaction
	// window).
	Options store.Options
}

// A Store is a store.Store kept in etcd. It is safe for concurrent use.
type Store struct {
	cli       *clientv3.Client
	keys      layout
	maxTxnOps int
	opts      store.Options

	closeOnce sync.Once
	done      chan struct{} // closed by Close
}

var _ store.Store = (*Store)(nil)

// Open connects to the etcd cluster of cfg and checks, within
// cfg.DialTimeout and ctx, that it answers.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("etcdstore: open: no endpoints")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   cfg.Endpoints,
		DialTimeout: cfg.DialTimeout,
		TLS:         cfg.TLS,
		// Only etcd's --max-request-bytes limits a change set, not the
		// client's default of 2 MiB.
		MaxCallSendMsgSize: math.MaxInt32,
		MaxCallRecvMsgSize: math.MaxInt32,
		// Errors reach the caller as return values; the client's own
		// retry chatter would go to stderr.
		Logger: zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("etcdstore: open %v: %w", cfg.Endpoints, err)
	}
	s := &Store{
		cli:       cli,
		keys:      layout{prefix: cfg.Prefix},
		maxTxnOps: cfg.MaxTxnOps,
		opts:      cfg.Options.WithDefaults(),
		done:      make(chan struct{}),
	}
	pctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	if _, err := cli.Get(pctx, s.keys.log()); err != nil {
		cli.Close()
		return nil, fmt.Errorf("etcdstore: open %v: %w", cfg.Endpoints, err)
	}
	return s, nil
}

// Close closes the connection; running watches end with store.ErrClosed
// and later calls fail with it. Closing a closed store returns nil.
func (s *Store) Close() error {
	err := error(nil)
	s.closeOnce.Do(func() {
		close(s.done)
		if cerr := s.cli.Close(); cerr != nil && !errors.Is(cerr, context.Canceled) {
			err = fmt.Errorf("etcdstore: close: %w", cerr)
		}
	})
	return err
}

// Revision returns the current revision: the ModRevision of log, 0 when
// nothing was ever written under the prefix.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	if err := s.checkOpen(); err != nil {
		return 0, fmt.Errorf("etcdstore: revision: %w", err)
	}
	ctx, cancel := s.bind(ctx)
	defer cancel()
	resp, err := s.cli.Get(ctx, s.keys.log(), clientv3.WithKeysOnly())
	if err != nil {
		return 0, fmt.Errorf("etcdstore: revision: %w", s.mapErr(err))
	}
	return modRevision(resp.Kvs), nil
}

// bind returns ctx, also canceled when the store closes, so that Close
// ends calls waiting for an unreachable cluster at once (the client
// retries reads otherwise). Call cancel when the call returns.
func (s *Store) bind(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(closeSignal(s.done), func() { cancel(store.ErrClosed) })
	return ctx, func() {
		stop()
		cancel(nil)
	}
}

// closeSignal is a Store's done channel as a context, for
// context.AfterFunc: it is canceled when the channel is closed.
type closeSignal chan struct{}

func (c closeSignal) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c closeSignal) Done() <-chan struct{}       { return c }
func (c closeSignal) Value(any) any               { return nil }
func (c closeSignal) Err() error {
	select {
	case <-c:
		return context.Canceled
	default:
		return nil
	}
}

// checkOpen returns store.ErrClosed once Close was called.
func (s *Store) checkOpen() error {
	select {
	case <-s.done:
		return store.ErrClosed
	default:
		return nil
	}
}

// mapErr turns etcd's errors into the store's sentinels: a call that
// failed because the store was closed fails with store.ErrClosed, etcd's
// compacted and future revision errors become store.ErrCompacted and
// store.ErrFutureRevision; others (context errors among them) stay.
func (s *Store) mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case s.checkOpen() != nil:
		return store.ErrClosed
	case errors.Is(err, rpctypes.ErrCompacted):
		return store.ErrCompacted
	case errors.Is(err, rpctypes.ErrFutureRev):
		return store.ErrFutureRevision
	}
	return err
}

// Empty reports whether no key at all lies under the store's prefix: no
// entity, tombstone or revision log. pdp serve seeds such a prefix only;
// etcd keeps nothing of a prefix whose keys were all deleted, so that one
// counts as empty too.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	if err := s.checkOpen(); err != nil {
		return false, fmt.Errorf("etcdstore: empty: %w", err)
	}
	ctx, cancel := s.bind(ctx)
	defer cancel()
	resp, err := s.cli.Get(ctx, s.keys.prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return false, fmt.Errorf("etcdstore: empty: %w", s.mapErr(err))
	}
	return resp.Count == 0, nil
}
