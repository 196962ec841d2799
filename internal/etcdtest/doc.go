// Package etcdtest starts real etcd servers for tests: one single-member
// cluster per Start, on loopback ports, with its data in t.TempDir(),
// stopped when the test ends.
//
// The etcd server is bin/etcd in the module root, which `make etcd` builds
// from internal/tools/etcd at the version of the etcd client in go.mod, so
// the tests run the server the client was released with. Without it a
// test skips with a message naming `make etcd`; `make test` builds it
// first and fails on any skipped test, so a missing server never passes
// as green.
//
// Imports: the standard library, internal/etcdprobe and internal/logbuf.
//
// Concurrency: a Server belongs to the test that started it; its methods
// are called from that test's goroutine.
package etcdtest
