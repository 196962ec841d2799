// Package etcdtest starts real etcd servers for tests: one single-member
// cluster per Start, on loopback ports, with its data in t.TempDir(),
// stopped when the test ends.
//
// The etcd binary comes from the PATH (Debian's etcd-server, installed by
// `make etcd`); a test that needs it and does not find it fails rather
// than skips, so a missing server never passes as green.
//
// Imports: the standard library only.
//
// Concurrency: a Server belongs to the test that started it; its methods
// are called from that test's goroutine.
package etcdtest
