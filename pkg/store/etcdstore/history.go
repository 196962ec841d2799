package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pdp-dev/pdp/pkg/store"
)

// History lists the revisions that changed key, newest first, as far back
// as etcd keeps them. It follows the key's ModRevision chain backwards:
// the newer of the entity's and its tombstone's ModRevision at r is the
// last change up to r, whose info is the log key at that revision; the
// next step reads at the revision before it. The walk ends where neither
// key existed or at etcd's compaction.
func (s *Store) History(ctx context.Context, key store.Key) ([]store.RevisionInfo, error) {
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("etcdstore: history: %w", err)
	}
	if err := s.checkOpen(); err != nil {
		return nil, fmt.Errorf("etcdstore: history of %s: %w", key, err)
	}
	ctx, cancel := s.bind(ctx)
	defer cancel()
	var infos []store.RevisionInfo
	for r := int64(0); ; { // 0: the head
		resp, err := s.cli.Txn(ctx).Then(
			clientv3.OpGet(s.keys.entity(key), clientv3.WithRev(r), clientv3.WithKeysOnly()),
			clientv3.OpGet(s.keys.tomb(key), clientv3.WithRev(r), clientv3.WithKeysOnly()),
		).Commit()
		if err = s.mapErr(err); errors.Is(err, store.ErrCompacted) {
			return infos, nil
		} else if err != nil {
			return nil, fmt.Errorf("etcdstore: history of %s: %w", key, err)
		}
		last := max(modRevision(resp.Responses[0].GetResponseRange().GetKvs()),
			modRevision(resp.Responses[1].GetResponseRange().GetKvs()))
		if last == 0 {
			return infos, nil
		}
		kv, err := s.logAt(ctx, last)
		if errors.Is(err, store.ErrCompacted) {
			return infos, nil
		} else if err != nil {
			return nil, fmt.Errorf("etcdstore: history of %s: %w", key, err)
		}
		info := store.RevisionInfo{Revision: last, Keys: []store.Key{key}}
		if kv != nil && kv.ModRevision == last {
			if info, err = decodeInfo(last, kv.Value); err != nil {
				return nil, fmt.Errorf("etcdstore: history of %s: %w", key, err)
			}
		} // else something other than Apply wrote the entity: no record
		infos = append(infos, info)
		if r = last - 1; r <= 0 {
			return infos, nil
		}
	}
}

// Revisions lists the revisions after from up to and including to (0:
// the current one), oldest first, walking the log key's versions
// backwards from to. The walk stops at the first revision ever written
// (log's Version 1), so a cluster compacted before the store's first
// write does not make Revisions(0, …) fail.
func (s *Store) Revisions(ctx context.Context, from, to int64) ([]store.RevisionInfo, error) {
	if err := s.checkOpen(); err != nil {
		return nil, fmt.Errorf("etcdstore: revisions: %w", err)
	}
	ctx, cancel := s.bind(ctx)
	defer cancel()
	cur, err := s.Revision(ctx)
	if err != nil {
		return nil, fmt.Errorf("etcdstore: revisions: %w", err)
	}
	switch {
	case to == 0:
		to = cur
	case to > cur:
		return nil, fmt.Errorf("etcdstore: revisions up to %d: current revision is %d: %w", to, cur, store.ErrFutureRevision)
	}
	var infos []store.RevisionInfo
	for r := to; r > from; {
		kv, err := s.logAt(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("etcdstore: revisions %d..%d: %w", from, to, err)
		}
		if kv == nil || kv.ModRevision <= from {
			break
		}
		info, err := decodeInfo(kv.ModRevision, kv.Value)
		if err != nil {
			return nil, fmt.Errorf("etcdstore: revisions %d..%d: %w", from, to, err)
		}
		infos = append(infos, info)
		if kv.Version == 1 {
			break
		}
		r = kv.ModRevision - 1
	}
	slices.Reverse(infos)
	return infos, nil
}

// logAt reads the log key as of etcd revision rev (> 0); it is nil when
// nothing had been written yet.
func (s *Store) logAt(ctx context.Context, rev int64) (*mvccpb.KeyValue, error) {
	resp, err := s.cli.Get(ctx, s.keys.log(), clientv3.WithRev(rev))
	if err != nil {
		return nil, s.mapErr(err)
	}
	if len(resp.Kvs) == 0 {
		return nil, nil
	}
	return resp.Kvs[0], nil
}
