package gateway

// Lossless drain. A stateful connection that may move to another node
// (handover.go) gets no Close message when its node drains: its socket
// is ended, so its client reconnects at once through the load balancer,
// which sends it to a node still ready, and that node takes it over with
// everything not acknowledged and everything sent since. The draining
// node keeps the detached connection's state until it is taken over, its
// reconnect window runs out or Shutdown's deadline comes. Every other
// connection is closed with "Service reloading, try reconnecting" and
// allowReconnect, as before.

// drainConn ends c for a drain: closeFrame is its Close message.
func (s *Server) drainConn(c *conn, closeFrame []byte) {
	if c.sr != nil && c.hs == nil && s.handoverBus() != nil {
		c.mu.Lock()
		keep := c.sr.detached || c.sr.ending
		nc := c.nc
		c.mu.Unlock()
		if !keep && nc != nil {
			s.log.Info("drain: ending the socket of a stateful connection so that it resumes on another node",
				"hub", c.hub, "conn", c.id, "user", c.user)
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
