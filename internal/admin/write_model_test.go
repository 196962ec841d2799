package admin_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/servertest"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// TestWritesSeeOutsideChanges checks that the policy service validates
// each write against the store as it is, though it keeps its model between
// writes: changes another server (or anything else) wrote in between are
// read, one by one or, after compaction, by reading the whole model again.
func TestWritesSeeOutsideChanges(t *testing.T) {
	for _, b := range servertest.StoreBackends {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t, store.Options{KeepRevisions: 1})
			e := servertest.NewEnv(t, servertest.Options{Store: st, NoFollow: true})
			e.Apply(t, "carol joins", servertest.PutCarol())

			outside := func(c store.Change) {
				t.Helper()
				_, err := st.Apply(t.Context(), store.ChangeSet{Changes: []store.Change{c}, Message: "outside"})
				require.NoError(t, err, "outside write")
			}
			managed := func(name string) store.Change {
				doc, err := json.Marshal(entity.ManagedPolicy{Name: name, Document: json.RawMessage(
					`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetApps","Resource":"*"}]}`)})
				require.NoError(t, err)
				return store.Change{Op: store.OpPut, Key: store.Key{Kind: store.KindManagedPolicy, ID: name}, Value: doc}
			}
			attach := func(name string) *pdpv1.Change {
				doc, err := json.Marshal(entity.User{ARN: servertest.Carol, ManagedPolicies: []string{name}})
				require.NoError(t, err)
				return servertest.PutChange(servertest.UserKey(servertest.Carol), string(doc))
			}

			// Read one by one: a deleted user, a new managed policy.
			outside(store.Change{Op: store.OpDelete, Key: store.Key{Kind: store.KindUser, ID: servertest.Carol}})
			_, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{servertest.DeleteChange(servertest.UserKey(servertest.Carol))}})
			require.ErrorContains(t, err, "no such entity", "deleting the user deleted outside")
			outside(managed("Outside1"))
			e.Apply(t, "carol uses Outside1", attach("Outside1"))

			// After compaction the revisions in between are gone: the whole
			// model is read again.
			outside(managed("Outside2"))
			outside(managed("Outside3"))
			require.NoError(t, st.Compact(t.Context(), 1), "Compact")
			e.Apply(t, "carol uses Outside3", attach("Outside3"))
			outside(store.Change{Op: store.OpDelete, Key: store.Key{Kind: store.KindManagedPolicy, ID: "Outside2"}})
			require.NoError(t, st.Compact(t.Context(), 1), "Compact")
			_, err = e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{attach("Outside2")}})
			require.ErrorContains(t, err, `unknown managed policy "Outside2"`, "attaching the policy deleted outside")
		})
	}
}
