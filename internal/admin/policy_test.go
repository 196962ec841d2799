package admin_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pdpv1 "github.com/pdp-dev/pdp/gen/pdp/v1"
	"github.com/pdp-dev/pdp/internal/servertest"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
	"github.com/pdp-dev/pdp/pkg/store/memstore"
)

// The entity kinds the tests name often.
const (
	kindUser    = pdpv1.EntityKind_ENTITY_KIND_USER
	kindGroup   = pdpv1.EntityKind_ENTITY_KIND_GROUP
	kindManaged = pdpv1.EntityKind_ENTITY_KIND_MANAGED_POLICY
)

// managedPolicy is a put of a managed policy with a document written as
// JSON text, which may be broken on purpose.
func managedPolicy(name, document string) *pdpv1.Change {
	return servertest.PutChange(servertest.Key(kindManaged, name), fmt.Sprintf(`{"name":%q,"document":%s}`, name, document))
}

// TestApplyChanges applies change sets over both store backends and checks
// the revision they make and what the store holds after.
func TestApplyChanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		changes    []*pdpv1.Change
		dryRun     bool
		wantNewRev bool     // a new revision is written
		wantThere  []string // user ARNs present after
		wantGone   []string // user ARNs absent after
	}{
		{name: "put", changes: []*pdpv1.Change{servertest.PutCarol("marketing")}, wantNewRev: true, wantThere: []string{servertest.Carol, alice, bob}},
		{name: "delete", changes: []*pdpv1.Change{servertest.DeleteChange(servertest.UserKey(bob))}, wantNewRev: true,
			wantThere: []string{alice}, wantGone: []string{bob}},
		{name: "put and delete", changes: []*pdpv1.Change{servertest.PutCarol(), servertest.DeleteChange(servertest.UserKey(bob))}, wantNewRev: true,
			wantThere: []string{alice, servertest.Carol}, wantGone: []string{bob}},
		{name: "dry run writes nothing", changes: []*pdpv1.Change{servertest.PutCarol("marketing"), servertest.DeleteChange(servertest.UserKey(bob))}, dryRun: true,
			wantThere: []string{alice, bob}, wantGone: []string{servertest.Carol}},
	}
	for _, backend := range servertest.StoreBackends {
		for _, tc := range tests {
			t.Run(backend.Name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				e := servertest.NewEnv(t, servertest.Options{Store: backend.Open(t, store.Options{})})
				before, _ := e.Export(t, 0)
				resp, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: tc.changes, DryRun: tc.dryRun})
				require.NoError(t, err, "ApplyChanges")
				want := e.SeedRev
				if tc.wantNewRev {
					want++
				}
				require.Equal(t, want, resp.GetRevision(), "revision")
				require.Equal(t, want, e.StoreRevision(t), "store revision")
				for _, arn := range tc.wantThere {
					_, err := e.Admin.GetEntity(t.Context(), &pdpv1.GetEntityRequest{Key: servertest.UserKey(arn)})
					assert.NoError(t, err, "GetEntity(%s) after; want it there", arn)
				}
				for _, arn := range tc.wantGone {
					_, err := e.Admin.GetEntity(t.Context(), &pdpv1.GetEntityRequest{Key: servertest.UserKey(arn)})
					assert.Equal(t, codes.NotFound, status.Code(err), "GetEntity(%s) after: %v", arn, err)
				}
				if after, _ := e.Export(t, 0); !tc.wantNewRev {
					assert.Equal(t, before, after, "the model")
				}
			})
		}
	}
}

// TestApplyChangesInvalid sends change sets of many valid changes and a
// few invalid ones: each is refused whole, nothing is written, and every
// problem is listed in the BadRequest details, dry run or not.
func TestApplyChangesInvalid(t *testing.T) {
	t.Parallel()
	// Seventeen valid changes: new users.
	var valid []*pdpv1.Change
	for i := range 17 {
		arn := servertest.MarketingUser(fmt.Sprintf("u%02d", i))
		valid = append(valid, servertest.PutChange(servertest.UserKey(arn), servertest.UserDoc(arn)))
	}
	const (
		pattern    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:Frob*","Resource":"*"}]}`
		jsonError  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetApp" "Resource":"*"}]}`
		badEffect  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allowed","Action":"mobiletargeting:GetApp","Resource":"*"}]}`
		patternMsg = `action pattern "mobiletargeting:Frob*" matches no action`
		groupMsg   = `unknown group "marketting"`
	)
	carolField := `user "` + servertest.Carol + `".groups[0]`
	tests := []struct {
		name       string
		invalid    []*pdpv1.Change // inserted among the valid changes
		wantFields []string        // exactly, in any order
		wantMsgs   []string
	}{
		{
			name: "policy grammar, action pattern, unknown group",
			invalid: []*pdpv1.Change{managedPolicy("Broken", badEffect), managedPolicy("Pattern", pattern),
				servertest.PutCarol("marketting")},
			wantFields: []string{`managed policy "Broken".document`, `managed policy "Pattern".document`, carolField},
			wantMsgs:   []string{`Effect must be "Allow" or "Deny", not "Allowed"`, patternMsg, groupMsg},
		},
		{
			// A document that is not JSON cannot be checked against the
			// model, but the others still are.
			name: "JSON syntax, action pattern, unknown group",
			invalid: []*pdpv1.Change{managedPolicy("Broken", jsonError), managedPolicy("Pattern", pattern),
				servertest.PutCarol("marketting")},
			wantFields: []string{"changes[5].document", `managed policy "Pattern".document`, carolField},
			wantMsgs:   []string{"managed_policy/Broken: 1:118: invalid JSON: expected ',' or '}'", patternMsg, groupMsg},
		},
		{
			// A user attaching the broken policy is not reported for it.
			name: "JSON syntax of a policy a user attaches",
			invalid: []*pdpv1.Change{managedPolicy("Broken", jsonError),
				servertest.PutChange(servertest.UserKey(servertest.Carol), fmt.Sprintf(`{"arn":%q,"managed_policies":["Broken"]}`, servertest.Carol))},
			wantFields: []string{"changes[5].document"},
			wantMsgs:   []string{"1:118: invalid JSON"},
		},
		{
			name:       "document of another entity, delete of a missing one",
			invalid:    []*pdpv1.Change{servertest.PutChange(servertest.UserKey(servertest.Carol), servertest.UserDoc(bob)), servertest.DeleteChange(servertest.UserKey(servertest.MarketingUser("nobody")))},
			wantFields: []string{"changes[5].document", "changes[6]"},
			wantMsgs:   []string{"the document describes user/" + bob, "no such entity"},
		},
		{
			name:       "delete of a group its users need",
			invalid:    []*pdpv1.Change{servertest.DeleteChange(servertest.Key(kindGroup, marketing+"/marketing"))},
			wantFields: []string{`user "` + alice + `".groups[0]`, `user "` + bob + `".groups[0]`},
			wantMsgs:   []string{`unknown group "marketing"`},
		},
	}
	for _, tc := range tests {
		for _, dryRun := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/dry_run=%v", tc.name, dryRun), func(t *testing.T) {
				t.Parallel()
				e := servertest.NewEnv(t, servertest.Options{})
				changes := slices.Concat(valid[:5], tc.invalid, valid[5:])
				before, rev := e.Export(t, 0)
				_, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: changes, DryRun: dryRun})
				got := decodeError(err)
				require.Equal(t, codes.InvalidArgument, got.Code, "ApplyChanges of %d changes = %v", len(changes), got)
				require.Equal(t, "INVALID_MODEL", got.Reason, "ApplyChanges of %d changes = %v", len(changes), got)
				assert.ElementsMatch(t, tc.wantFields, got.Fields, "field violations")
				for _, want := range tc.wantMsgs {
					assert.Contains(t, got.Msg, want, "the error")
				}
				after, afterRev := e.Export(t, 0)
				assert.Equal(t, rev, afterRev, "store revision")
				assert.Equal(t, before, after, "the store")
			})
		}
	}
}

// TestApplyChangesStrictJSON checks that an entity document encoding/json
// would read, but another reader could read otherwise, is refused naming
// the change and the place in the document, and that nothing is written.
func TestApplyChangesStrictJSON(t *testing.T) {
	t.Parallel()
	carol := servertest.UserKey(servertest.Carol)
	tests := []struct {
		name    string
		doc     string
		wantMsg string
	}{
		{
			name:    "duplicate key",
			doc:     `{"arn":"` + servertest.Carol + `","groups":["marketing"],"groups":[]}`,
			wantMsg: `user/` + servertest.Carol + `: 1:70: invalid JSON: duplicate key "groups" (first at line 1, column 47)`,
		},
		{
			name:    "duplicate tag key",
			doc:     `{"arn":"` + servertest.Carol + `","tags":{"team":"a",` + "\n" + `"team":"b"}}`,
			wantMsg: `user/` + servertest.Carol + `: 2:1: invalid JSON: duplicate key "team" (first at line 1, column 55)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := servertest.NewEnv(t, servertest.Options{})
			before, rev := e.Export(t, 0)
			_, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{
				Changes: []*pdpv1.Change{servertest.PutChange(carol, tc.doc)}})
			got := decodeError(err)
			require.Equal(t, codes.InvalidArgument, got.Code, "ApplyChanges = %v", got)
			assert.Equal(t, []string{"changes[0].document"}, got.Fields, "field violations")
			assert.Contains(t, got.Msg, tc.wantMsg, "the error")
			after, afterRev := e.Export(t, 0)
			assert.Equal(t, rev, afterRev, "store revision")
			assert.Equal(t, before, after, "the store")
		})
	}
}

// TestApplyChangesBadRequest checks change sets refused before the model
// is read.
func TestApplyChangesBadRequest(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	tests := []struct {
		name      string
		changes   []*pdpv1.Change
		wantField string
	}{
		{name: "no changes", wantField: "changes"},
		{name: "no kind", changes: []*pdpv1.Change{servertest.PutChange(&pdpv1.EntityKey{Id: servertest.Carol}, servertest.UserDoc(servertest.Carol))}, wantField: "changes[0].key.kind"},
		{name: "no id", changes: []*pdpv1.Change{servertest.PutChange(servertest.Key(kindUser, ""), servertest.UserDoc(servertest.Carol))}, wantField: "changes[0].key.id"},
		{name: "put without document", changes: []*pdpv1.Change{servertest.PutCarol(), servertest.PutChange(servertest.UserKey(bob), "")}, wantField: "changes[1].document"},
		{name: "no op", changes: []*pdpv1.Change{{Key: servertest.UserKey(servertest.Carol)}}, wantField: "changes[0].op"},
		// The store writes each entity once per revision: which of two
		// changes of one entity is meant is the caller's to say.
		{name: "one entity put twice", changes: []*pdpv1.Change{servertest.PutCarol(), servertest.PutChange(servertest.UserKey(bob),
			servertest.UserDoc(bob)), servertest.PutCarol("marketing")}, wantField: "changes[2].key"},
		{name: "one entity put, then deleted", changes: []*pdpv1.Change{servertest.PutCarol(),
			servertest.DeleteChange(servertest.UserKey(servertest.Carol))}, wantField: "changes[1].key"},
	}
	for _, tc := range tests {
		for _, dryRun := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/dry run %v", tc.name, dryRun), func(t *testing.T) {
				_, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: tc.changes, DryRun: dryRun})
				got := decodeError(err)
				assert.Equal(t, codes.InvalidArgument, got.Code, "ApplyChanges = %v", got)
				assert.Equal(t, []string{tc.wantField}, got.Fields, "ApplyChanges = %v", got)
			})
		}
	}
	assert.Equal(t, e.SeedRev, e.StoreRevision(t), "store revision")
}

// TestApplyChangesExpectRevision checks the compare-and-swap of
// ApplyChanges and Import: a stale expect_revision is ABORTED and writes
// nothing, dry run or not.
func TestApplyChangesExpectRevision(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	cur := e.Apply(t, "carol joins", servertest.PutCarol("marketing"))
	before, _ := e.Export(t, 0)
	calls := []struct {
		name string
		call func(expect int64, dryRun bool) error
	}{
		{"ApplyChanges", func(expect int64, dryRun bool) error {
			_, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{
				Changes: []*pdpv1.Change{servertest.DeleteChange(servertest.UserKey(servertest.Carol))}, ExpectRevision: expect, DryRun: dryRun})
			return err
		}},
		{"Import", func(expect int64, dryRun bool) error {
			_, err := e.Admin.Import(t.Context(), &pdpv1.ImportRequest{Bundle: exampleBundle(t), ExpectRevision: expect, DryRun: dryRun})
			return err
		}},
		{"Rollback", func(expect int64, _ bool) error {
			_, err := e.Admin.Rollback(t.Context(), &pdpv1.RollbackRequest{ToRevision: e.SeedRev, ExpectRevision: expect})
			return err
		}},
	}
	for _, c := range calls {
		for _, stale := range []int64{cur - 1, cur + 1} {
			for _, dryRun := range []bool{false, true} {
				err := c.call(stale, dryRun)
				got := decodeError(err)
				assert.Equal(t, codes.Aborted, got.Code, "%s(expect_revision %d, dry_run %v) at %d = %v", c.name, stale, dryRun, cur, got)
				assert.Equal(t, "REVISION_CONFLICT", got.Reason, "%s(expect_revision %d, dry_run %v) at %d = %v", c.name, stale, dryRun, cur, got)
			}
		}
	}
	after, rev := e.Export(t, 0)
	require.Equal(t, cur, rev, "store revision")
	require.Equal(t, before, after, "the store")
	resp, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{
		Changes: []*pdpv1.Change{servertest.DeleteChange(servertest.UserKey(servertest.Carol))}, ExpectRevision: cur})
	require.NoError(t, err, "ApplyChanges(expect_revision %d)", cur)
	require.Equal(t, cur+1, resp.GetRevision(), "ApplyChanges(expect_revision %d)", cur)
}

// exampleBundle is examples/model as one bundle.
func exampleBundle(t *testing.T) string {
	t.Helper()
	b, err := servertest.ExampleSet(t).Bundle()
	require.NoError(t, err)
	return string(b)
}

// TestApplyChangesConcurrentWriters starts two writers at once, round after
// round: with the same expect_revision exactly one wins and the other is
// ABORTED; without one, both are written, one after the other.
func TestApplyChangesConcurrentWriters(t *testing.T) {
	t.Parallel()
	const rounds = 20
	tests := []struct {
		name       string
		cas        bool
		wantWrites int
	}{
		{name: "same expect_revision", cas: true, wantWrites: 1},
		{name: "no expect_revision", cas: false, wantWrites: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := servertest.NewEnv(t, servertest.Options{})
			docs := [2]string{servertest.UserDoc(servertest.Carol, "marketing"), servertest.UserDoc(servertest.Carol)}
			for round := range rounds {
				cur := e.StoreRevision(t)
				expect := int64(0)
				if tc.cas {
					expect = cur
				}
				start := make(chan struct{})
				var (
					wg      sync.WaitGroup
					revs    [2]int64
					errs    [2]error
					writers = [2]string{"ann", "ben"}
				)
				for w := range 2 {
					wg.Go(func() {
						<-start
						resp, err := e.Admin.ApplyChanges(servertest.AsAuthor(t.Context(), writers[w]), &pdpv1.ApplyChangesRequest{
							Changes: []*pdpv1.Change{servertest.PutChange(servertest.UserKey(servertest.Carol), docs[w])}, ExpectRevision: expect})
						revs[w], errs[w] = resp.GetRevision(), err
					})
				}
				close(start)
				wg.Wait()
				var won []int
				for w := range 2 {
					switch code := status.Code(errs[w]); {
					case code == codes.OK:
						won = append(won, w)
					default:
						require.True(t, tc.cas, "round %d: writer %d: %v", round, w, errs[w])
						require.Equal(t, codes.Aborted, code, "round %d: writer %d: %v", round, w, errs[w])
					}
				}
				require.Len(t, won, tc.wantWrites, "round %d: writers won (%v, %v)", round, errs[0], errs[1])
				require.Equal(t, cur+int64(tc.wantWrites), e.StoreRevision(t), "round %d: store revision", round)
				// The last winner's document is the one kept.
				last := won[0]
				if len(won) == 2 && revs[1] > revs[0] {
					last = 1
				}
				got, err := e.Admin.GetEntity(t.Context(), &pdpv1.GetEntityRequest{Key: servertest.UserKey(servertest.Carol)})
				require.NoError(t, err, "round %d: GetEntity(carol)", round)
				require.Equal(t, docs[last], got.GetEntity().GetDocument(), "round %d: carol, want writer %d's document", round, last)
				require.Equal(t, revs[last], got.GetEntity().GetModRevision(), "round %d: carol, want writer %d's revision", round, last)
			}
		})
	}
}

// TestGetEntity reads entities at the current and past revisions.
func TestGetEntity(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	joined := e.Apply(t, "carol joins", servertest.PutCarol("marketing"))
	left := e.Apply(t, "carol leaves", servertest.PutCarol())
	gone := e.Apply(t, "carol goes", servertest.DeleteChange(servertest.UserKey(servertest.Carol)))
	tests := []struct {
		name     string
		key      *pdpv1.EntityKey
		revision int64
		wantCode codes.Code
		wantDoc  string
		wantMod  int64 // mod_revision
		wantRev  int64 // revision read
	}{
		{name: "current", key: servertest.UserKey(alice), wantMod: e.SeedRev, wantRev: gone},
		{name: "past", key: servertest.UserKey(servertest.Carol), revision: joined, wantDoc: servertest.UserDoc(servertest.Carol, "marketing"), wantMod: joined, wantRev: joined},
		{name: "past, changed later", key: servertest.UserKey(servertest.Carol), revision: left, wantDoc: servertest.UserDoc(servertest.Carol), wantMod: left, wantRev: left},
		{name: "deleted", key: servertest.UserKey(servertest.Carol), wantCode: codes.NotFound},
		{name: "before it existed", key: servertest.UserKey(servertest.Carol), revision: e.SeedRev, wantCode: codes.NotFound},
		{name: "never existed", key: servertest.Key(kindGroup, marketing+"/nobody"), wantCode: codes.NotFound},
		{name: "future revision", key: servertest.UserKey(alice), revision: gone + 1, wantCode: codes.OutOfRange},
		{name: "no kind", key: &pdpv1.EntityKey{Id: alice}, wantCode: codes.InvalidArgument},
		{name: "no key", wantCode: codes.InvalidArgument},
		{name: "id with a control character", key: servertest.UserKey("arn:aws:iam::111122223333:user/a\x01b"), wantCode: codes.InvalidArgument},
		{name: "id longer than any key", key: servertest.UserKey("arn:aws:iam::111122223333:user/" + strings.Repeat("a", 3000)), wantCode: codes.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := e.Admin.GetEntity(t.Context(), &pdpv1.GetEntityRequest{Key: tc.key, Revision: tc.revision})
			require.Equal(t, tc.wantCode, status.Code(err), "GetEntity = %v", err)
			if tc.wantCode != codes.OK {
				return
			}
			ent := resp.GetEntity()
			assert.Equal(t, tc.wantRev, resp.GetRevision(), "revision")
			assert.Equal(t, tc.wantMod, ent.GetModRevision(), "mod revision")
			assert.Equal(t, tc.key.GetId(), ent.GetKey().GetId(), "key id")
			assert.Equal(t, tc.key.GetKind(), ent.GetKey().GetKind(), "key kind")
			if tc.wantDoc != "" {
				assert.Equal(t, tc.wantDoc, ent.GetDocument(), "document")
			}
		})
	}
}

// TestListEntities pages through the users: every user exactly once, all
// pages at the first page's revision though the model changes meanwhile.
func TestListEntities(t *testing.T) {
	t.Parallel()
	for _, pageSize := range []int32{1, 2, 0} {
		t.Run(fmt.Sprintf("page_size=%d", pageSize), func(t *testing.T) {
			t.Parallel()
			e := servertest.NewEnv(t, servertest.Options{})
			want := []string{alice, bob}
			for _, name := range []string{"dora", "carol", "eve"} {
				arn := servertest.MarketingUser(name)
				e.Apply(t, "add "+name, servertest.PutChange(servertest.UserKey(arn), servertest.UserDoc(arn, "marketing")))
				want = append(want, arn)
			}
			slices.Sort(want)
			listed := e.StoreRevision(t)
			var (
				got   []string
				token string
			)
			for page := 0; ; page++ {
				resp, err := e.Admin.ListEntities(t.Context(), &pdpv1.ListEntitiesRequest{Kind: kindUser, PageSize: pageSize, PageToken: token})
				require.NoError(t, err, "page %d", page)
				require.Equal(t, listed, resp.GetRevision(), "page %d: revision", page)
				if pageSize > 0 {
					require.LessOrEqual(t, len(resp.GetEntities()), int(pageSize), "page %d: entities", page)
				}
				for _, ent := range resp.GetEntities() {
					got = append(got, ent.GetKey().GetId())
				}
				if token = resp.GetNextPageToken(); token == "" {
					break
				}
				require.LessOrEqual(t, page, len(want), "pages")
				// A change between pages does not show in this listing.
				arn := servertest.MarketingUser(fmt.Sprintf("late%d", page))
				changes := []*pdpv1.Change{servertest.PutChange(servertest.UserKey(arn), servertest.UserDoc(arn))}
				if page == 0 {
					changes = append(changes, servertest.DeleteChange(servertest.UserKey(servertest.MarketingUser("eve"))))
				}
				e.Apply(t, "late user", changes...)
			}
			if !slices.Equal(got, want) { // nil and empty are the same listing
				assert.Equal(t, want, got, "listed")
			}
		})
	}
}

// TestListEntitiesBadRequest checks the arguments ListEntities refuses.
func TestListEntitiesBadRequest(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	first, err := e.Admin.ListEntities(t.Context(), &pdpv1.ListEntitiesRequest{Kind: kindUser, PageSize: 1})
	require.NoError(t, err, "first page")
	require.NotEmpty(t, first.GetNextPageToken(), "first page's next page token")
	e.Apply(t, "carol joins", servertest.PutCarol("marketing"))
	tests := []struct {
		name      string
		req       *pdpv1.ListEntitiesRequest
		wantCode  codes.Code
		wantField string
		wantMsg   string // part of the violation's description
	}{
		{name: "garbage token", req: &pdpv1.ListEntitiesRequest{Kind: kindUser, PageToken: "not a token"},
			wantCode: codes.InvalidArgument, wantField: "page_token"},
		{name: "base64 of garbage", req: &pdpv1.ListEntitiesRequest{Kind: kindUser, PageToken: "bm90IGpzb24"},
			wantCode: codes.InvalidArgument, wantField: "page_token"},
		{name: "token of another revision", req: &pdpv1.ListEntitiesRequest{Kind: kindUser, PageToken: first.GetNextPageToken(), Revision: first.GetRevision() + 1},
			wantCode: codes.InvalidArgument, wantField: "page_token"},
		{name: "no kind", req: &pdpv1.ListEntitiesRequest{}, wantCode: codes.InvalidArgument, wantField: "kind"},
		{name: "negative page size", req: &pdpv1.ListEntitiesRequest{Kind: kindUser, PageSize: -1}, wantCode: codes.InvalidArgument, wantField: "page_size"},
		{name: "huge page size", req: &pdpv1.ListEntitiesRequest{Kind: kindUser, PageSize: 1001}, wantCode: codes.InvalidArgument, wantField: "page_size"},
		{name: "future revision", req: &pdpv1.ListEntitiesRequest{Kind: kindUser, Revision: 99}, wantCode: codes.OutOfRange},
		{name: "token of the right revision", req: &pdpv1.ListEntitiesRequest{Kind: kindUser, PageToken: first.GetNextPageToken(), Revision: first.GetRevision()}},
		{name: "user token listing roles", req: &pdpv1.ListEntitiesRequest{Kind: pdpv1.EntityKind_ENTITY_KIND_ROLE, PageToken: first.GetNextPageToken()},
			wantCode: codes.InvalidArgument, wantField: "page_token", wantMsg: `kind "user", not "role"`},
		{name: "user token listing groups", req: &pdpv1.ListEntitiesRequest{Kind: kindGroup, PageToken: first.GetNextPageToken()},
			wantCode: codes.InvalidArgument, wantField: "page_token", wantMsg: `kind "user", not "group"`},
		{name: "token naming no kind", req: &pdpv1.ListEntitiesRequest{Kind: kindUser, PageToken: listToken(`{"r":1,"a":"arn:aws:iam::111122223333:user/alice"}`)},
			wantCode: codes.InvalidArgument, wantField: "page_token", wantMsg: "malformed page token"},
		{name: "token of a negative revision", req: &pdpv1.ListEntitiesRequest{Kind: kindUser, PageToken: listToken(`{"r":-1,"k":"user","a":"arn:aws:iam::111122223333:user/alice"}`)},
			wantCode: codes.InvalidArgument, wantField: "page_token", wantMsg: "revision -1 is not positive"},
		{name: "token of revision 0", req: &pdpv1.ListEntitiesRequest{Kind: kindUser, PageToken: listToken(`{"r":0,"k":"user","a":"arn:aws:iam::111122223333:user/alice"}`)},
			wantCode: codes.InvalidArgument, wantField: "page_token", wantMsg: "revision 0 is not positive"},
		{name: "token with another member", req: &pdpv1.ListEntitiesRequest{Kind: kindUser, PageToken: listToken(`{"r":1,"k":"user","a":"x","s":1}`)},
			wantCode: codes.InvalidArgument, wantField: "page_token", wantMsg: "malformed page token"},
		{name: "token with trailing data", req: &pdpv1.ListEntitiesRequest{Kind: kindUser, PageToken: listToken(`{"r":1,"k":"user","a":"x"}{}`)},
			wantCode: codes.InvalidArgument, wantField: "page_token", wantMsg: "malformed page token"},
		{name: "huge token", req: &pdpv1.ListEntitiesRequest{Kind: kindUser, PageToken: strings.Repeat("A", 5000)},
			wantCode: codes.InvalidArgument, wantField: "page_token", wantMsg: "over the limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.Admin.ListEntities(t.Context(), tc.req)
			got := decodeError(err)
			assert.Equal(t, tc.wantCode, got.Code, "ListEntities = %v", got)
			if tc.wantField != "" {
				assert.Equal(t, []string{tc.wantField}, got.Fields, "ListEntities = %v", got)
			}
			if tc.wantMsg != "" {
				assert.Contains(t, got.Msg, tc.wantMsg, "ListEntities = %v", got)
			}
		})
	}
}

// listToken encodes a ListEntities page token by hand, as a caller could.
func listToken(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }

// TestGetHistory lists the revisions of one entity, newest first, and of a
// range, with the author (anonymous, with the name the x-pdp-author metadata
// claims and the peer) and the message.
func TestGetHistory(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	type write struct {
		author, msg string
		change      *pdpv1.Change
	}
	writes := []write{
		{"ann", "carol joins", servertest.PutCarol("marketing")},
		{"ben", "bob leaves", servertest.DeleteChange(servertest.UserKey(bob))},
		{"ann", "carol leaves the group", servertest.PutCarol()},
		{"", "carol goes", servertest.DeleteChange(servertest.UserKey(servertest.Carol))},
	}
	revs := make([]int64, len(writes))
	for i, w := range writes {
		ctx := t.Context()
		if w.author != "" {
			ctx = servertest.AsAuthor(ctx, w.author)
		}
		resp, err := e.Admin.ApplyChanges(ctx, &pdpv1.ApplyChangesRequest{Changes: []*pdpv1.Change{w.change}, Message: w.msg})
		require.NoError(t, err)
		revs[i] = resp.GetRevision()
	}
	line := func(r *pdpv1.RevisionInfo) string {
		var keys []string
		for _, k := range r.GetKeys() {
			keys = append(keys, k.GetKind().String()+"/"+k.GetId())
		}
		return fmt.Sprintf("%d %s %q %s", r.GetRevision(), r.GetAuthor(), r.GetMessage(), keys)
	}
	want := func(i int) string {
		w := writes[i]
		author := "anonymous (peer bufconn)" // the callers are not authenticated
		if w.author != "" {
			author = fmt.Sprintf("anonymous as %q (peer bufconn)", w.author)
		}
		return fmt.Sprintf("%d %s %q %s", revs[i], author, w.msg, []string{w.change.GetKey().GetKind().String() + "/" + w.change.GetKey().GetId()})
	}
	seedLine := fmt.Sprintf("%d pdp serve %q", e.SeedRev, "seed examples/model")
	tests := []struct {
		name string
		req  *pdpv1.GetHistoryRequest
		want []string
	}{
		{name: "entity, newest first", req: &pdpv1.GetHistoryRequest{Key: servertest.UserKey(servertest.Carol)}, want: []string{want(3), want(2), want(0)}},
		{name: "entity from the seed", req: &pdpv1.GetHistoryRequest{Key: servertest.UserKey(bob)}, want: []string{want(1), seedLine}},
		{name: "entity never written", req: &pdpv1.GetHistoryRequest{Key: servertest.UserKey(servertest.MarketingUser("nobody"))}, want: nil},
		{name: "range after the seed", req: &pdpv1.GetHistoryRequest{FromRevision: e.SeedRev}, want: []string{want(0), want(1), want(2), want(3)}},
		{name: "range", req: &pdpv1.GetHistoryRequest{FromRevision: revs[0], ToRevision: revs[2]}, want: []string{want(1), want(2)}},
		{name: "empty range", req: &pdpv1.GetHistoryRequest{FromRevision: revs[3]}, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := e.Admin.GetHistory(t.Context(), tc.req)
			require.NoError(t, err)
			var got []string
			for _, r := range resp.GetRevisions() {
				l := line(r)
				if r.GetRevision() == e.SeedRev {
					l = l[:strings.LastIndexByte(l, '"')+1] // the seed's keys: every entity
				}
				got = append(got, l)
				assert.NotNil(t, r.GetTime(), "time of revision %d", r.GetRevision())
			}
			if !slices.Equal(got, tc.want) { // nil and empty are the same history
				assert.Equal(t, tc.want, got, "history")
			}
		})
	}
	_, err := e.Admin.GetHistory(t.Context(), &pdpv1.GetHistoryRequest{ToRevision: revs[3] + 1})
	assert.Equal(t, codes.OutOfRange, status.Code(err), "GetHistory to a future revision: %v", err)
}

// TestDiff compares revisions both ways.
func TestDiff(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	a := e.Apply(t, "carol joins", servertest.PutCarol("marketing"))
	b := e.Apply(t, "bob goes, servertest.Carol leaves the group", servertest.DeleteChange(servertest.UserKey(bob)), servertest.PutCarol())
	const (
		putCarolS  = "put ENTITY_KIND_USER/" + servertest.Carol
		delCarolS  = "delete ENTITY_KIND_USER/" + servertest.Carol
		putBobS    = "put ENTITY_KIND_USER/" + bob
		deleteBobS = "delete ENTITY_KIND_USER/" + bob
	)
	tests := []struct {
		name     string
		from, to int64
		want     []string
		wantDocs map[string]string // document of a put, by ID
		wantTo   int64
		wantCode codes.Code
	}{
		{name: "one revision", from: e.SeedRev, to: a, want: []string{putCarolS}, wantDocs: map[string]string{servertest.Carol: servertest.UserDoc(servertest.Carol, "marketing")}, wantTo: a},
		{name: "two revisions", from: e.SeedRev, to: b, want: []string{deleteBobS, putCarolS}, wantDocs: map[string]string{servertest.Carol: servertest.UserDoc(servertest.Carol)}, wantTo: b},
		{name: "to current", from: a, want: []string{deleteBobS, putCarolS}, wantDocs: map[string]string{servertest.Carol: servertest.UserDoc(servertest.Carol)}, wantTo: b},
		{name: "backwards", from: b, to: e.SeedRev, want: []string{putBobS, delCarolS}, wantTo: e.SeedRev},
		{name: "same", from: a, to: a, want: []string{}, wantTo: a},
		{name: "future", from: a, to: b + 1, wantCode: codes.OutOfRange},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := e.Admin.Diff(t.Context(), &pdpv1.DiffRequest{FromRevision: tc.from, ToRevision: tc.to})
			require.Equal(t, tc.wantCode, status.Code(err), "Diff = %v", err)
			if err != nil {
				return
			}
			if got := servertest.ChangeStrings(resp.GetChanges()); !slices.Equal(got, tc.want) { // nil and empty alike
				assert.Equal(t, tc.want, got, "Diff(%d, %d)", tc.from, tc.to)
			}
			assert.Equal(t, tc.from, resp.GetFromRevision(), "Diff from revision")
			assert.Equal(t, tc.wantTo, resp.GetToRevision(), "Diff to revision")
			for _, c := range resp.GetChanges() {
				if want, ok := tc.wantDocs[c.GetKey().GetId()]; ok {
					assert.Equal(t, want, c.GetDocument(), "put %s", c.GetKey().GetId())
				}
			}
		})
	}
}

// TestRollback makes the model what it was at the seed again, as a new
// revision whose Export equals the seed's, and decisions follow.
func TestRollback(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	seedExport, _ := e.Export(t, e.SeedRev)
	e.Apply(t, "carol joins", servertest.PutCarol("marketing"))
	e.Apply(t, "bob goes", servertest.DeleteChange(servertest.UserKey(bob)))
	cur := e.Apply(t, "marketing loses its inline policy", servertest.PutChange(servertest.Key(kindGroup, marketing+"/marketing"),
		`{"name":"marketing","account":"111122223333","managed_policies":["SegmentReaders"]}`))

	for _, tc := range []struct {
		name     string
		req      *pdpv1.RollbackRequest
		wantCode codes.Code
	}{
		{name: "stale expect_revision", req: &pdpv1.RollbackRequest{ToRevision: e.SeedRev, ExpectRevision: cur - 1}, wantCode: codes.Aborted},
		{name: "future revision", req: &pdpv1.RollbackRequest{ToRevision: cur + 1}, wantCode: codes.OutOfRange},
		{name: "no revision", req: &pdpv1.RollbackRequest{}, wantCode: codes.InvalidArgument},
		{name: "negative revision", req: &pdpv1.RollbackRequest{ToRevision: -1}, wantCode: codes.InvalidArgument},
	} {
		_, err := e.Admin.Rollback(t.Context(), tc.req)
		assert.Equal(t, tc.wantCode, status.Code(err), "%s: Rollback = %v", tc.name, err)
	}
	require.Equal(t, cur, e.StoreRevision(t), "store revision after refused rollbacks")

	resp, err := e.Admin.Rollback(servertest.AsAuthor(t.Context(), "ops"), &pdpv1.RollbackRequest{ToRevision: e.SeedRev, ExpectRevision: cur})
	require.NoError(t, err, "Rollback")
	require.Equal(t, cur+1, resp.GetRevision(), "Rollback revision")
	got, _ := e.Export(t, 0)
	assert.Equal(t, seedExport, got, "Export after the rollback, want the seed's")
	hist, err := e.Admin.GetHistory(t.Context(), &pdpv1.GetHistoryRequest{FromRevision: cur})
	if assert.NoError(t, err, "history of the rollback") && assert.Len(t, hist.GetRevisions(), 1, "history of the rollback") {
		assert.Equal(t, `anonymous as "ops" (peer bufconn)`, hist.GetRevisions()[0].GetAuthor(), "author of the rollback")
		assert.Equal(t, fmt.Sprintf("rollback to revision %d", e.SeedRev), hist.GetRevisions()[0].GetMessage(), "message of the rollback")
	}
	check, err := e.Authz.Check(t.Context(), servertest.CarolReadsSegment(resp.GetRevision()))
	if assert.NoError(t, err, "carol after the rollback") {
		assert.Equal(t, implicitDeny, check.GetDecision(), "carol after the rollback")
		assert.GreaterOrEqual(t, check.GetRevision(), resp.GetRevision(), "revision of carol's check after the rollback")
	}

	// Rolling back to what is current changes nothing.
	again, err := e.Admin.Rollback(t.Context(), &pdpv1.RollbackRequest{ToRevision: e.SeedRev})
	if assert.NoError(t, err, "second Rollback") {
		assert.Equal(t, resp.GetRevision(), again.GetRevision(), "second Rollback revision")
	}
	assert.Equal(t, resp.GetRevision(), e.StoreRevision(t), "store revision after the second Rollback: want no write")
}

// TestImport imports an Export back (no change, even for a document written
// differently from how Export writes it) and a modified bundle (exactly its
// changes).
func TestImport(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	// Written with spaces, as a person would: Export writes it compactly.
	e.Apply(t, "carol joins", servertest.PutChange(servertest.UserKey(servertest.Carol),
		`{"arn": "`+servertest.Carol+`", "groups": ["marketing"], "tags": {"team": "growth"}}`))
	bundle, rev := e.Export(t, 0)

	resp, err := e.Admin.Import(t.Context(), &pdpv1.ImportRequest{Bundle: bundle, Message: "round trip"})
	require.NoError(t, err, "Import of the export")
	require.Equal(t, rev, resp.GetRevision(), "Import of the export: revision")
	require.Empty(t, resp.GetChanges(), "Import of the export: changes")
	require.Equal(t, rev, e.StoreRevision(t), "store revision after importing the export")

	var set entity.Set
	require.NoError(t, json.Unmarshal([]byte(bundle), &set), "the export is not a bundle")
	set.Users = slices.DeleteFunc(set.Users, func(u entity.User) bool { return u.ARN == bob })
	for i := range set.Users {
		if set.Users[i].ARN == alice {
			set.Users[i].Tags = map[string]string{"team": "retention"}
		}
	}
	dora := servertest.MarketingUser("dora")
	set.Users = append(set.Users, entity.User{ARN: dora, Groups: []string{"marketing"}})
	modified, err := set.Bundle()
	require.NoError(t, err)
	wantChanges := []string{"put ENTITY_KIND_USER/" + alice, "delete ENTITY_KIND_USER/" + bob, "put ENTITY_KIND_USER/" + dora}

	dry, err := e.Admin.Import(t.Context(), &pdpv1.ImportRequest{Bundle: string(modified), DryRun: true})
	require.NoError(t, err, "dry-run Import")
	require.Equal(t, rev, dry.GetRevision(), "dry-run Import: revision")
	require.Equal(t, wantChanges, servertest.ChangeStrings(dry.GetChanges()), "dry-run Import: changes")
	require.Equal(t, rev, e.StoreRevision(t), "store revision after a dry-run Import")
	resp, err = e.Admin.Import(t.Context(), &pdpv1.ImportRequest{Bundle: string(modified), ExpectRevision: rev, Message: "reorganize"})
	require.NoError(t, err, "Import")
	require.Equal(t, rev+1, resp.GetRevision(), "Import revision")
	assert.Equal(t, wantChanges, servertest.ChangeStrings(resp.GetChanges()), "Import changes")
	diff, err := e.Admin.Diff(t.Context(), &pdpv1.DiffRequest{FromRevision: rev})
	if assert.NoError(t, err, "Diff of the import") {
		assert.Equal(t, wantChanges, servertest.ChangeStrings(diff.GetChanges()), "Diff of the import")
	}
	again, err := e.Admin.Import(t.Context(), &pdpv1.ImportRequest{Bundle: string(modified)})
	if assert.NoError(t, err, "second Import") {
		assert.Equal(t, rev+1, again.GetRevision(), "second Import revision")
		assert.Empty(t, again.GetChanges(), "second Import changes")
	}
}

// TestImportInvalid checks bundles Import refuses without writing.
func TestImportInvalid(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	bundle, rev := e.Export(t, 0)
	var set entity.Set
	require.NoError(t, json.Unmarshal([]byte(bundle), &set))
	set.Users[0].Groups = []string{"marketting"}
	badGroup, err := set.Bundle()
	require.NoError(t, err)
	tests := []struct {
		name      string
		bundle    string
		wantField string // a field violation starting so
		wantMsg   string
	}{
		{name: "not YAML", bundle: "users: [\n", wantField: "bundle"},
		{name: "not JSON", bundle: `{"users": [}`, wantField: "bundle"},
		{name: "unknown list", bundle: `{"people": []}`, wantField: "bundle", wantMsg: `unknown field "people"`},
		{name: "unknown group", bundle: string(badGroup),
			wantField: `user "` + alice + `".groups[0]`, wantMsg: "did you mean"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Admin.Import(t.Context(), &pdpv1.ImportRequest{Bundle: tc.bundle})
			got := decodeError(err)
			assert.Equal(t, codes.InvalidArgument, got.Code, "Import = %v", got)
			assert.True(t, slices.ContainsFunc(got.Fields, func(f string) bool { return strings.HasPrefix(f, tc.wantField) }),
				"Import = %v; want a field violation on %q", got, tc.wantField)
			assert.Contains(t, got.Msg, tc.wantMsg, "Import = %v", got)
		})
	}
	assert.Equal(t, rev, e.StoreRevision(t), "store revision")
}

// watchEvents receives n change events (skipping progress notifications)
// from a Watch stream.
func watchEvents(t *testing.T, stream pdpv1.PolicyService_WatchClient, n int) []*pdpv1.WatchResponse {
	t.Helper()
	var out []*pdpv1.WatchResponse
	for len(out) < n {
		resp, err := stream.Recv()
		require.NoError(t, err, "Watch after %d events", len(out))
		if resp.GetProgress() {
			continue
		}
		out = append(out, resp)
	}
	return out
}

// boundedContext is t.Context with servertest.WaitTimeout.
func boundedContext(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), servertest.WaitTimeout)
}

// TestWatch streams the revisions after from_revision, and resumes after
// the client cancels with nothing missed and nothing repeated.
func TestWatch(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	ctx, cancel := boundedContext(t)
	defer cancel()
	// Two writes before the stream starts, the rest after.
	var (
		wantRevs    []int64
		wantChanges [][]string
	)
	write := func(msg string, cs ...*pdpv1.Change) {
		wantRevs = append(wantRevs, e.Apply(t, msg, cs...))
		wantChanges = append(wantChanges, servertest.ChangeStrings(cs))
	}
	write("carol joins", servertest.PutCarol("marketing"))
	write("bob goes", servertest.DeleteChange(servertest.UserKey(bob)))

	first, cancelFirst := context.WithCancel(ctx)
	stream, err := e.Admin.Watch(first, &pdpv1.WatchRequest{FromRevision: e.SeedRev})
	require.NoError(t, err)
	write("carol leaves", servertest.PutCarol())
	write("bob is back", servertest.PutChange(servertest.UserKey(bob), servertest.UserDoc(bob, "marketing")))
	write("two at once", servertest.DeleteChange(servertest.UserKey(servertest.Carol)), servertest.PutChange(servertest.UserKey(servertest.MarketingUser("dora")), servertest.UserDoc(servertest.MarketingUser("dora"))))
	got := watchEvents(t, stream, 3)
	cancelFirst()
	for {
		// Events already on their way may still arrive; then the stream
		// ends with the cancellation.
		if _, err := stream.Recv(); err != nil {
			assert.Equal(t, codes.Canceled, status.Code(err), "Recv after cancel: %v", err)
			break
		}
	}

	// Changes made while no one watches, then resume after the last
	// revision received.
	write("dora goes", servertest.DeleteChange(servertest.UserKey(servertest.MarketingUser("dora"))))
	stream, err = e.Admin.Watch(ctx, &pdpv1.WatchRequest{FromRevision: got[len(got)-1].GetRevision()})
	require.NoError(t, err)
	got = append(got, watchEvents(t, stream, len(wantRevs)-len(got))...)
	write("carol again", servertest.PutCarol("marketing"))
	got = append(got, watchEvents(t, stream, 1)...)

	for i, ev := range got {
		assert.Equal(t, wantRevs[i], ev.GetRevision(), "event %d revision", i)
		assert.Equal(t, wantRevs[i], ev.GetInfo().GetRevision(), "event %d info revision", i)
		if c := servertest.ChangeStrings(ev.GetChanges()); !slices.Equal(c, wantChanges[i]) { // nil and empty alike
			assert.Equal(t, wantChanges[i], c, "event %d changes", i)
		}
		assert.NotEmpty(t, ev.GetInfo().GetMessage(), "event %d info message", i)
		assert.NotNil(t, ev.GetInfo().GetTime(), "event %d info time", i)
		assert.Len(t, ev.GetInfo().GetKeys(), len(wantChanges[i]), "event %d info keys", i)
	}
	assert.Len(t, got, len(wantRevs), "events")
}

// TestWatchFromCurrent starts a Watch at the current revision (0): it
// sends progress notifications at that revision while nothing changes, then
// only what is written after.
func TestWatchFromCurrent(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{Store: memstore.New(store.Options{ProgressInterval: 20 * time.Millisecond})})
	before := e.Apply(t, "before", servertest.PutCarol())
	ctx, cancel := boundedContext(t)
	defer cancel()
	stream, err := e.Admin.Watch(ctx, &pdpv1.WatchRequest{})
	require.NoError(t, err)
	// A progress notification says the server watches, from before.
	progress, err := stream.Recv()
	require.NoError(t, err, "first Recv")
	require.True(t, progress.GetProgress(), "first Recv = %v, want a progress notification", progress)
	require.Equal(t, before, progress.GetRevision(), "revision of the progress notification")
	require.Nil(t, progress.GetInfo(), "info of the progress notification")
	require.Empty(t, progress.GetChanges(), "changes of the progress notification")
	rev := e.Apply(t, "after", servertest.PutCarol("marketing"))
	assert.Equal(t, rev, watchEvents(t, stream, 1)[0].GetRevision(), "first event (only what was written after the watch began)")
}

// TestWatchOutOfRange checks the revisions a Watch cannot start from: one
// compacted away, and one not yet written.
func TestWatchOutOfRange(t *testing.T) {
	t.Parallel()
	for _, backend := range servertest.StoreBackends {
		t.Run(backend.Name, func(t *testing.T) {
			t.Parallel()
			e := servertest.NewEnv(t, servertest.Options{Store: backend.Open(t, store.Options{KeepRevisions: 2})})
			var last int64
			for i := range 4 {
				last = e.Apply(t, "churn", servertest.PutCarol(slices.Repeat([]string{"marketing"}, i%2)...))
			}
			require.NoError(t, e.St.Compact(t.Context(), 0))
			ctx, cancel := boundedContext(t)
			defer cancel()
			tests := []struct {
				name       string
				from       int64
				wantCode   codes.Code
				wantReason string
			}{
				{name: "compacted", from: e.SeedRev, wantCode: codes.OutOfRange, wantReason: "REVISION_COMPACTED"},
				{name: "future", from: last + 5, wantCode: codes.OutOfRange, wantReason: "REVISION_NOT_WRITTEN"},
			}
			for _, tc := range tests {
				stream, err := e.Admin.Watch(ctx, &pdpv1.WatchRequest{FromRevision: tc.from})
				if err == nil {
					_, err = stream.Recv()
				}
				got := decodeError(err)
				assert.Equal(t, tc.wantCode, got.Code, "%s: Watch(from %d) = %v", tc.name, tc.from, got)
				assert.Equal(t, tc.wantReason, got.Reason, "%s: Watch(from %d) = %v", tc.name, tc.from, got)
			}
			// A kept revision still works, and so do reads of the past
			// that compaction kept.
			stream, err := e.Admin.Watch(ctx, &pdpv1.WatchRequest{FromRevision: last - 1})
			require.NoError(t, err)
			assert.Equal(t, last, watchEvents(t, stream, 1)[0].GetRevision(), "Watch(from %d) first event", last-1)
			_, err = e.Admin.GetEntity(t.Context(), &pdpv1.GetEntityRequest{Key: servertest.UserKey(alice), Revision: e.SeedRev})
			assert.Equal(t, codes.OutOfRange, status.Code(err), "GetEntity at the compacted seed: %v", err)
			_, err = e.Admin.Export(t.Context(), &pdpv1.ExportRequest{Revision: last - 1})
			assert.NoError(t, err, "Export at kept revision %d", last-1)
		})
	}
}

// TestBadKeysAreTheCallersError checks that a key no write could make is
// INVALID_ARGUMENT on reads too, not an internal error, and that a delete
// of an entity that does not exist repeats its key quoted and clipped.
func TestBadKeysAreTheCallersError(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	bad := servertest.UserKey("arn:aws:iam::111122223333:user/a\x01b")
	_, err := e.Admin.GetHistory(t.Context(), &pdpv1.GetHistoryRequest{Key: bad})
	assert.Equal(t, codes.InvalidArgument, status.Code(err), "GetHistory = %v", err)

	id := "arn:aws:iam::111122223333:user/a\x1b[2J\nFAKE LINE" + strings.Repeat("x", 2000)
	_, err = e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{
		Changes: []*pdpv1.Change{servertest.DeleteChange(servertest.UserKey(id))}, DryRun: true})
	require.Equal(t, codes.InvalidArgument, status.Code(err), "ApplyChanges = %v", err)
	msg := status.Convert(err).Message()
	assert.NotContains(t, msg, "\x1b", "a raw escape in the message")
	assert.NotContains(t, msg, "\n", "a raw newline in the message")
	assert.Less(t, len(msg), 1000, "the message repeats the whole id")
}
