package etcdtest

import (
	"os/exec"
	"syscall"
)

// orphanProof makes the kernel kill etcd when the test process dies
// without its cleanup (a timeout panic, SIGKILL), so no server outlives
// the test binary.
func orphanProof(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
