package admin

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdp-dev/pdp/internal/modelgen"
	"github.com/pdp-dev/pdp/internal/rpcerr"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// TestValidationScopeAgreesWithWholeModel checks, on random change sets
// over a synthetic model, that validating only the part of the model a
// change set can touch finds exactly the errors that validating the whole
// resulting model finds, and no warning the whole model does not have.
func TestValidationScopeAgreesWithWholeModel(t *testing.T) {
	cat, err := catalog.Load()
	require.NoError(t, err)
	puts, err := snapshot.SetValues(modelgen.Generate(modelgen.Small))
	require.NoError(t, err)
	wm := newWriteModel()
	wm.m, wm.ids = make(snapshot.Model), make(map[store.Kind]map[string]struct{})
	for _, c := range puts {
		wm.put(c.Key, c.Value)
	}
	a := &PolicyAdmin{cat: cat, wm: wm, cache: entity.NewDocCache()}
	wholeCache := entity.NewDocCache()

	r := rand.New(rand.NewPCG(7, 11))
	mutations := scopeMutations(wm.m)
	kinds := 0
	for round := range 30 {
		var changes []store.Change
		var names []string
		seen := map[store.Key]bool{}
		for range 1 + r.IntN(3) {
			m := mutations[r.IntN(len(mutations))]
			c := m.make(r)
			if seen[c.Key] {
				continue
			}
			seen[c.Key] = true
			changes = append(changes, c)
			names = append(names, m.name)
		}
		t.Run(fmt.Sprintf("%d/%s", round, strings.Join(names, "+")), func(t *testing.T) {
			wantErrs, wantWarns := wholeModelFindings(t, cat, wholeCache, wm.m, changes)
			warnings, err := a.validate(changes)
			var gotErrs []string
			if err != nil {
				var re *rpcerr.RequestError
				require.ErrorAs(t, err, &re, "validate")
				for _, v := range re.Violations {
					gotErrs = append(gotErrs, v.Field+": "+v.Description)
				}
			}
			slices.Sort(gotErrs)
			// No errors and an empty list are the same here.
			if !slices.Equal(wantErrs, gotErrs) {
				require.Equal(t, wantErrs, gotErrs, "errors of the scope, want those of the whole model")
			}
			if len(wantErrs) > 0 {
				kinds++
			}
			for _, w := range warnings {
				got := problemField(&entity.Problem{Entity: w.GetEntity(), Field: w.GetField()}) + ": " + w.GetMessage()
				assert.Contains(t, wantWarns, got, "warning is not one of the whole model's")
			}
		})
	}
	require.Greater(t, kinds, 10, "invalid change sets: too few for the test to mean much")
}

// wholeModelFindings validates the whole model current becomes with
// changes, as every write did before scopes, returning the sorted errors
// and the warnings as "field: description".
func wholeModelFindings(t *testing.T, cat *catalog.Catalog, cache *entity.DocCache, current snapshot.Model,
	changes []store.Change) (errs, warns []string) {
	t.Helper()
	next := maps.Clone(current)
	for i, c := range changes {
		if c.Op == store.OpDelete {
			if _, ok := next[c.Key]; !ok {
				errs = append(errs, fmt.Sprintf("changes[%d]: delete %q: no such entity", i, c.Key.String()))
			}
			delete(next, c.Key)
			continue
		}
		next[c.Key] = c.Value
	}
	set, err := next.Set()
	require.NoError(t, err)
	res, err := set.ResolveCached(cat, cache)
	if err != nil {
		var probs entity.Problems
		require.ErrorAs(t, err, &probs, "resolve")
		for _, p := range probs {
			errs = append(errs, problemField(p)+": "+p.Err.Error())
		}
		warnings, _ := set.Validate(cat)
		for _, w := range warnings {
			warns = append(warns, problemField(w)+": "+w.Err.Error())
		}
	} else {
		for _, w := range res.Warnings() {
			warns = append(warns, problemField(w)+": "+w.Err.Error())
		}
	}
	slices.Sort(errs)
	return errs, warns
}

// scopeMutation makes one change to a model, most of them of the kinds
// that make other entities invalid.
type scopeMutation struct {
	name string
	make func(r *rand.Rand) store.Change
}

func scopeMutations(m snapshot.Model) []scopeMutation {
	byKind := map[store.Kind][]store.Key{}
	for k := range m {
		byKind[k.Kind] = append(byKind[k.Kind], k)
	}
	for _, ks := range byKind {
		slices.SortFunc(ks, store.Key.Compare)
	}
	pick := func(r *rand.Rand, kind store.Kind) store.Key {
		ks := byKind[kind]
		return ks[r.IntN(len(ks))]
	}
	edit := func(r *rand.Rand, kind store.Kind, f func(map[string]any)) store.Change {
		k := pick(r, kind)
		var doc map[string]any
		if err := json.Unmarshal(m[k], &doc); err != nil {
			panic(err)
		}
		f(doc)
		b, err := json.Marshal(doc)
		if err != nil {
			panic(err)
		}
		return store.Change{Op: store.OpPut, Key: k, Value: b}
	}
	del := func(kind store.Kind) func(r *rand.Rand) store.Change {
		return func(r *rand.Rand) store.Change { return store.Change{Op: store.OpDelete, Key: pick(r, kind)} }
	}
	return []scopeMutation{
		{"delete-managed", del(store.KindManagedPolicy)},
		{"delete-group", del(store.KindGroup)},
		{"delete-scp", del(store.KindSCP)},
		{"delete-account", del(store.KindAccount)},
		{"delete-user", del(store.KindUser)},
		{"delete-resource", del(store.KindResource)},
		{"delete-missing", func(r *rand.Rand) store.Change {
			return store.Change{Op: store.OpDelete, Key: store.Key{Kind: store.KindUser,
				ID: fmt.Sprintf("arn:aws:iam::%s:user/nobody%d", modelgen.Account(0), r.IntN(1000))}}
		}},
		{"managed-to-account", func(r *rand.Rand) store.Change {
			return edit(r, store.KindManagedPolicy, func(d map[string]any) { d["account"] = modelgen.Account(r.IntN(3)) })
		}},
		{"user-unknown-policy", func(r *rand.Rand) store.Change {
			return edit(r, store.KindUser, func(d map[string]any) { d["managed_policies"] = []string{"NoSuchPolicy"} })
		}},
		{"group-unknown-policy", func(r *rand.Rand) store.Change {
			return edit(r, store.KindGroup, func(d map[string]any) { d["managed_policies"] = []string{"Polcy010"} })
		}},
		{"role-bad-boundary", func(r *rand.Rand) store.Change {
			return edit(r, store.KindRole, func(d map[string]any) { d["permissions_boundary"] = "Boundary9" })
		}},
		{"account-unknown-scp", func(r *rand.Rand) store.Change {
			return edit(r, store.KindAccount, func(d map[string]any) { d["scps"] = [][]string{{"Guardrail1"}} })
		}},
		{"user-clash", func(r *rand.Rand) store.Change {
			// The same name in another case and path.
			k := pick(r, store.KindUser)
			pn := principalNameOf(k)
			arn := fmt.Sprintf("arn:aws:iam::%s:user/other/%s", pn.account, strings.ToUpper(pn.name))
			return store.Change{Op: store.OpPut, Key: store.Key{Kind: store.KindUser, ID: arn},
				Value: []byte(fmt.Sprintf(`{"arn":%q}`, arn))}
		}},
		{"new-resource-bad-arn", func(r *rand.Rand) store.Change {
			arn := fmt.Sprintf("arn:aws:mobiletargeting:us-east-1:%s:nothing/%d", modelgen.Account(1), r.IntN(1000))
			return store.Change{Op: store.OpPut, Key: store.Key{Kind: store.KindResource, ID: arn},
				Value: []byte(fmt.Sprintf(`{"arn":%q}`, arn))}
		}},
		{"managed-bad-action", func(r *rand.Rand) store.Change {
			return edit(r, store.KindManagedPolicy, func(d map[string]any) {
				d["document"] = json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mobiletargeting:GetNothing","Resource":"*"}]}`)
			})
		}},
	}
}
