package admin

import (
	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/changeset"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/entity"
)

// BundleChanges lists every entity of a Set as a put, for clients that apply
// a policy directory through the admin API.
func BundleChanges(set *entity.Set) ([]*pdpv1.Change, error) {
	changes, err := snapshot.SetValues(set)
	if err != nil {
		return nil, err
	}
	return changeset.ToProto(changes), nil
}
