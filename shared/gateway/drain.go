package gateway

import "context"

// Lossless drain. A stateful connection that may move to another node
// (handover.go) gets no Close message when its node drains: its socket
// is ended, so its client reconnects at once through the load balancer,
// which sends it to a node still ready, and that node takes it over with
// everything not acknowledged and everything sent since. The draining
// node keeps the detached connection's state until it is taken over, its
// reconnect window runs out or Shutdown's deadline comes. Every other
// connection is closed with "Service reloading, try reconnecting" and
// allowReconnect, as before, and so is every connection when no other
// node is alive to take it over (the emulator, a last node).

// nodeCounter is the bus capability of counting the deployment's live
// gateway nodes (the Redis bus has it; a Memory serves one process).
type nodeCounter interface {
	LiveNodes(ctx context.Context) (int, error)
}

// drainHandsOver decides, once per drain, whether stateful connections
// are left for another node to take over: only when connections can move
// and another node is alive to take them.
func (s *Server) drainHandsOver() bool {
	nc, ok := s.cfg.Bus.(nodeCounter)
	if !ok || s.handoverBus() == nil {
		return false
	}
	ctx, cancel := s.busContext(context.Background())
	defer cancel()
	n, err := nc.LiveNodes(ctx)
	if err != nil {
		s.log.Warn("drain: count the live gateway nodes", "err", err)
		return false
	}
	return n > 1
}

// drainConn ends c for a drain: closeFrame is its Close message. With
// handOver, a stateful WebSocket connection is not closed but its socket
// ended, and a detached one kept for a takeover.
func (s *Server) drainConn(c *conn, closeFrame []byte, handOver bool) {
	if handOver && c.sr != nil && c.hs == nil {
		c.mu.Lock()
		keep := c.sr.detached || c.sr.ending
		nc := c.nc
		c.mu.Unlock()
		if !keep && nc != nil {
			s.log.Info("drain: ending the socket of a stateful connection so that it resumes on another node",
				"hubName", c.hub, "connectionId", c.id, "userId", c.user)
			_ = nc.Close() // its reader detaches it
		}
		return
	}
	c.close(ReasonServiceReloading, closeFrame, normalCloseFrame)
}

// endDetachedAll ends, at Shutdown's deadline, the detached stateful
// connections a drain kept for a takeover.
func (s *Server) endDetachedAll() {
	for _, c := range s.idx.all() {
		if c.sr == nil {
			continue
		}
		c.mu.Lock()
		if c.sr.detached {
			c.endDetachedLocked(ReasonServiceReloading)
		}
		c.mu.Unlock()
	}
}
