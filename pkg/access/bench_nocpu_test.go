//go:build !unix

package access

import (
	"testing"
	"time"
)

// cpuTime returns -1: the process's CPU time is read on Unix only.
func cpuTime(testing.TB) time.Duration { return -1 }
