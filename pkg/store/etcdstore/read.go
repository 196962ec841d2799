package etcdstore

import (
	"context"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pdp-dev/pdp/pkg/store"
)

// Get reads one entity at rev (0: the current revision).
func (s *Store) Get(ctx context.Context, key store.Key, rev int64) (store.Value, error) {
	if err := key.Validate(); err != nil {
		return store.Value{}, fmt.Errorf("etcdstore: get: %w", err)
	}
	resps, _, err := s.readAt(ctx, rev, clientv3.OpGet(s.keys.entity(key), clientv3.WithRev(rev)))
	if err != nil {
		return store.Value{}, fmt.Errorf("etcdstore: get %s at %d: %w", key, rev, err)
	}
	kvs := resps[0].GetResponseRange().GetKvs()
	if len(kvs) == 0 {
		return store.Value{}, fmt.Errorf("etcdstore: get %s at %d: %w", key, rev, store.ErrNotFound)
	}
	return store.Value{Key: key, Value: kvs[0].Value, ModRevision: kvs[0].ModRevision}, nil
}

// List reads a page of the entities of one kind at rev (0: the current
// revision), sorted by ID, and returns the revision read.
func (s *Store) List(ctx context.Context, kind store.Kind, rev int64, page store.Page) ([]store.Value, int64, error) {
	if !kind.Valid() {
		return nil, 0, fmt.Errorf("etcdstore: list: %w: unknown entity kind %q", store.ErrInvalidKey, kind)
	}
	from := s.keys.kind(kind)
	end := clientv3.GetPrefixRangeEnd(from)
	if page.After != "" {
		from += page.After + "\x00" // the first ID after it: IDs hold no NUL
	}
	resps, read, err := s.readAt(ctx, rev, clientv3.OpGet(from, clientv3.WithRange(end),
		clientv3.WithLimit(int64(page.Limit())), clientv3.WithRev(rev)))
	if err != nil {
		return nil, 0, fmt.Errorf("etcdstore: list %s at %d: %w", kind, rev, err)
	}
	vs, err := s.values(kind, resps[0].GetResponseRange().GetKvs(), nil)
	if err != nil {
		return nil, 0, fmt.Errorf("etcdstore: list %s at %d: %w", kind, rev, err)
	}
	return vs, read, nil
}

// Snapshot reads every entity at rev (0: the current revision), in the
// order of store.Kinds and then by ID, and returns the revision read.
func (s *Store) Snapshot(ctx context.Context, rev int64) ([]store.Value, int64, error) {
	kinds := store.Kinds()
	ops := make([]clientv3.Op, len(kinds))
	for i, k := range kinds {
		ops[i] = clientv3.OpGet(s.keys.kind(k), clientv3.WithPrefix(), clientv3.WithRev(rev))
	}
	resps, read, err := s.readAt(ctx, rev, ops...)
	if err != nil {
		return nil, 0, fmt.Errorf("etcdstore: snapshot at %d: %w", rev, err)
	}
	var vs []store.Value
	for i, k := range kinds {
		if vs, err = s.values(k, resps[i].GetResponseRange().GetKvs(), vs); err != nil {
			return nil, 0, fmt.Errorf("etcdstore: snapshot at %d: %w", rev, err)
		}
	}
	return vs, read, nil
}

// readAt runs ops, which read at rev, in one read-only transaction with a
// read of log at the head, and returns their responses and the revision
// read: rev, or the current revision when rev is 0. A rev after the
// current revision fails with store.ErrFutureRevision (also when etcd's
// own revision has reached it through writes outside the prefix), one
// before etcd's compaction with store.ErrCompacted.
func (s *Store) readAt(ctx context.Context, rev int64, ops ...clientv3.Op) ([]*pb.ResponseOp, int64, error) {
	if err := s.checkOpen(); err != nil {
		return nil, 0, err
	}
	if rev < 0 {
		return nil, 0, fmt.Errorf("negative revision %d", rev)
	}
	ctx, cancel := s.bind(ctx)
	defer cancel()
	resp, err := s.cli.Txn(ctx).Then(append([]clientv3.Op{clientv3.OpGet(s.keys.log(), clientv3.WithKeysOnly())}, ops...)...).Commit()
	if err != nil {
		return nil, 0, s.mapErr(err)
	}
	cur := modRevision(resp.Responses[0].GetResponseRange().GetKvs())
	switch {
	case rev == 0:
		return resp.Responses[1:], cur, nil
	case rev > cur:
		return nil, 0, fmt.Errorf("current revision is %d: %w", cur, store.ErrFutureRevision)
	}
	return resp.Responses[1:], rev, nil
}

// values appends the entities of kind in kvs to vs.
func (s *Store) values(kind store.Kind, kvs []*mvccpb.KeyValue, vs []store.Value) ([]store.Value, error) {
	prefix := s.keys.kind(kind)
	for _, kv := range kvs {
		k := store.Key{Kind: kind, ID: string(kv.Key[len(prefix):])}
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("etcd key %q: %w", kv.Key, err)
		}
		vs = append(vs, store.Value{Key: k, Value: kv.Value, ModRevision: kv.ModRevision})
	}
	return vs, nil
}
