package admin_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/servertest"
)

// A dry run reports the same impact as AccessService.Impact of the same
// change set, on the revision it validated against, and writes nothing.
func TestDryRunReportsTheImpactOfTheChangeSet(t *testing.T) {
	e, access := newAccessClient(t)
	changes := []*pdpv1.Change{servertest.PutCarol("marketing")}

	dry, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: changes, DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, e.SeedRev, dry.GetRevision())
	assert.Equal(t, e.SeedRev, e.StoreRevision(t), "a dry run writes nothing")
	want, err := access.Impact(t.Context(), &pdpv1.ImpactRequest{Changes: changes})
	require.NoError(t, err)

	got := dry.GetImpact()
	require.NotNil(t, got)
	assert.True(t, proto.Equal(want, got), "dry run %v\nImpact %v", got, want)
	require.Positive(t, got.GetTotal())
	assert.Positive(t, got.GetGained())
	assert.Zero(t, got.GetLost(), "adding a member loses no access")
	require.Len(t, got.GetByPrincipal(), 1)
	assert.Equal(t, servertest.Carol, got.GetByPrincipal()[0].GetKey())
	assert.Equal(t, e.SeedRev, got.GetFromRevision())
	readsSegment := false
	for _, ch := range got.GetChanges() {
		assert.Equal(t, servertest.Carol, ch.GetPrincipal())
		assert.Equal(t, pdpv1.Access_ACCESS_IMPLICIT_DENY, ch.GetBefore())
		readsSegment = readsSegment || ch.GetAction() == "mobiletargeting:GetSegment" && ch.GetResource() == activeUsers &&
			ch.GetAfter() == pdpv1.Access_ACCESS_CONDITIONAL
	}
	assert.True(t, readsSegment, "the marketing group reads the segment, in its region: %v", got.GetChanges())
}

// The listed changes are bounded; the counts still cover every change.
func TestDryRunImpactIsBounded(t *testing.T) {
	e := servertest.NewEnv(t, servertest.Options{})
	dry, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{servertest.PutCarol("marketing")},
		DryRun: true, MaxImpactChanges: 1})
	require.NoError(t, err)
	im := dry.GetImpact()
	require.Greater(t, im.GetTotal(), int32(1))
	assert.Len(t, im.GetChanges(), 1)
	assert.True(t, im.GetTruncated())
}

// Only a dry run that validates reports an impact.
func TestImpactOnlyForAValidDryRun(t *testing.T) {
	e := servertest.NewEnv(t, servertest.Options{})
	applied, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{servertest.PutCarol("marketing")}})
	require.NoError(t, err)
	assert.Nil(t, applied.GetImpact())

	_, err = e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{
		Changes: []*pdpv1.Change{servertest.PutCarol("no-such-group")}, DryRun: true})
	assert.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)

	_, err = e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{
		Changes: []*pdpv1.Change{servertest.PutCarol("marketing")}, DryRun: true, MaxImpactChanges: -1})
	assert.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
}
