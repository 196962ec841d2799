package etcdstore

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pdp-dev/pdp/pkg/store"
)

// Compact forgets all but the newest keep revisions (at least
// Options.KeepRevisions), counted in revisions written by Apply: the log
// key's Version counts them, so the oldest revision to keep is where log
// reached Version current-keep+1, found by a binary search over etcd
// revisions (a few dozen reads). etcd is compacted there, which keeps the
// state at that revision. etcd compacts the whole cluster, not only the
// prefix (see doc.go). Compacting less than already compacted does
// nothing.
func (s *Store) Compact(ctx context.Context, keep int64) error {
	if err := s.checkOpen(); err != nil {
		return fmt.Errorf("etcdstore: compact: %w", err)
	}
	ctx, cancel := s.bind(ctx)
	defer cancel()
	keep = max(keep, s.opts.KeepRevisions)
	resp, err := s.cli.Get(ctx, s.keys.log(), clientv3.WithKeysOnly())
	if err != nil {
		return fmt.Errorf("etcdstore: compact: %w", s.mapErr(err))
	}
	if len(resp.Kvs) == 0 {
		return nil
	}
	head := resp.Kvs[0]
	target := head.Version - keep + 1
	if target <= 1 {
		return nil // keeps every revision ever written
	}
	rev, err := s.versionRevision(ctx, target, head.CreateRevision, head.ModRevision)
	if err != nil {
		return fmt.Errorf("etcdstore: compact keeping %d revisions: %w", keep, err)
	}
	if rev == 0 {
		return nil // already compacted past it
	}
	if _, err := s.cli.Compact(ctx, rev); err != nil && !errors.Is(err, rpctypes.ErrCompacted) {
		return fmt.Errorf("etcdstore: compact at %d: %w", rev, s.mapErr(err))
	}
	return nil
}

// versionRevision returns the etcd revision in [lo, hi] at which the log
// key reached version (log had that version at hi), or 0 when etcd has
// already been compacted at or past it.
func (s *Store) versionRevision(ctx context.Context, version, lo, hi int64) (int64, error) {
	// Invariant: log's version at hi is >= version. Reads below the
	// compaction fail; they count as "before": the search then ends at
	// the compaction revision, found compacted just below.
	for lo < hi {
		mid := lo + (hi-lo)/2
		kv, err := s.logAt(ctx, mid)
		switch {
		case errors.Is(err, store.ErrCompacted), err == nil && (kv == nil || kv.Version < version):
			lo = mid + 1
		case err != nil:
			return 0, err
		default:
			hi = mid
		}
	}
	if lo <= 1 {
		return lo, nil
	}
	if _, err := s.logAt(ctx, lo-1); errors.Is(err, store.ErrCompacted) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	return lo, nil
}
