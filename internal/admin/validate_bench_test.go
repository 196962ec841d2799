package admin

import (
	"encoding/json"
	"testing"

	"github.com/pdp-dev/pdp/internal/modelgen"
	"github.com/pdp-dev/pdp/internal/snapshot"
	"github.com/pdp-dev/pdp/pkg/catalog"
	"github.com/pdp-dev/pdp/pkg/entity"
	"github.com/pdp-dev/pdp/pkg/store"
)

// BenchmarkWriteValidation measures what a policy write costs in validation
// on a model of 10,000 principals and 100,000 resources. whole-model is
// what checking the whole model it would produce costs, the baseline; the
// others validate one change the way writes do, checking only what the
// change can touch: a managed policy attached by about 1% of the
// principals, one user, one new resource.
//
//	go test ./internal/server -run '^$' -bench WriteValidation -benchmem
func BenchmarkWriteValidation(b *testing.B) {
	cat, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	set := modelgen.Generate(modelgen.Config{Accounts: 100, Managed: 500, Principals: 10_000, Resources: 100_000})
	b.Run("whole-model", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := set.Resolve(cat); err != nil {
				b.Fatal(err)
			}
		}
	})
	puts, err := snapshot.SetValues(set)
	if err != nil {
		b.Fatal(err)
	}
	wm := newWriteModel()
	wm.m, wm.ids = make(snapshot.Model, len(puts)), make(map[store.Kind]map[string]struct{})
	for _, c := range puts {
		wm.put(c.Key, c.Value)
	}
	a := &PolicyAdmin{cat: cat, wm: wm, cache: entity.NewDocCache()}
	if _, err := a.validate(nil); err != nil { // warm the document cache, as earlier writes do
		b.Fatal(err)
	}

	changes := map[string]store.Change{
		"managed-policy": reworded(b, wm.m, store.Key{Kind: store.KindManagedPolicy, ID: modelgen.ManagedName(modelgen.Boundaries + 7)}),
		"user":           reworded(b, wm.m, store.Key{Kind: store.KindUser, ID: set.Users[len(set.Users)/2].ARN}),
		"new-resource": {Op: store.OpPut, Key: store.Key{Kind: store.KindResource, ID: "arn:aws:mobiletargeting:us-east-1:" +
			modelgen.Account(3) + ":apps/new-app"}, Value: []byte(`{"arn":"arn:aws:mobiletargeting:us-east-1:` + modelgen.Account(3) + `:apps/new-app"}`)},
	}
	for _, name := range []string{"managed-policy", "user", "new-resource"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.validate([]store.Change{changes[name]}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// reworded is a put of the entity k with its document written again
// indented: a new document that says the same.
func reworded(b *testing.B, m snapshot.Model, k store.Key) store.Change {
	var v any
	if err := json.Unmarshal(m[k], &v); err != nil {
		b.Fatalf("%s: %v", k, err)
	}
	doc, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		b.Fatal(err)
	}
	return store.Change{Op: store.OpPut, Key: k, Value: doc}
}
