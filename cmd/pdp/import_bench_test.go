package main

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/pdp-dev/pdp/internal/admin"
	"github.com/pdp-dev/pdp/internal/awsfixture"
	"github.com/pdp-dev/pdp/pkg/awsimport"
	"github.com/pdp-dev/pdp/pkg/catalog"
)

// BenchmarkImport reads a generated account export, converts and
// validates it, writes the policy directory and builds the change set for
// an empty server: at full size (5,000 roles, 2,000 users, 3,000 managed
// policies) and at a tenth of it. Besides -benchmem's figures it reports
// the heap the process holds from the system after the run (heap-sys-MB)
// and the size of the export (export-MB).
func BenchmarkImport(b *testing.B) {
	cat, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []awsfixture.Size{
		{Users: 200, Roles: 500, Groups: 50, Policies: 300},
		{Users: 2000, Roles: 5000, Groups: 100, Policies: 3000},
	} {
		b.Run(fmt.Sprintf("roles=%d,users=%d,policies=%d", size.Roles, size.Users, size.Policies), func(b *testing.B) {
			pages := awsfixture.New(size).GAAD(awsfixture.URL, 4)
			total := 0
			for _, p := range pages {
				total += len(p)
			}
			b.SetBytes(int64(total))
			dir := b.TempDir()
			b.ReportAllocs()
			for b.Loop() {
				importOnce(b, cat, pages, dir)
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-sys-MB")
			b.ReportMetric(float64(total)/(1<<20), "export-MB")
		})
	}
}

// importOnce is what pdp import aws --out DIR --addr does, but the calls.
func importOnce(b *testing.B, cat *catalog.Catalog, pages [][]byte, dir string) {
	in := &awsimport.Input{}
	for i, data := range pages {
		g, err := awsimport.ReadGAAD(fmt.Sprintf("gaad-%d.json", i), data)
		if err != nil {
			b.Fatal(err)
		}
		in.GAAD = append(in.GAAD, g)
	}
	res, err := awsimport.Convert(in, awsimport.Options{Catalog: cat})
	if err != nil {
		b.Fatal(err)
	}
	files, err := awsimport.Files(res.Set)
	if err != nil {
		b.Fatal(err)
	}
	if err := writePolicyDir(dir, files); err != nil {
		b.Fatal(err)
	}
	changes, err := admin.BundleChanges(res.Set)
	if err != nil {
		b.Fatal(err)
	}
	entries := make([]awsimport.Entry, len(changes))
	for i, c := range changes {
		entries[i] = awsimport.Entry{Kind: kindName(c.GetKey().GetKind()), ID: c.GetKey().GetId(), Document: []byte(c.GetDocument())}
	}
	if plan := awsimport.Diff(entries, nil, nil); len(plan.Changes) != len(entries) {
		b.Fatalf("%d changes for %d entities", len(plan.Changes), len(entries))
	}
}
