package redistest

import (
	"errors"
	"fmt"
	"syscall"
)

// errStopped reports a signal sent to a server that is not running.
var errStopped = errors.New("redistest: server is not running")

// Pause freezes the server (SIGSTOP): it keeps its data and its
// connections, answers nothing and accepts no command until Resume. The
// kernel still completes new TCP handshakes, as for a server stalled by a
// fork, a long command or a scheduler.
func (s *Server) Pause() error { return s.signal(syscall.SIGSTOP) }

// Resume lets a paused server run again (SIGCONT).
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return errStopped
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("redistest: %v: %w", sig, err)
	}
	return nil
}
