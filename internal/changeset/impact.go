package server

import (
	"maps"

	"github.com/pdp-dev/pdp/pkg/access"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// changeImpact compares the answers of the model fromM (at revision rev)
// with those of the model it becomes with changes. AccessService.Impact
// and a dry run of PolicyService.ApplyChanges both compute it here, so
// that the two report the same changes for the same change set.
func changeImpact(cat *catalog.Catalog, cache *entity.DocCache, fromM model, rev int64,
	changes []store.Change) (*access.Impact, error) {
	toM := maps.Clone(fromM)
	if toM == nil {
		toM = model{}
	}
	for _, c := range changes {
		if c.Op == store.OpDelete {
			delete(toM, c.Key)
		} else {
			toM[c.Key] = c.Value
		}
	}
	from, err := compileAccess(cat, cache, fromM, rev, "from_revision")
	if err != nil {
		return nil, err
	}
	to, err := compileAccess(cat, cache, toM, rev, "changes")
	if err != nil {
		return nil, err
	}
	return access.Compare(from, to)
}

// compileAccess resolves and compiles a model read from the store; a model
// that does not resolve is the request's fault (field names the part of
// the request that made it).
func compileAccess(cat *catalog.Catalog, cache *entity.DocCache, m model, rev int64, field string) (*access.Model, error) {
	set, err := m.set()
	if err != nil {
		return nil, badField(field, "%v", err)
	}
	res, err := set.ResolveCached(cat, cache)
	if err != nil {
		return nil, badField(field, "the model does not resolve: %v", err)
	}
	return access.NewModel(cat, res, rev)
}

// impactLimit reads a limit on the listed changes of an impact (0: the
// default).
func impactLimit(field string, n int32) (int, error) {
	switch {
	case n < 0:
		return 0, badField(field, "negative limit %d", n)
	case n == 0:
		return defaultMaxChanges, nil
	}
	return int(n), nil
}
