package snapshot

import (
	"maps"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/modelgen"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/store"
)

// compileModel compiles m from scratch at revision.
func compileModel(t *testing.T, cat *catalog.Catalog, m Model, revision int64) *Snapshot {
	t.Helper()
	res, err := decodeModel(t, m).Resolve(cat)
	require.NoError(t, err)
	snap, err := Compile(cat, res, revision, nil)
	require.NoError(t, err)
	return snap
}

// applyTo applies changes to m, as the follower's watch does.
func applyTo(m Model, changes []store.Change) {
	for _, c := range changes {
		if c.Op == store.OpDelete {
			delete(m, c.Key)
		} else {
			m[c.Key] = c.Value
		}
	}
}

// TestPublishedSnapshotsStayAsPublished follows a model through every
// change of TestSnapshotIncremental and checks, after the last, that each
// snapshot published on the way still holds what one compiled from scratch
// from its own revision's model holds: what the follower keeps from one
// revision to the next is its own, and a published snapshot is never
// written again.
func TestPublishedSnapshotsStayAsPublished(t *testing.T) {
	cat := loadTestCatalog(t)
	set := modelgen.Generate(modelgen.Small)
	m := modelOf(t, set)
	f := NewFollower(FollowerConfig{}, cat, nil)
	require.NoError(t, f.activateModel(t.Context(), m, nil, 1))
	published := []*Snapshot{f.Current()}
	models := []Model{maps.Clone(m)}
	for i, step := range snapshotSteps(set) {
		if step.wantErr {
			continue
		}
		changes := step.changes(t, m, decodeModel(t, m))
		applyTo(m, changes)
		require.NoError(t, f.activateModel(t.Context(), m, changes, int64(i+2)), step.name)
		published = append(published, f.Current())
		models = append(models, maps.Clone(m))
	}
	require.Greater(t, len(published), 10, "steps followed")
	for i, snap := range published {
		compareSnapshots(t, snap, compileModel(t, cat, models[i], snap.Revision()))
	}
}

// TestFollowerStartsAgainAfterAnotherPublish: when a snapshot the follower
// did not build was published since its last, the follower does not go on
// from the state it kept, which describes a model no longer published, but
// from the whole model it is given.
func TestFollowerStartsAgainAfterAnotherPublish(t *testing.T) {
	cat := loadTestCatalog(t)
	set := modelgen.Generate(modelgen.Small)
	m := modelOf(t, set)
	f := NewFollower(FollowerConfig{}, cat, nil)
	require.NoError(t, f.activateModel(t.Context(), m, nil, 1))
	kept := f.state

	other := maps.Clone(m)
	steps := snapshotSteps(set)
	applyTo(other, steps[0].changes(t, other, decodeModel(t, other)))
	f.Publish(compileModel(t, cat, other, 2))

	changes := steps[2].changes(t, m, decodeModel(t, m))
	applyTo(m, changes)
	require.NoError(t, f.activateModel(t.Context(), m, changes, 3))
	require.NotSame(t, kept, f.state, "the state kept for revision 1 was not used again")
	require.Same(t, f.Current(), f.last)
	compareSnapshots(t, f.Current(), compileModel(t, cat, m, 3))
}
