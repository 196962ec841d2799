//go:build !linux

package main

import "syscall"

// childProcAttr is empty where the kernel cannot kill orphaned children:
// there, servers stop only when this program stops them.
func childProcAttr() *syscall.SysProcAttr { return nil }
