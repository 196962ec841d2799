package main

import (
	"os"
	"runtime/debug"
)

// startupGCPercent is the collector's target while pdp serve loads its
// first snapshot (Go's default is 100).
const startupGCPercent = 200

// raiseGCForLoad sets the collector's target to startupGCPercent and
// returns the function that puts the previous target back; it changes
// nothing when the operator set GOGC, whose choice stands.
//
// Until the first snapshot is active, the process does nothing but read
// the store and build the snapshot, and no decision is served, so a heap
// allowed to grow further between collections costs memory only during the
// load. On the store of 100,000 principals and 1,000,000 resources it took
// the restart from 10.5 s to 9.7 s to SERVING, 16.5 to 15.1 CPU-s, peak
// RSS 1.63 to 1.75 GB (docs/performance.md, "Build and restart"). Later
// snapshots are built while decisions are served, under the operator's
// setting, so the target is put back before the server reports SERVING.
func raiseGCForLoad(lookupEnv func(string) (string, bool)) (restore func()) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	if _, set := lookupEnv("GOGC"); set {
		return func() {}
	}
	previous := debug.SetGCPercent(startupGCPercent)
	return func() { debug.SetGCPercent(previous) }
}
