package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRaiseGCForLoad checks that the load raises the collector's target and
// puts it back, and leaves an operator's GOGC alone. Not parallel: the
// target is the process's, and in-process serve tests change it too.
func TestRaiseGCForLoad(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	restore := raiseGCForLoad(mapEnv(nil))
	assert.Equal(t, startupGCPercent, debug.SetGCPercent(startupGCPercent), "target during the load")
	restore()
	assert.Equal(t, 100, debug.SetGCPercent(100), "target after the load")

	restore = raiseGCForLoad(mapEnv(map[string]string{"GOGC": "50"}))
	assert.Equal(t, 100, debug.SetGCPercent(100), "target during the load with GOGC set")
	restore()
	assert.Equal(t, 100, debug.SetGCPercent(100), "target after the load with GOGC set")
}
