package gateway

import "github.com/heraldrt/herald/shared/bus"

// handle applies one envelope from the bus to local connections. It runs in
// bus order and never blocks: sends only queue frames.
func (s *Server) handle(e *bus.Envelope) {
	locked := s.handovers.watching.Load() > 0
	if locked {
		// A take is under way (handover_take.go): it keeps what follows
		// its handover envelope, and switches to the index under mu.
		s.handovers.mu.Lock()
		defer s.handovers.mu.Unlock()
		if s.handovers.observeLocked(e, s.takeKeepLimit()) {
			return
		}
	}
	switch e.Kind {
	case bus.KindSend:
		if e.Message != nil {
			s.send(e)
		}
	case bus.KindClose:
		s.closeConns(e)
	case bus.KindAddToGroup, bus.KindRemoveFromGroup, bus.KindRemoveFromAllGroups:
		s.membership(e)
	case bus.KindHandover:
		s.handedOver(e, locked)
	}
}

// excluder answers "is this connection excluded" in O(1) for long lists.
type excluder struct {
	list []string
	set  map[string]struct{}
}

func newExcluder(list []string) excluder {
	x := excluder{list: list}
	if len(list) > 8 {
		x.set = make(map[string]struct{}, len(list))
		for _, id := range list {
			x.set[id] = struct{}{}
		}
	}
	return x
}

func (x excluder) has(id string) bool {
	if x.set != nil {
		_, ok := x.set[id]
		return ok
	}
	for _, v := range x.list {
		if v == id {
			return true
		}
	}
	return false
}

// each calls f for every local connection e addresses, with the index
// read-locked. f must not take the index lock.
func (s *Server) each(e *bus.Envelope, f func(*conn)) {
	ex := newExcluder(e.Excluded)
	s.idx.mu.RLock()
	defer s.idx.mu.RUnlock()
	h := s.idx.hubs[e.Hub]
	if h == nil {
		return
	}
	switch e.Scope {
	case bus.ScopeAll:
		for id, c := range h.conns {
			if !ex.has(id) {
				f(c)
			}
		}
	case bus.ScopeConnection:
		if c := h.conns[e.ID]; c != nil && !ex.has(e.ID) {
			f(c)
		}
	case bus.ScopeUser:
		for c := range h.users[e.ID] {
			if !ex.has(c.id) {
				f(c)
			}
		}
	case bus.ScopeGroup:
		for c := range h.groups[e.ID] {
			if !ex.has(c.id) {
				f(c)
			}
		}
	}
}

// send encodes the message once per protocol, on the first recipient of
// that protocol, and queues the same frame to every such recipient (none
// when the message has no encoding for that protocol).
func (s *Server) send(e *bus.Envelope) {
	frames := perProto{build: func(p proto) []byte {
		f, err := messageFrame(p, e.Message)
		if err != nil {
			// The REST layer validated the JSON; this is a bug or a bad peer.
			s.log.Error("encode message", "hubName", e.Hub, "protocol", p.String(), "trace", e.TraceID, "err", err)
			return []byte{}
		}
		return f
	}}
	var n, size int
	trace := s.cfg.Tracer.MessagingAny()
	sched := schedBatch{f: s.flush}
	defer sched.done()
	s.each(e, func(c *conn) {
		f := frames.get(c.proto)
		if len(f) == 0 {
			return
		}
		queued := c.enqueueTo(f, &sched)
		if queued {
			n++
			size += len(f)
		}
		if trace && s.cfg.Tracer.Messaging(c.diag) {
			s.traceDelivery(e, c, queued)
		}
	})
	if n > 0 {
		s.cfg.Metrics.Delivered(e.Scope, n, size)
	}
}

func (s *Server) closeConns(e *bus.Envelope) {
	reason := e.Reason
	if reason == "" {
		reason = ReasonAppClosed
	}
	frames := perProto{build: func(p proto) []byte { return closeMessageFrame(p, reason, false) }}
	s.each(e, func(c *conn) {
		c.close(reason, frames.get(c.proto), normalCloseFrame)
	})
}

func (s *Server) membership(e *bus.Envelope) {
	s.idx.mu.Lock()
	defer s.idx.mu.Unlock()
	h := s.idx.hubs[e.Hub]
	if h == nil {
		return
	}
	apply := func(c *conn) {
		switch e.Kind {
		case bus.KindAddToGroup:
			h.join(c, e.Group)
		case bus.KindRemoveFromGroup:
			h.leave(c, e.Group)
		case bus.KindRemoveFromAllGroups:
			h.leaveAll(c)
		}
	}
	switch e.Scope {
	case bus.ScopeConnection:
		if c := h.conns[e.ID]; c != nil {
			apply(c)
		}
	case bus.ScopeUser:
		for c := range h.users[e.ID] {
			apply(c)
		}
	}
}
