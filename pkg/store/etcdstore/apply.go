package etcdstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pdp-dev/pdp/pkg/store"
)

// Apply writes cs as one etcd transaction and returns its revision. With
// an ExpectRevision, the transaction compares log's ModRevision with it
// and writes nothing when they differ (store.ErrConflict).
func (s *Store) Apply(ctx context.Context, cs store.ChangeSet) (int64, error) {
	if err := s.checkOpen(); err != nil {
		return 0, fmt.Errorf("etcdstore: apply: %w", err)
	}
	ctx, cancel := s.bind(ctx)
	defer cancel()
	if err := cs.Validate(); err != nil {
		return 0, fmt.Errorf("etcdstore: apply: %w", err)
	}
	ops := make([]clientv3.Op, 0, len(cs.Changes)+1)
	for _, c := range cs.Changes {
		switch c.Op {
		case store.OpPut:
			ops = append(ops, clientv3.OpPut(s.keys.entity(c.Key), string(c.Value)))
		case store.OpDelete:
			ops = append(ops, clientv3.OpDelete(s.keys.entity(c.Key)), clientv3.OpPut(s.keys.tomb(c.Key), ""))
		}
	}
	rec, err := json.Marshal(newRecord(cs, time.Now()))
	if err != nil {
		return 0, fmt.Errorf("etcdstore: apply: %w", err)
	}
	ops = append(ops, clientv3.OpPut(s.keys.log(), string(rec)))
	if s.maxTxnOps > 0 && len(ops) > s.maxTxnOps {
		return 0, fmt.Errorf("etcdstore: apply: %w: %w: %d changes need %d operations, more than the %d allowed (raise etcd's --max-txn-ops and Config.MaxTxnOps)",
			store.ErrInvalidChangeSet, ErrTooLarge, len(cs.Changes), len(ops), s.maxTxnOps)
	}
	txn := s.cli.Txn(ctx)
	if cs.ExpectRevision != 0 {
		txn = txn.If(clientv3.Compare(clientv3.ModRevision(s.keys.log()), "=", cs.ExpectRevision))
	}
	txn = txn.Then(ops...)
	if cs.ExpectRevision != 0 {
		txn = txn.Else(clientv3.OpGet(s.keys.log(), clientv3.WithKeysOnly()))
	}
	resp, err := txn.Commit()
	switch {
	case errors.Is(err, rpctypes.ErrTooManyOps):
		return 0, fmt.Errorf("etcdstore: apply: %w: %w: %d changes need %d operations, more than etcd's --max-txn-ops allows",
			store.ErrInvalidChangeSet, ErrTooLarge, len(cs.Changes), len(ops))
	case errors.Is(err, rpctypes.ErrRequestTooLarge):
		return 0, fmt.Errorf("etcdstore: apply: %w: %w: %d changes are more bytes than etcd's --max-request-bytes allows",
			store.ErrInvalidChangeSet, ErrTooLarge, len(cs.Changes))
	case err != nil:
		return 0, fmt.Errorf("etcdstore: apply: %w", s.mapErr(err))
	case !resp.Succeeded:
		cur := modRevision(resp.Responses[0].GetResponseRange().GetKvs())
		return 0, fmt.Errorf("etcdstore: apply: expected revision %d, current is %d: %w", cs.ExpectRevision, cur, store.ErrConflict)
	}
	return resp.Header.Revision, nil
}
