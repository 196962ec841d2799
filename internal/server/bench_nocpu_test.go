//go:build !unix

package server_test

import (
	"testing"
	"time"
)

// cpuTime returns -1: the process's CPU time is read on Unix only.
func cpuTime(testing.TB) time.Duration { return -1 }
