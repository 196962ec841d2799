// Package storetest is the conformance suite every store.Store
// implementation passes: Run(t, newStore) runs it as subtests, and
// BenchmarkApply and BenchmarkSnapshot measure a backend the same way.
//
// The suite checks behaviour, not representation: revisions are only
// asserted to strictly increase (etcd's have gaps), compaction to keep at
// least the configured window, and every wait is bounded by a timeout so a
// broken backend fails instead of hanging.
//
// Imports: the standard library and pkg/store only.
package storetest
