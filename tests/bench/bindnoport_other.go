//go:build !linux

package bench

import "syscall"

// bindNoPort does nothing off Linux.
func bindNoPort(_, _ string, _ syscall.RawConn) error { return nil }
