package peers

import (
	"context"
	"fmt"
	"testing"

	"github.com/pdp-dev/pdp/pkg/catalog"
)

// An engineKind is one engine holding the workload one way. Its text is
// written before anything is timed; load is what BenchmarkLoad times.
type engineKind struct {
	name string
	text func(w *Workload) any
	load func(ctx context.Context, cat *catalog.Catalog, w *Workload, text any) (Decider, error)
}

// engineKinds lists the engines in the order of the tables: pdp as its
// server holds policies (one set per principal) first, then each engine
// with all N policies in one set, then cedar-go and OPA with the caller's
// policies selected first.
var engineKinds = []engineKind{
	{
		name: "pdp",
		text: func(w *Workload) any { return IAMPolicies(w, false) },
		load: func(_ context.Context, cat *catalog.Catalog, w *Workload, text any) (Decider, error) {
			return LoadPDP(cat, w, text.([][]byte), false)
		},
	},
	{
		name: "pdp-one-set",
		text: func(w *Workload) any { return IAMPolicies(w, true) },
		load: func(_ context.Context, cat *catalog.Catalog, w *Workload, text any) (Decider, error) {
			return LoadPDP(cat, w, text.([][]byte), true)
		},
	},
	{
		name: "cedar",
		text: func(w *Workload) any { return [][]byte{CedarPolicies(w, -1)} },
		load: func(_ context.Context, _ *catalog.Catalog, w *Workload, text any) (Decider, error) {
			return LoadCedar(w, text.([][]byte), false)
		},
	},
	{
		name: "opa",
		text: func(w *Workload) any { return regoText{RegoModule(false), RegoData(w, false)} },
		load: func(ctx context.Context, _ *catalog.Catalog, w *Workload, text any) (Decider, error) {
			t := text.(regoText)
			return LoadOPA(ctx, w, t.module, t.data)
		},
	},
	{
		name: "opa-rules",
		text: func(w *Workload) any { return regoText{RegoRules(w), []byte("{}")} },
		load: func(ctx context.Context, _ *catalog.Catalog, w *Workload, text any) (Decider, error) {
			t := text.(regoText)
			return LoadOPA(ctx, w, t.module, t.data)
		},
	},
	{
		name: "cedar-per-principal",
		text: func(w *Workload) any {
			docs := make([][]byte, len(w.Principals))
			for p := range docs {
				docs[p] = CedarPolicies(w, p)
			}
			return docs
		},
		load: func(_ context.Context, _ *catalog.Catalog, w *Workload, text any) (Decider, error) {
			return LoadCedar(w, text.([][]byte), true)
		},
	},
	{
		name: "opa-per-principal",
		text: func(w *Workload) any { return regoText{RegoModule(true), RegoData(w, true)} },
		load: func(ctx context.Context, _ *catalog.Catalog, w *Workload, text any) (Decider, error) {
			t := text.(regoText)
			return LoadOPA(ctx, w, t.module, t.data)
		},
	},
}

type regoText struct {
	module string
	data   []byte
}

func loadCatalog(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	cat, err := catalog.Load()
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

// loadAll loads every engine kind with workload w, by name.
func loadAll(tb testing.TB, cat *catalog.Catalog, w *Workload) map[string]Decider {
	tb.Helper()
	out := make(map[string]Decider, len(engineKinds))
	for _, k := range engineKinds {
		d, err := k.load(tb.Context(), cat, w, k.text(w))
		if err != nil {
			tb.Fatalf("N=%d: load %s: %v", w.N, k.name, err)
		}
		out[k.name] = d
	}
	return out
}

// checkAgree requires every engine to decide every request of w as the
// generator meant: pdp to the exact IAM outcome, cedar-go and OPA, which
// tell only allowed from not, to the same allowed or not.
func checkAgree(tb testing.TB, w *Workload, engines map[string]Decider) {
	tb.Helper()
	for j, q := range w.Requests {
		for _, k := range engineKinds {
			d := engines[k.name]
			if p, ok := d.(*PDP); ok {
				if got, want := p.Decide(j).String(), iamOutcome(q.Want); got != want {
					tb.Errorf("N=%d request %d (%s): %s decides %s, want %s\n%s", w.N, j, q.Name, k.name, got, want, describe(q))
				}
				continue
			}
			got, err := d.Allowed(tb.Context(), j)
			if err != nil {
				tb.Fatalf("N=%d request %d (%s): %s: %v", w.N, j, q.Name, k.name, err)
			}
			if want := q.Want == Allowed; got != want {
				tb.Errorf("N=%d request %d (%s): %s says allowed=%t, want %t\n%s", w.N, j, q.Name, k.name, got, want, describe(q))
			}
		}
	}
}

func iamOutcome(o Outcome) string {
	switch o {
	case Allowed:
		return "Allow"
	case Denied:
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

func describe(q Request) string {
	return fmt.Sprintf("  principal %s (team %q)\n  action %s\n  resource %s (team %q, env %q)\n  source IP %s",
		q.Principal, q.PrincipalTeam, q.Action, q.Resource, q.ResourceTeam, q.ResourceEnv, q.SourceIP)
}
