package bench

import "github.com/heraldrt/herald/tests/internal/proc"

// Build compiles the local emulator (github.com/heraldrt/herald/local)
// into dir and returns the binary's path. It runs the go command found in
// PATH, from the current directory, which must be inside the module.
func Build(dir string) (string, error) { return proc.Build(dir) }

// Child is a running emulator process listening on a loopback port
// (proc.Child: Addr, PID, Logs, Stop).
type Child = proc.Child

// StartChild runs the emulator binary bin on a free port of 127.0.0.1 with
// error-level logging and waits until /api/health answers 200. Stop it
// with Stop: SIGTERM, up to 10s for a graceful exit, then SIGKILL; a clean
// exit returns nil.
func StartChild(bin string) (*Child, error) {
	return proc.Start(bin, "--addr", "127.0.0.1:0", "--log-level", "error")
}
