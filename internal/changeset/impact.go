// Package changeset holds what the access service and the policy service
// share about a change set: its conversion between the API and the store
// (convert.go), and its impact, the answers it changes, which
// AccessService.Impact and a dry run of PolicyService.ApplyChanges both
// compute here so that they report the same changes for the same change
// set.
package changeset

import (
	"maps"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/access"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// Impact compares the answers of the model fromM (at revision rev) with
// those of the model it becomes with changes. AccessService.Impact and a
// dry run of PolicyService.ApplyChanges both compute it here, so that the
// two report the same changes for the same change set.
func Impact(cat *catalog.Catalog, cache *entity.DocCache, fromM snapshot.Model, rev int64,
	changes []store.Change) (*access.Impact, error) {
	toM := maps.Clone(fromM)
	if toM == nil {
		toM = snapshot.Model{}
	}
	for _, c := range changes {
		if c.Op == store.OpDelete {
			delete(toM, c.Key)
		} else {
			toM[c.Key] = c.Value
		}
	}
	from, err := CompileAccess(cat, cache, fromM, rev, "from_revision")
	if err != nil {
		return nil, err
	}
	to, err := CompileAccess(cat, cache, toM, rev, "changes")
	if err != nil {
		return nil, err
	}
	return access.Compare(from, to)
}

// CompileAccess resolves and compiles a model read from the store; a model
// that does not resolve is the request's fault (field names the part of
// the request that made it).
func CompileAccess(cat *catalog.Catalog, cache *entity.DocCache, m snapshot.Model, rev int64, field string) (*access.Model, error) {
	set, err := m.Set()
	if err != nil {
		return nil, rpcerr.BadField(field, "%v", err)
	}
	res, err := set.ResolveCached(cat, cache)
	if err != nil {
		return nil, rpcerr.BadField(field, "the model does not resolve: %v", err)
	}
	return access.NewModel(cat, res, rev)
}

// DefaultMaxChanges is the most changes an impact lists unless the request
// says otherwise.
const DefaultMaxChanges = 10000

// Limit reads a limit on the listed changes of an impact, from the
// request's field (0: DefaultMaxChanges).
func Limit(field string, n int32) (int, error) {
	switch {
	case n < 0:
		return 0, rpcerr.BadField(field, "negative limit %d", n)
	case n == 0:
		return DefaultMaxChanges, nil
	}
	return int(n), nil
}

// Response converts an impact for the API, listing at most maxChanges
// changes.
func Response(im *access.Impact, maxChanges int) *pdpv1.ImpactResponse {
	out := &pdpv1.ImpactResponse{FromRevision: im.FromRevision, ToRevision: im.ToRevision, Total: int32(im.Total),
		Gained: int32(im.Gained), Lost: int32(im.Lost)}
	for i, c := range im.Changes {
		if i == maxChanges {
			out.Truncated = true
			break
		}
		out.Changes = append(out.Changes, &pdpv1.AccessChange{Principal: c.Principal, Action: c.Action, Resource: c.Resource,
			Before: AccessProto(c.Before), After: AccessProto(c.After)})
	}
	for _, g := range im.ByPrincipal {
		out.ByPrincipal = append(out.ByPrincipal, toGroup(g))
	}
	for _, g := range im.ByAction {
		out.ByAction = append(out.ByAction, toGroup(g))
	}
	for _, u := range im.UnlistedTypes {
		out.UnlistedTypes = append(out.UnlistedTypes, &pdpv1.UnlistedType{ResourceType: u.ResourceType, ArnFormat: u.ARNFormat,
			Patterns: u.Patterns})
	}
	return out
}

func toGroup(g access.Group) *pdpv1.ImpactGroup {
	return &pdpv1.ImpactGroup{Key: g.Key, Gained: int32(g.Gained), Lost: int32(g.Lost), Changed: int32(g.Changed)}
}

// AccessProto is the API's value of an access verdict.
func AccessProto(v access.Verdict) pdpv1.Access {
	switch v {
	case access.Allowed:
		return pdpv1.Access_ACCESS_ALLOWED
	case access.ExplicitDeny:
		return pdpv1.Access_ACCESS_EXPLICIT_DENY
	case access.Conditional:
		return pdpv1.Access_ACCESS_CONDITIONAL
	}
	return pdpv1.Access_ACCESS_IMPLICIT_DENY
}
