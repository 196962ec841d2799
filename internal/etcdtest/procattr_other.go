//go:build !linux

package etcdtest

import "os/exec"

// orphanProof does nothing where the kernel cannot kill a child with its
// parent; t.Cleanup still stops the server.
func orphanProof(*exec.Cmd) {}
