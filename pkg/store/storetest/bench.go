package storetest

import (
	"fmt"
	"testing"

	"github.com/pdp-dev/pdp/pkg/store"
)

// BenchmarkApply measures Apply of a change set of one 1 KiB document, the
// common write, and of 100 documents.
func BenchmarkApply(b *testing.B, s store.Store) {
	doc := make([]byte, 1024)
	for i := range doc {
		doc[i] = 'a' + byte(i%26)
	}
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("changes=%d", n), func(b *testing.B) {
			changes := make([]store.Change, n)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				for j := range changes {
					changes[j] = store.Change{Op: store.OpPut, Key: store.Key{Kind: store.KindManagedPolicy, ID: fmt.Sprintf("p%d-%d", j, i%1000)}, Value: doc}
				}
				i++
				if _, err := s.Apply(b.Context(), store.ChangeSet{Changes: changes, Author: "bench"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSnapshot measures a Snapshot of n entities of 512 bytes each, at
// the current revision and at an older one.
func BenchmarkSnapshot(b *testing.B, s store.Store, n int) {
	doc := make([]byte, 512)
	for i := range doc {
		doc[i] = 'a' + byte(i%26)
	}
	const batch = 1000
	var first int64
	for i := 0; i < n; i += batch {
		var changes []store.Change
		for j := i; j < min(i+batch, n); j++ {
			changes = append(changes, store.Change{Op: store.OpPut, Key: store.Key{Kind: store.Kinds()[j%len(store.Kinds())], ID: fmt.Sprintf("entity-%06d", j)}, Value: doc})
		}
		rev, err := s.Apply(b.Context(), store.ChangeSet{Changes: changes, Author: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if first == 0 {
			first = rev
		}
	}
	last, err := s.Revision(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	// Rewrite a tenth so that past and current states differ.
	var changes []store.Change
	for j := 0; j < n; j += 10 {
		changes = append(changes, store.Change{Op: store.OpPut, Key: store.Key{Kind: store.Kinds()[j%len(store.Kinds())], ID: fmt.Sprintf("entity-%06d", j)}, Value: doc[:100]})
	}
	if _, err := s.Apply(b.Context(), store.ChangeSet{Changes: changes, Author: "bench"}); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		rev  int64
	}{{"current", 0}, {"past", last}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				vs, _, err := s.Snapshot(b.Context(), tc.rev)
				if err != nil {
					b.Fatal(err)
				}
				if len(vs) != n {
					b.Fatalf("Snapshot returned %d entities, want %d", len(vs), n)
				}
			}
		})
	}
}
