package server

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/types/known/timestamppb"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/pkg/store"
)

var kindToStore = map[pdpv1.EntityKind]store.Kind{
	pdpv1.EntityKind_ENTITY_KIND_ACCOUNT:        store.KindAccount,
	pdpv1.EntityKind_ENTITY_KIND_SCP:            store.KindSCP,
	pdpv1.EntityKind_ENTITY_KIND_MANAGED_POLICY: store.KindManagedPolicy,
	pdpv1.EntityKind_ENTITY_KIND_USER:           store.KindUser,
	pdpv1.EntityKind_ENTITY_KIND_GROUP:          store.KindGroup,
	pdpv1.EntityKind_ENTITY_KIND_ROLE:           store.KindRole,
	pdpv1.EntityKind_ENTITY_KIND_RESOURCE:       store.KindResource,
}

func storeKind(k pdpv1.EntityKind) (store.Kind, bool) {
	sk, ok := kindToStore[k]
	return sk, ok
}

func protoKind(k store.Kind) pdpv1.EntityKind {
	for pk, sk := range kindToStore {
		if sk == k {
			return pk
		}
	}
	return pdpv1.EntityKind_ENTITY_KIND_UNSPECIFIED
}

func storeKey(k *pdpv1.EntityKey, field string) (store.Key, error) {
	kind, ok := storeKind(k.GetKind())
	if !ok {
		return store.Key{}, badField(field+".kind", "unknown entity kind %v", k.GetKind())
	}
	if k.GetId() == "" {
		return store.Key{}, badField(field+".id", "missing id")
	}
	return store.Key{Kind: kind, ID: k.GetId()}, nil
}

func protoKey(k store.Key) *pdpv1.EntityKey {
	return &pdpv1.EntityKey{Kind: protoKind(k.Kind), Id: k.ID}
}

// storeChanges converts a request's changes; a put's key must agree with
// its document, which the validation of the model checks.
func storeChanges(in []*pdpv1.Change) ([]store.Change, error) {
	if len(in) == 0 {
		return nil, badField("changes", "no changes")
	}
	out := make([]store.Change, 0, len(in))
	for i, c := range in {
		field := fmt.Sprintf("changes[%d]", i)
		key, err := storeKey(c.GetKey(), field+".key")
		if err != nil {
			return nil, err
		}
		switch c.GetOp() {
		case pdpv1.ChangeOp_CHANGE_OP_PUT:
			if c.GetDocument() == "" {
				return nil, badField(field+".document", "a put needs the entity's document")
			}
			out = append(out, store.Change{Op: store.OpPut, Key: key, Value: []byte(c.GetDocument())})
		case pdpv1.ChangeOp_CHANGE_OP_DELETE:
			out = append(out, store.Change{Op: store.OpDelete, Key: key})
		default:
			return nil, badField(field+".op", "op must be CHANGE_OP_PUT or CHANGE_OP_DELETE")
		}
	}
	return out, nil
}

func toChanges(in []store.Change) []*pdpv1.Change {
	out := make([]*pdpv1.Change, 0, len(in))
	for _, c := range in {
		pc := &pdpv1.Change{Key: protoKey(c.Key), Op: pdpv1.ChangeOp_CHANGE_OP_PUT, Document: string(c.Value)}
		if c.Op == store.OpDelete {
			pc.Op, pc.Document = pdpv1.ChangeOp_CHANGE_OP_DELETE, ""
		}
		out = append(out, pc)
	}
	return out
}

func toEntity(v store.Value) *pdpv1.Entity {
	return &pdpv1.Entity{Key: protoKey(v.Key), Document: string(v.Value), ModRevision: v.ModRevision}
}

func toRevisionInfo(in store.RevisionInfo) *pdpv1.RevisionInfo {
	out := &pdpv1.RevisionInfo{Revision: in.Revision, Author: in.Author, Message: in.Message}
	if !in.Time.IsZero() {
		out.Time = timestamppb.New(in.Time)
	}
	for _, k := range in.Keys {
		out.Keys = append(out.Keys, protoKey(k))
	}
	return out
}

func sortChanges(cs []store.Change) {
	slices.SortFunc(cs, func(a, b store.Change) int { return a.Key.Compare(b.Key) })
}
