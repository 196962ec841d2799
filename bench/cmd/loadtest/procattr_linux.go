package main

import "syscall"

// childProcAttr has the kernel kill a server should this program die
// without stopping it (SIGKILL, a crash).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
