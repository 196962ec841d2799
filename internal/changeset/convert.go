package changeset

import (
	"fmt"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/pkg/store"
)

// The API names entities by kind and ID, as the store keys them; these
// functions convert keys and change sets between the two.

var kindToStore = map[pdpv1.EntityKind]store.Kind{
	pdpv1.EntityKind_ENTITY_KIND_ACCOUNT:        store.KindAccount,
	pdpv1.EntityKind_ENTITY_KIND_SCP:            store.KindSCP,
	pdpv1.EntityKind_ENTITY_KIND_MANAGED_POLICY: store.KindManagedPolicy,
	pdpv1.EntityKind_ENTITY_KIND_USER:           store.KindUser,
	pdpv1.EntityKind_ENTITY_KIND_GROUP:          store.KindGroup,
	pdpv1.EntityKind_ENTITY_KIND_ROLE:           store.KindRole,
	pdpv1.EntityKind_ENTITY_KIND_RESOURCE:       store.KindResource,
}

// StoreKind converts an entity kind of the API.
func StoreKind(k pdpv1.EntityKind) (store.Kind, bool) {
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

// StoreKey converts an entity key of the request's field.
func StoreKey(k *pdpv1.EntityKey, field string) (store.Key, error) {
	kind, ok := StoreKind(k.GetKind())
	if !ok {
		return store.Key{}, rpcerr.BadField(field+".kind", "unknown entity kind %v", k.GetKind())
	}
	if k.GetId() == "" {
		return store.Key{}, rpcerr.BadField(field+".id", "missing id")
	}
	key := store.Key{Kind: kind, ID: k.GetId()}
	if err := key.Validate(); err != nil {
		// The store's own check, so that a read with a key no write can
		// make is the caller's error, not the server's.
		return store.Key{}, rpcerr.BadField(field+".id", "%s", rpcerr.ClipMessage(err.Error()))
	}
	return key, nil
}

// ProtoKey converts a store key for the API.
func ProtoKey(k store.Key) *pdpv1.EntityKey {
	return &pdpv1.EntityKey{Kind: protoKind(k.Kind), Id: k.ID}
}

// FromProto converts a request's changes; a put's key must agree with its
// document, which the validation of the model checks. A change set changes
// an entity once: a revision holds one version of each entity it changes,
// and which of two changes was meant is the caller's to say.
func FromProto(in []*pdpv1.Change) ([]store.Change, error) {
	if len(in) == 0 {
		return nil, rpcerr.BadField("changes", "no changes")
	}
	out := make([]store.Change, 0, len(in))
	seen := make(map[store.Key]int, len(in))
	for i, c := range in {
		field := fmt.Sprintf("changes[%d]", i)
		key, err := StoreKey(c.GetKey(), field+".key")
		if err != nil {
			return nil, err
		}
		if first, dup := seen[key]; dup {
			return nil, rpcerr.BadField(field+".key", "%s is changed by changes[%d] already: a change set changes an entity once",
				rpcerr.Quote(key.String()), first)
		}
		seen[key] = i
		switch c.GetOp() {
		case pdpv1.ChangeOp_CHANGE_OP_PUT:
			if c.GetDocument() == "" {
				return nil, rpcerr.BadField(field+".document", "a put needs the entity's document")
			}
			out = append(out, store.Change{Op: store.OpPut, Key: key, Value: []byte(c.GetDocument())})
		case pdpv1.ChangeOp_CHANGE_OP_DELETE:
			out = append(out, store.Change{Op: store.OpDelete, Key: key})
		default:
			return nil, rpcerr.BadField(field+".op", "op must be CHANGE_OP_PUT or CHANGE_OP_DELETE")
		}
	}
	return out, nil
}

// ToProto converts store changes for the API.
func ToProto(in []store.Change) []*pdpv1.Change {
	out := make([]*pdpv1.Change, 0, len(in))
	for _, c := range in {
		pc := &pdpv1.Change{Key: ProtoKey(c.Key), Op: pdpv1.ChangeOp_CHANGE_OP_PUT, Document: string(c.Value)}
		if c.Op == store.OpDelete {
			pc.Op, pc.Document = pdpv1.ChangeOp_CHANGE_OP_DELETE, ""
		}
		out = append(out, pc)
	}
	return out
}
