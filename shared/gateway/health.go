package gateway

import (
	"context"
	"errors"
)

// Errors of Healthy.
var (
	// ErrDraining: the node is shutting down and takes no new connections.
	ErrDraining = errors.New("gateway: draining, not accepting connections")
	// ErrNotSubscribed: the node is not (or no longer) subscribed to the bus.
	ErrNotSubscribed = errors.New("gateway: not subscribed to the bus")
)

// Healthy reports whether the node takes connections: nil once Start has
// subscribed to the bus and until Shutdown begins. Health routes list it
// as the "gateway" check, so a load balancer stops routing to a draining
// node before its clients are closed.
func (s *Server) Healthy(context.Context) error {
	s.mu.Lock()
	started := s.sub != nil
	s.mu.Unlock()
	switch {
	case s.draining.Load():
		return ErrDraining
	case !started:
		return ErrNotSubscribed
	}
	return nil
}
