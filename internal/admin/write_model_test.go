package admin_test

import (
	"encoding/json"
	"strings"
	"testing"

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
				if _, err := st.Apply(t.Context(), store.ChangeSet{Changes: []store.Change{c}, Message: "outside"}); err != nil {
					t.Fatalf("outside write: %v", err)
				}
			}
			managed := func(name string) store.Change {
				doc, err := json.Marshal(entity.ManagedPolicy{Name: name, Document: json.RawMessage(
					`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetApps","Resource":"*"}]}`)})
				if err != nil {
					t.Fatal(err)
				}
				return store.Change{Op: store.OpPut, Key: store.Key{Kind: store.KindManagedPolicy, ID: name}, Value: doc}
			}
			attach := func(name string) *pdpv1.Change {
				doc, err := json.Marshal(entity.User{ARN: servertest.Carol, ManagedPolicies: []string{name}})
				if err != nil {
					t.Fatal(err)
				}
				return servertest.PutChange(servertest.UserKey(servertest.Carol), string(doc))
			}

			// Read one by one: a deleted user, a new managed policy.
			outside(store.Change{Op: store.OpDelete, Key: store.Key{Kind: store.KindUser, ID: servertest.Carol}})
			_, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{servertest.DeleteChange(servertest.UserKey(servertest.Carol))}})
			if err == nil || !strings.Contains(err.Error(), "no such entity") {
				t.Fatalf("deleting the user deleted outside: %v; want no such entity", err)
			}
			outside(managed("Outside1"))
			e.Apply(t, "carol uses Outside1", attach("Outside1"))

			// After compaction the revisions in between are gone: the whole
			// model is read again.
			outside(managed("Outside2"))
			outside(managed("Outside3"))
			if err := st.Compact(t.Context(), 1); err != nil {
				t.Fatalf("Compact: %v", err)
			}
			e.Apply(t, "carol uses Outside3", attach("Outside3"))
			outside(store.Change{Op: store.OpDelete, Key: store.Key{Kind: store.KindManagedPolicy, ID: "Outside2"}})
			if err := st.Compact(t.Context(), 1); err != nil {
				t.Fatalf("Compact: %v", err)
			}
			_, err = e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{attach("Outside2")}})
			if err == nil || !strings.Contains(err.Error(), `unknown managed policy "Outside2"`) {
				t.Fatalf("attaching the policy deleted outside: %v; want unknown managed policy", err)
			}
		})
	}
}
