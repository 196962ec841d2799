//go:build !unix

package server

import "time"

// processCPU is not measured here: the CPU figures of the benchmarks read
// zero.
func processCPU() time.Duration { return 0 }
