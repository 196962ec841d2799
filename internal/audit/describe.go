package audit

import (
	"strconv"
	"strings"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
)

// facts are what a record tells of a call's request and response.
type facts struct {
	keys      []Key
	keysTotal int
	dryRun    bool
	// write: the call changes the store, so its attempt is recorded first.
	write bool
	// revision is the revision read, or produced by a write; hasRevision
	// says whether the call reported one.
	revision    int64
	hasRevision bool
}

// keyList collects the first max keys of a call and counts them all.
type keyList struct {
	max   int
	keys  []Key
	total int
}

func (l *keyList) add(op string, k *pdpv1.EntityKey) {
	l.total++
	if len(l.keys) >= l.max {
		return
	}
	id, idLen := truncate(k.GetId())
	l.keys = append(l.keys, Key{Op: op, Kind: kindName(k.GetKind()), ID: id, IDLen: idLen})
}

func (l *keyList) addChanges(changes []*pdpv1.Change) {
	for _, c := range changes {
		l.add(opName(c.GetOp()), c.GetKey())
	}
}

// isWrite tells whether req changes the store: the calls whose attempt is
// recorded, synced, before the handler runs.
func isWrite(req any) bool {
	switch r := req.(type) {
	case *pdpv1.ApplyChangesRequest:
		return !r.GetDryRun()
	case *pdpv1.ImportRequest:
		return !r.GetDryRun()
	case *pdpv1.RollbackRequest:
		return true
	}
	return false
}

// describe reads the facts of a PolicyService call from its request and,
// when it succeeded, its response (resp is nil otherwise). Keys come from
// the request where it names them, else from the changes the response
// lists (Import, Diff).
func describe(req, resp any, maxKeys int) facts {
	f := facts{write: isWrite(req)}
	keys := keyList{max: maxKeys}
	switch r := req.(type) {
	case *pdpv1.ApplyChangesRequest:
		f.dryRun = r.GetDryRun()
		keys.addChanges(r.GetChanges())
	case *pdpv1.GetEntityRequest:
		keys.add("", r.GetKey())
	case *pdpv1.ListEntitiesRequest:
		keys.add("", &pdpv1.EntityKey{Kind: r.GetKind()})
	case *pdpv1.GetHistoryRequest:
		if r.GetKey() != nil {
			keys.add("", r.GetKey())
		}
	case *pdpv1.ImportRequest:
		f.dryRun = r.GetDryRun()
	}
	switch r := resp.(type) {
	case *pdpv1.ImportResponse:
		keys.addChanges(r.GetChanges())
	case *pdpv1.DiffResponse:
		keys.addChanges(r.GetChanges())
		f.revision, f.hasRevision = r.GetToRevision(), true
	case interface{ GetRevision() int64 }:
		f.revision, f.hasRevision = r.GetRevision(), true
	}
	f.keys, f.keysTotal = keys.keys, keys.total
	return f
}

// kindName names an entity kind as the admin policies' resource ARNs do
// (arn:pdp:store:::entity/managed_policy/...): the enum name without its
// prefix, in lower case.
func kindName(k pdpv1.EntityKind) string {
	if name, ok := pdpv1.EntityKind_name[int32(k)]; ok {
		return strings.ToLower(strings.TrimPrefix(name, "ENTITY_KIND_"))
	}
	return "kind_" + strconv.Itoa(int(k))
}

// opName names a change's operation: "put" or "delete".
func opName(op pdpv1.ChangeOp) string {
	if name, ok := pdpv1.ChangeOp_name[int32(op)]; ok {
		return strings.ToLower(strings.TrimPrefix(name, "CHANGE_OP_"))
	}
	return "op_" + strconv.Itoa(int(op))
}
