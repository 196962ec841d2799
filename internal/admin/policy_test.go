package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
				if err != nil {
					t.Fatalf("ApplyChanges: %v", err)
				}
				want := e.SeedRev
				if tc.wantNewRev {
					want++
				}
				if resp.GetRevision() != want || e.StoreRevision(t) != want {
					t.Fatalf("revision %d, store at %d; want both %d", resp.GetRevision(), e.StoreRevision(t), want)
				}
				for _, arn := range tc.wantThere {
					if _, err := e.Admin.GetEntity(t.Context(), &pdpv1.GetEntityRequest{Key: servertest.UserKey(arn)}); err != nil {
						t.Errorf("GetEntity(%s) after: %v; want it there", arn, err)
					}
				}
				for _, arn := range tc.wantGone {
					if _, err := e.Admin.GetEntity(t.Context(), &pdpv1.GetEntityRequest{Key: servertest.UserKey(arn)}); status.Code(err) != codes.NotFound {
						t.Errorf("GetEntity(%s) after: %v; want NotFound", arn, err)
					}
				}
				if after, _ := e.Export(t, 0); !tc.wantNewRev && after != before {
					t.Errorf("the model changed:\n%s\nwant\n%s", after, before)
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
			wantMsgs:   []string{"managed_policy/Broken: invalid character", patternMsg, groupMsg},
		},
		{
			// A user attaching the broken policy is not reported for it.
			name: "JSON syntax of a policy a user attaches",
			invalid: []*pdpv1.Change{managedPolicy("Broken", jsonError),
				servertest.PutChange(servertest.UserKey(servertest.Carol), fmt.Sprintf(`{"arn":%q,"managed_policies":["Broken"]}`, servertest.Carol))},
			wantFields: []string{"changes[5].document"},
			wantMsgs:   []string{"invalid character"},
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
				if got.Code != codes.InvalidArgument || got.Reason != "INVALID_MODEL" {
					t.Fatalf("ApplyChanges of %d changes = %v; want InvalidArgument INVALID_MODEL", len(changes), got)
				}
				if !sameElements(got.Fields, tc.wantFields) {
					t.Errorf("field violations %q\nwant %q", got.Fields, tc.wantFields)
				}
				for _, want := range tc.wantMsgs {
					if !strings.Contains(got.Msg, want) {
						t.Errorf("the error does not say %q: %s", want, got.Msg)
					}
				}
				after, afterRev := e.Export(t, 0)
				if afterRev != rev || after != before {
					t.Errorf("the store changed: revision %d → %d", rev, afterRev)
				}
			})
		}
	}
}

// sameElements reports whether a and b hold the same strings, in any order.
func sameElements(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{Changes: tc.changes})
			if got := decodeError(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{tc.wantField}) {
				t.Errorf("ApplyChanges = %v; want InvalidArgument on %q", got, tc.wantField)
			}
		})
	}
	if rev := e.StoreRevision(t); rev != e.SeedRev {
		t.Errorf("store at revision %d; want %d", rev, e.SeedRev)
	}
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
				if got := decodeError(err); got.Code != codes.Aborted || got.Reason != "REVISION_CONFLICT" {
					t.Errorf("%s(expect_revision %d, dry_run %v) at %d = %v; want Aborted REVISION_CONFLICT", c.name, stale, dryRun, cur, got)
				}
			}
		}
	}
	if after, rev := e.Export(t, 0); rev != cur || after != before {
		t.Fatalf("the store moved to revision %d; want it left at %d", rev, cur)
	}
	resp, err := e.Admin.ApplyChanges(t.Context(), &pdpv1.ApplyChangesRequest{
		Changes: []*pdpv1.Change{servertest.DeleteChange(servertest.UserKey(servertest.Carol))}, ExpectRevision: cur})
	if err != nil || resp.GetRevision() != cur+1 {
		t.Fatalf("ApplyChanges(expect_revision %d) = %v, %v; want revision %d", cur, resp, err, cur+1)
	}
}

// exampleBundle is examples/model as one bundle.
func exampleBundle(t *testing.T) string {
	t.Helper()
	b, err := servertest.ExampleSet(t).Bundle()
	if err != nil {
		t.Fatal(err)
	}
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
					case code != codes.Aborted || !tc.cas:
						t.Fatalf("round %d: writer %d: %v", round, w, errs[w])
					}
				}
				if len(won) != tc.wantWrites {
					t.Fatalf("round %d: %d writers won (%v, %v); want %d", round, len(won), errs[0], errs[1], tc.wantWrites)
				}
				if now := e.StoreRevision(t); now != cur+int64(tc.wantWrites) {
					t.Fatalf("round %d: store at %d; want %d", round, now, cur+int64(tc.wantWrites))
				}
				// The last winner's document is the one kept.
				last := won[0]
				if len(won) == 2 && revs[1] > revs[0] {
					last = 1
				}
				got, err := e.Admin.GetEntity(t.Context(), &pdpv1.GetEntityRequest{Key: servertest.UserKey(servertest.Carol)})
				if err != nil || got.GetEntity().GetDocument() != docs[last] || got.GetEntity().GetModRevision() != revs[last] {
					t.Fatalf("round %d: servertest.Carol = %v, %v; want writer %d's document at %d", round, got, err, last, revs[last])
				}
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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := e.Admin.GetEntity(t.Context(), &pdpv1.GetEntityRequest{Key: tc.key, Revision: tc.revision})
			if code := status.Code(err); code != tc.wantCode {
				t.Fatalf("GetEntity = %v; want %v", err, tc.wantCode)
			}
			if tc.wantCode != codes.OK {
				return
			}
			ent := resp.GetEntity()
			if resp.GetRevision() != tc.wantRev || ent.GetModRevision() != tc.wantMod ||
				ent.GetKey().GetId() != tc.key.GetId() || ent.GetKey().GetKind() != tc.key.GetKind() {
				t.Errorf("GetEntity = %v; want %v at revision %d, modified at %d", resp, tc.key, tc.wantRev, tc.wantMod)
			}
			if tc.wantDoc != "" && ent.GetDocument() != tc.wantDoc {
				t.Errorf("document %s; want %s", ent.GetDocument(), tc.wantDoc)
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
				if err != nil {
					t.Fatalf("page %d: %v", page, err)
				}
				if resp.GetRevision() != listed {
					t.Fatalf("page %d at revision %d; want %d", page, resp.GetRevision(), listed)
				}
				if pageSize > 0 && len(resp.GetEntities()) > int(pageSize) {
					t.Fatalf("page %d has %d entities; want at most %d", page, len(resp.GetEntities()), pageSize)
				}
				for _, ent := range resp.GetEntities() {
					got = append(got, ent.GetKey().GetId())
				}
				if token = resp.GetNextPageToken(); token == "" {
					break
				}
				if page > len(want) {
					t.Fatalf("more than %d pages", page)
				}
				// A change between pages does not show in this listing.
				arn := servertest.MarketingUser(fmt.Sprintf("late%d", page))
				changes := []*pdpv1.Change{servertest.PutChange(servertest.UserKey(arn), servertest.UserDoc(arn))}
				if page == 0 {
					changes = append(changes, servertest.DeleteChange(servertest.UserKey(servertest.MarketingUser("eve"))))
				}
				e.Apply(t, "late user", changes...)
			}
			if !slices.Equal(got, want) {
				t.Errorf("listed %q\nwant %q", got, want)
			}
		})
	}
}

// TestListEntitiesBadRequest checks the arguments ListEntities refuses.
func TestListEntitiesBadRequest(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	first, err := e.Admin.ListEntities(t.Context(), &pdpv1.ListEntitiesRequest{Kind: kindUser, PageSize: 1})
	if err != nil || first.GetNextPageToken() == "" {
		t.Fatalf("first page = %v, %v; want a next page", first, err)
	}
	e.Apply(t, "carol joins", servertest.PutCarol("marketing"))
	tests := []struct {
		name      string
		req       *pdpv1.ListEntitiesRequest
		wantCode  codes.Code
		wantField string
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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := e.Admin.ListEntities(t.Context(), tc.req)
			got := decodeError(err)
			if got.Code != tc.wantCode || (tc.wantField != "" && !slices.Equal(got.Fields, []string{tc.wantField})) {
				t.Errorf("ListEntities = %v; want %v on %q", got, tc.wantCode, tc.wantField)
			}
		})
	}
}

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
		if err != nil {
			t.Fatal(err)
		}
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
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range resp.GetRevisions() {
				l := line(r)
				if r.GetRevision() == e.SeedRev {
					l = l[:strings.LastIndexByte(l, '"')+1] // the seed's keys: every entity
				}
				got = append(got, l)
				if r.GetTime() == nil {
					t.Errorf("revision %d has no time", r.GetRevision())
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("history\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(tc.want, "\n "))
			}
		})
	}
	_, err := e.Admin.GetHistory(t.Context(), &pdpv1.GetHistoryRequest{ToRevision: revs[3] + 1})
	if status.Code(err) != codes.OutOfRange {
		t.Errorf("GetHistory to a future revision: %v; want OutOfRange", err)
	}
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
			if status.Code(err) != tc.wantCode {
				t.Fatalf("Diff = %v; want %v", err, tc.wantCode)
			}
			if err != nil {
				return
			}
			if got := servertest.ChangeStrings(resp.GetChanges()); !slices.Equal(got, tc.want) {
				t.Errorf("Diff(%d, %d) = %q; want %q", tc.from, tc.to, got, tc.want)
			}
			if resp.GetFromRevision() != tc.from || resp.GetToRevision() != tc.wantTo {
				t.Errorf("Diff revisions %d..%d; want %d..%d", resp.GetFromRevision(), resp.GetToRevision(), tc.from, tc.wantTo)
			}
			for _, c := range resp.GetChanges() {
				if want, ok := tc.wantDocs[c.GetKey().GetId()]; ok && c.GetDocument() != want {
					t.Errorf("put %s: %s; want %s", c.GetKey().GetId(), c.GetDocument(), want)
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
		if _, err := e.Admin.Rollback(t.Context(), tc.req); status.Code(err) != tc.wantCode {
			t.Errorf("%s: Rollback = %v; want %v", tc.name, err, tc.wantCode)
		}
	}
	if rev := e.StoreRevision(t); rev != cur {
		t.Fatalf("refused rollbacks moved the store to %d; want %d", rev, cur)
	}

	resp, err := e.Admin.Rollback(servertest.AsAuthor(t.Context(), "ops"), &pdpv1.RollbackRequest{ToRevision: e.SeedRev, ExpectRevision: cur})
	if err != nil || resp.GetRevision() != cur+1 {
		t.Fatalf("Rollback = %v, %v; want revision %d", resp, err, cur+1)
	}
	if got, _ := e.Export(t, 0); got != seedExport {
		t.Errorf("Export after the rollback:\n%s\nwant the seed's:\n%s", got, seedExport)
	}
	hist, err := e.Admin.GetHistory(t.Context(), &pdpv1.GetHistoryRequest{FromRevision: cur})
	if err != nil || len(hist.GetRevisions()) != 1 || hist.GetRevisions()[0].GetAuthor() != `anonymous as "ops" (peer bufconn)` ||
		hist.GetRevisions()[0].GetMessage() != fmt.Sprintf("rollback to revision %d", e.SeedRev) {
		t.Errorf("history of the rollback = %v, %v; want author ops and the default message", hist, err)
	}
	check, err := e.Authz.Check(t.Context(), servertest.CarolReadsSegment(resp.GetRevision()))
	if err != nil || check.GetDecision() != implicitDeny || check.GetRevision() < resp.GetRevision() {
		t.Errorf("carol after the rollback = %v, %v; want ImplicitDeny at %d", check, err, resp.GetRevision())
	}

	// Rolling back to what is current changes nothing.
	again, err := e.Admin.Rollback(t.Context(), &pdpv1.RollbackRequest{ToRevision: e.SeedRev})
	if err != nil || again.GetRevision() != resp.GetRevision() || e.StoreRevision(t) != resp.GetRevision() {
		t.Errorf("second Rollback = %v, %v; want revision %d and no write", again, err, resp.GetRevision())
	}
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
	if err != nil || resp.GetRevision() != rev || len(resp.GetChanges()) != 0 || e.StoreRevision(t) != rev {
		t.Fatalf("Import of the export = %v, %v; want no change at revision %d", resp, err, rev)
	}

	var set entity.Set
	if err := json.Unmarshal([]byte(bundle), &set); err != nil {
		t.Fatalf("the export is not a bundle: %v", err)
	}
	set.Users = slices.DeleteFunc(set.Users, func(u entity.User) bool { return u.ARN == bob })
	for i := range set.Users {
		if set.Users[i].ARN == alice {
			set.Users[i].Tags = map[string]string{"team": "retention"}
		}
	}
	dora := servertest.MarketingUser("dora")
	set.Users = append(set.Users, entity.User{ARN: dora, Groups: []string{"marketing"}})
	modified, err := set.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	wantChanges := []string{"put ENTITY_KIND_USER/" + alice, "delete ENTITY_KIND_USER/" + bob, "put ENTITY_KIND_USER/" + dora}

	dry, err := e.Admin.Import(t.Context(), &pdpv1.ImportRequest{Bundle: string(modified), DryRun: true})
	if err != nil || dry.GetRevision() != rev || !slices.Equal(servertest.ChangeStrings(dry.GetChanges()), wantChanges) || e.StoreRevision(t) != rev {
		t.Fatalf("dry-run Import = %v, %v; want %q and no write", dry, err, wantChanges)
	}
	resp, err = e.Admin.Import(t.Context(), &pdpv1.ImportRequest{Bundle: string(modified), ExpectRevision: rev, Message: "reorganize"})
	if err != nil || resp.GetRevision() != rev+1 {
		t.Fatalf("Import = %v, %v; want revision %d", resp, err, rev+1)
	}
	if got := servertest.ChangeStrings(resp.GetChanges()); !slices.Equal(got, wantChanges) {
		t.Errorf("Import changes %q; want %q", got, wantChanges)
	}
	diff, err := e.Admin.Diff(t.Context(), &pdpv1.DiffRequest{FromRevision: rev})
	if err != nil || !slices.Equal(servertest.ChangeStrings(diff.GetChanges()), wantChanges) {
		t.Errorf("Diff of the import = %v, %v; want %q", diff, err, wantChanges)
	}
	again, err := e.Admin.Import(t.Context(), &pdpv1.ImportRequest{Bundle: string(modified)})
	if err != nil || again.GetRevision() != rev+1 || len(again.GetChanges()) != 0 {
		t.Errorf("second Import = %v, %v; want no change", again, err)
	}
}

// TestImportInvalid checks bundles Import refuses without writing.
func TestImportInvalid(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.Options{})
	bundle, rev := e.Export(t, 0)
	var set entity.Set
	if err := json.Unmarshal([]byte(bundle), &set); err != nil {
		t.Fatal(err)
	}
	set.Users[0].Groups = []string{"marketting"}
	badGroup, err := set.Bundle()
	if err != nil {
		t.Fatal(err)
	}
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
			if got.Code != codes.InvalidArgument || !slices.ContainsFunc(got.Fields, func(f string) bool { return strings.HasPrefix(f, tc.wantField) }) ||
				!strings.Contains(got.Msg, tc.wantMsg) {
				t.Errorf("Import = %v; want InvalidArgument on %q saying %q", got, tc.wantField, tc.wantMsg)
			}
		})
	}
	if now := e.StoreRevision(t); now != rev {
		t.Errorf("store at %d; want %d", now, rev)
	}
}

// watchEvents receives n change events (skipping progress notifications)
// from a Watch stream.
func watchEvents(t *testing.T, stream pdpv1.PolicyService_WatchClient, n int) []*pdpv1.WatchResponse {
	t.Helper()
	var out []*pdpv1.WatchResponse
	for len(out) < n {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("Watch after %d events: %v", len(out), err)
		}
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
	if err != nil {
		t.Fatal(err)
	}
	write("carol leaves", servertest.PutCarol())
	write("bob is back", servertest.PutChange(servertest.UserKey(bob), servertest.UserDoc(bob, "marketing")))
	write("two at once", servertest.DeleteChange(servertest.UserKey(servertest.Carol)), servertest.PutChange(servertest.UserKey(servertest.MarketingUser("dora")), servertest.UserDoc(servertest.MarketingUser("dora"))))
	got := watchEvents(t, stream, 3)
	cancelFirst()
	for {
		// Events already on their way may still arrive; then the stream
		// ends with the cancellation.
		if _, err := stream.Recv(); err != nil {
			if status.Code(err) != codes.Canceled {
				t.Errorf("Recv after cancel: %v; want Canceled", err)
			}
			break
		}
	}

	// Changes made while no one watches, then resume after the last
	// revision received.
	write("dora goes", servertest.DeleteChange(servertest.UserKey(servertest.MarketingUser("dora"))))
	stream, err = e.Admin.Watch(ctx, &pdpv1.WatchRequest{FromRevision: got[len(got)-1].GetRevision()})
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, watchEvents(t, stream, len(wantRevs)-len(got))...)
	write("carol again", servertest.PutCarol("marketing"))
	got = append(got, watchEvents(t, stream, 1)...)

	for i, ev := range got {
		if ev.GetRevision() != wantRevs[i] || ev.GetInfo().GetRevision() != wantRevs[i] {
			t.Errorf("event %d at revision %d (info %d); want %d", i, ev.GetRevision(), ev.GetInfo().GetRevision(), wantRevs[i])
		}
		if c := servertest.ChangeStrings(ev.GetChanges()); !slices.Equal(c, wantChanges[i]) {
			t.Errorf("event %d changes %q; want %q", i, c, wantChanges[i])
		}
		if ev.GetInfo().GetMessage() == "" || ev.GetInfo().GetTime() == nil || len(ev.GetInfo().GetKeys()) != len(wantChanges[i]) {
			t.Errorf("event %d info %v; want message, time and keys", i, ev.GetInfo())
		}
	}
	if len(got) != len(wantRevs) {
		t.Errorf("%d events; want %d", len(got), len(wantRevs))
	}
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
	if err != nil {
		t.Fatal(err)
	}
	// A progress notification says the server watches, from before.
	progress, err := stream.Recv()
	if err != nil || !progress.GetProgress() || progress.GetRevision() != before || progress.GetInfo() != nil || len(progress.GetChanges()) != 0 {
		t.Fatalf("first Recv = %v, %v; want a progress notification at %d", progress, err, before)
	}
	rev := e.Apply(t, "after", servertest.PutCarol("marketing"))
	if ev := watchEvents(t, stream, 1)[0]; ev.GetRevision() != rev {
		t.Errorf("first event at %d; want %d (only what was written after the watch began)", ev.GetRevision(), rev)
	}
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
			if err := e.St.Compact(t.Context(), 0); err != nil {
				t.Fatal(err)
			}
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
				if got := decodeError(err); got.Code != tc.wantCode || got.Reason != tc.wantReason {
					t.Errorf("%s: Watch(from %d) = %v; want %v %s", tc.name, tc.from, got, tc.wantCode, tc.wantReason)
				}
			}
			// A kept revision still works, and so do reads of the past
			// that compaction kept.
			stream, err := e.Admin.Watch(ctx, &pdpv1.WatchRequest{FromRevision: last - 1})
			if err != nil {
				t.Fatal(err)
			}
			if ev := watchEvents(t, stream, 1)[0]; ev.GetRevision() != last {
				t.Errorf("Watch(from %d) first event at %d; want %d", last-1, ev.GetRevision(), last)
			}
			if _, err := e.Admin.GetEntity(t.Context(), &pdpv1.GetEntityRequest{Key: servertest.UserKey(alice), Revision: e.SeedRev}); status.Code(err) != codes.OutOfRange {
				t.Errorf("GetEntity at the compacted seed: %v; want OutOfRange", err)
			}
			if _, err := e.Admin.Export(t.Context(), &pdpv1.ExportRequest{Revision: last - 1}); err != nil {
				t.Errorf("Export at kept revision %d: %v", last-1, err)
			}
		})
	}
}
