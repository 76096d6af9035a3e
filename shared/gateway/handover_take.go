package gateway

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/forwarded"
	"github.com/heraldrt/herald/shared/upstream"
)

// take is this node taking a connection over (handover.go, steps 2-4):
// from the handover envelope on, the hub's envelopes that may address
// the connection are kept until its state is here.
type take struct {
	key     connKey
	user    string
	taker   string             // the takeover's id, in its handover envelope
	started chan struct{}      // closed at the handover envelope
	state   chan handoverState // the old node's, sent once (capacity 1)
	begun   bool               // started is closed; guarded by handovers.mu
	kept    []*bus.Envelope
	bytes   int
	over    bool // kept more than takeKeepLimit: the take fails
}

// Outcomes of a takeover (HandoverMetrics.Handover): done, or why not.
const (
	HandoverDone     = "done"      // the connection moved
	HandoverNotFound = "not_found" // no such connection any more
	HandoverAttached = "attached"  // its node did not let go of its socket in time
	HandoverLost     = "lost"      // taken over, but its state could not be had: ended
	HandoverFailed   = "failed"    // the bus failed; nothing moved
)

// Sides of a takeover (HandoverMetrics.Handover).
const (
	HandoverIn  = "in"  // this node took a connection over
	HandoverOut = "out" // another node took one of this node's over
)

// HandoverMetrics is implemented by a Metrics that counts handovers of
// stateful connections between nodes; the gateway checks for it with a
// type assertion.
type HandoverMetrics interface {
	// Handover counts one takeover by side (HandoverIn, HandoverOut) and
	// outcome (Handover*).
	Handover(side, outcome string)
}

// countHandover counts a takeover's outcome.
func (s *Server) countHandover(side, outcome string) {
	if m, ok := s.cfg.Metrics.(HandoverMetrics); ok {
		m.Handover(side, outcome)
	}
}

// takeKeepLimit bounds what a take keeps between the handover envelope
// and the arrival of the connection's state: every envelope of the hub
// that may address it, so a few buffers' worth.
func (s *Server) takeKeepLimit() int { return 4 * s.cfg.StatefulBufferBytes }

// expect records a take before its TakeOver: from now on every envelope
// is handled under handovers.mu.
func (h *handovers) expect(key connKey, user, taker string) *take {
	t := &take{key: key, user: user, taker: taker, started: make(chan struct{}), state: make(chan handoverState, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.takes == nil {
		h.takes = make(map[connKey]*take)
	}
	if h.takes[key] != nil {
		return nil // a take of the connection is under way already
	}
	h.takes[key] = t
	h.watching.Add(1)
	return t
}

// doneLocked forgets t; handovers.mu is held. Last, so that no envelope
// is handled outside mu before t is settled.
func (h *handovers) doneLocked(t *take) {
	if h.takes[t.key] == t {
		delete(h.takes, t.key)
		h.watching.Add(-1)
	}
}

// drop forgets t after a take that failed.
func (h *handovers) drop(t *take) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.doneLocked(t)
}

// observeLocked is handle's look at e while takes are under way;
// handovers.mu is held. It reports whether e was the handover envelope of
// a take of this node, which needs nothing more.
func (h *handovers) observeLocked(e *bus.Envelope, limit int) bool {
	if e.Kind == bus.KindHandover {
		t := h.takes[connKey{e.Hub, e.ID}]
		if t == nil || t.taker != e.Taker {
			return false
		}
		if !t.begun {
			t.begun = true
			close(t.started)
		}
		return true
	}
	for _, t := range h.takes {
		if !t.begun || t.over || t.key.hub != e.Hub || !mayAddress(e, t.key.id, t.user) {
			continue
		}
		size := envelopeSize(e)
		if t.bytes+size > limit {
			t.over, t.kept, t.bytes = true, nil, 0
			continue
		}
		t.kept = append(t.kept, e.Clone())
		t.bytes += size
	}
	return false
}

// mayAddress reports whether e may concern connection id of user: all
// but envelopes for another connection or user.
func mayAddress(e *bus.Envelope, id, user string) bool {
	switch e.Scope {
	case bus.ScopeConnection:
		return e.ID == id
	case bus.ScopeUser:
		return user != "" && e.ID == user
	}
	return true
}

// envelopeSize is about what keeping e costs.
func envelopeSize(e *bus.Envelope) int {
	n := 64 + len(e.ID) + len(e.Group) + len(e.Reason)
	if m := e.Message; m != nil {
		n += len(m.Target) + len(m.Arguments)
		if f := m.Framed; f != nil {
			n += len(f.JSON) + len(f.MessagePack)
		}
	}
	return n
}

// resumeRemote takes the reconnect of a stateful connection that another
// node holds (handover.go). It reports false, leaving the request to the
// first-connect path, when no node holds the connection, this node is
// named (a stale record) or connections cannot move (no Handover in the
// bus, no InternalURL).
func (s *Server) resumeRemote(w http.ResponseWriter, r *http.Request, req connRequest) bool {
	ho := s.handoverBus()
	if ho == nil {
		return false
	}
	if !acquire(r.Context(), s.handovers.takeSlots) {
		s.log.Warn("stateful reconnect refused: too many takeovers under way", "hubName", req.hub, "connectionId", req.id, "max", maxHandovers)
		s.limitReached(LimitHandovers)
		httpError(w, http.StatusServiceUnavailable, ReasonReconnectFailed)
		return true
	}
	defer func() { <-s.handovers.takeSlots }()
	ctx, cancel := s.busContext(r.Context())
	from, err := s.cfg.Bus.Locate(ctx, req.hub, req.id)
	cancel()
	switch {
	case errors.Is(err, bus.ErrConnectionNotFound):
		return false
	case err != nil:
		s.log.Warn("locate a connection to resume", "hubName", req.hub, "connectionId", req.id, "err", err)
		httpError(w, http.StatusServiceUnavailable, ReasonInternal)
		return true
	case from == "" || from == s.cfg.InternalURL:
		return false
	}
	if s.draining.Load() {
		httpError(w, http.StatusServiceUnavailable, ReasonServiceReloading)
		return true
	}
	req.query = upstream.ClientQuery(r.URL.RawQuery)
	req.addr = forwarded.ClientIP(r, s.cfg.ForwardedHops)
	if !s.admitSlots(w, r, &req) {
		return true
	}
	c, outcome := s.takeOver(r.Context(), ho, req, from)
	s.countHandover(HandoverIn, outcome)
	if c == nil {
		s.refund(&req)
		status, text := http.StatusNotFound, TextNoConnection
		if outcome == HandoverFailed || outcome == HandoverAttached {
			status, text = http.StatusServiceUnavailable, ReasonReconnectFailed
		}
		s.countReconnect(ReconnectFailed)
		httpError(w, status, text)
		return true
	}
	nc, src, ok := s.upgrade(w, r, req)
	if !ok {
		return true // detached here: the client may try again within the window
	}
	if !s.track() {
		_ = nc.Close() // Shutdown began: the connection is ended by it
		return true
	}
	go func() {
		defer s.conns.Done()
		s.serveReconnect(c, nc, src)
	}()
	return true
}

// takeOver moves connection req.id from the node at from to this one and
// returns it detached, in the index, with its state and what was sent to
// it since; nil and why not otherwise. A connection moved whose state
// cannot be had is ended here, once (the bus names this node).
func (s *Server) takeOver(ctx context.Context, ho bus.Handover, req connRequest, from string) (*conn, string) {
	key := connKey{req.hub, req.id}
	taker := rand.Text()
	t := s.handovers.expect(key, req.user, taker)
	if t == nil {
		return nil, HandoverFailed
	}
	moved, err := s.moveInBus(ctx, ho, req, from, taker)
	if err != nil {
		s.handovers.drop(t)
		switch {
		case errors.Is(err, bus.ErrConnectionNotFound):
			return nil, HandoverNotFound
		case errors.Is(err, bus.ErrConnectionAttached):
			s.log.Warn("stateful reconnect refused: the connection's node keeps its socket", "hubName", req.hub, "connectionId", req.id, "node", from)
			return nil, HandoverAttached
		}
		s.log.Warn("take a connection over", "hubName", req.hub, "connectionId", req.id, "node", from, "err", err)
		return nil, HandoverFailed
	}
	from = cmp.Or(moved.From, from)
	if moved.Meta == "" {
		// Its node never detached it: the bus took the node for dead, and
		// the state died with it. It ends here, now.
		s.handovers.drop(t)
		s.log.Warn("connection taken over from a node that is gone: its state is lost, it ends", "hubName", req.hub, "connectionId", req.id, "userId", req.user, "node", from)
		s.endLost(ho, req)
		return nil, HandoverLost
	}
	st, err := s.waitState(ctx, t)
	var c *conn
	if err == nil {
		c, err = s.restoreTaken(req, st.Snapshot)
	}
	if err == nil {
		err = s.waitStarted(ctx, t)
	}
	if err == nil {
		err = s.install(t, c, moved.Groups)
	}
	if err != nil {
		if c != nil {
			s.srBytes.Add(-int64(c.sr.bytes)) // never installed
		}
		s.handovers.drop(t)
		s.log.Warn("connection taken over without its state: ended", "hubName", req.hub, "connectionId", req.id, "userId", req.user, "node", from, "err", err)
		s.endLost(ho, req)
		return nil, HandoverLost
	}
	s.keeper.add(c)
	c.metrics = s.cfg.Metrics.ConnectionOpened(c.hub, transportWebSockets, c.proto.String(), c.diag)
	s.traceStarted(c, transportWebSockets)
	s.log.Info("stateful connection taken over from another node", "hubName", c.hub, "connectionId", c.id, "userId", c.user,
		"node", from, "buffered_messages", len(st.Snapshot.Frames))
	s.statefulEvent(c, eventTakenOver, len(st.Snapshot.Frames))
	if st.CloseReason != "" {
		// The application closed it before the handover: it ends here,
		// and the reconnect learns it.
		c.close(st.CloseReason)
	}
	return c, HandoverDone
}

// moveInBus runs the bus's TakeOver. A connection still attached to its
// node is asked to let go once (the old node cuts the socket it has not
// seen drop), then tried again until takeOverTimeout; so is a refusal of
// a bus that is catching up (a node's subscription reconnecting: nothing
// was moved).
func (s *Server) moveInBus(ctx context.Context, ho bus.Handover, req connRequest, from, taker string) (bus.Takeover, error) {
	deadline := time.Now().Add(takeOverTimeout)
	asked := false
	for {
		bctx, cancel := s.busContext(ctx)
		t, err := ho.TakeOver(bctx, bus.Conn{Hub: req.hub, ID: req.id, User: req.user, Addr: s.cfg.InternalURL}, taker)
		cancel()
		attached := errors.Is(err, bus.ErrConnectionAttached)
		if !attached && !errors.Is(err, bus.ErrUnavailable) || time.Now().After(deadline) {
			return t, err
		}
		if attached && !asked {
			asked = true
			if err := s.askRelease(ctx, from, req.hub, req.id); err != nil {
				s.log.Debug("ask a node to let go of a connection", "hubName", req.hub, "connectionId", req.id, "node", from, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return t, err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitState waits for the state the old node sends (handover_wire.go).
func (s *Server) waitState(ctx context.Context, t *take) (handoverState, error) {
	select {
	case st := <-t.state:
		return st, nil
	case <-ctx.Done():
		return handoverState{}, ctx.Err()
	case <-time.After(handoverWait):
		return handoverState{}, errors.New("the old node did not send the state")
	}
}

// waitStarted waits for t's handover envelope: from then on what the
// connection is sent is this node's to keep.
func (s *Server) waitStarted(ctx context.Context, t *take) error {
	select {
	case <-t.started:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(handoverWait):
		return errors.New("the handover envelope did not arrive")
	}
}

// restoreTaken builds the connection from the old node's snapshot.
func (s *Server) restoreTaken(req connRequest, snap ResumeSnapshot) (*conn, error) {
	if snap.ConnectionID != req.id || snap.Hub != req.hub {
		return nil, errors.New("the state is another connection's")
	}
	c, ok := s.restoreResumable(snap)
	if !ok {
		return nil, errors.New("the unacknowledged messages do not fit the reconnect buffer")
	}
	c.addr, c.diag = req.addr, req.diag
	if exp := authExpiry(req.claims); !exp.IsZero() {
		c.expires = exp.UnixNano()
	}
	if s.cfg.Upstream != nil {
		// No connected event: the connection goes on.
		c.session = s.cfg.Upstream.Session(upstream.Connection{
			Hub: c.hub, ConnectionID: c.id, UserID: c.user, Claims: req.claims,
			Query: req.query, Codec: c.proto.codec(),
		})
	}
	return c, nil
}

// install puts the taken connection in the index with its groups and
// gives it what t kept, in order, so that the next envelope handled
// reaches it through the index; all under handovers.mu, which handle
// holds while takes are under way.
func (s *Server) install(t *take, c *conn, groups []string) error {
	s.handovers.mu.Lock()
	defer s.handovers.mu.Unlock()
	defer s.handovers.doneLocked(t)
	if t.over {
		return errors.New("more was sent to the hub during the handover than it may keep")
	}
	set := make(map[string]struct{}, len(groups))
	for _, g := range groups {
		set[g] = struct{}{}
	}
	closeReason := ""
	for _, e := range t.kept {
		mine := (e.Scope == bus.ScopeConnection && e.ID == c.id) || (e.Scope == bus.ScopeUser && c.user != "" && e.ID == c.user)
		switch e.Kind {
		case bus.KindAddToGroup:
			if mine {
				set[e.Group] = struct{}{}
			}
		case bus.KindRemoveFromGroup:
			if mine {
				delete(set, e.Group)
			}
		case bus.KindRemoveFromAllGroups:
			if mine {
				clear(set)
			}
		case bus.KindSend, bus.KindClose:
			if !addresses(e, c, set) {
				continue
			}
			if e.Kind == bus.KindClose {
				closeReason = cmp.Or(e.Reason, ReasonAppClosed)
				continue
			}
			if f, err := messageFrame(c.proto, e.Message); err == nil && len(f) > 0 {
				c.enqueue(f) // detached: kept for the reconnect
			}
		}
	}
	s.idx.add(c)
	s.idx.mu.Lock()
	if h := s.idx.hubs[c.hub]; h != nil {
		for g := range set {
			h.join(c, g)
		}
	}
	s.idx.mu.Unlock()
	if closeReason != "" {
		c.close(closeReason)
	}
	return nil
}

// addresses reports whether send or close e addresses c, in groups.
func addresses(e *bus.Envelope, c *conn, groups map[string]struct{}) bool {
	if e.IsExcluded(c.id) {
		return false
	}
	switch e.Scope {
	case bus.ScopeAll:
		return true
	case bus.ScopeConnection:
		return e.ID == c.id
	case bus.ScopeUser:
		return c.user != "" && e.ID == c.user
	case bus.ScopeGroup:
		_, ok := groups[e.ID]
		return ok
	}
	return false
}

// endLost ends a connection this node took over without its state: the
// bus names this node, so it reports the end upstream, once.
func (s *Server) endLost(ho bus.Handover, req connRequest) {
	ctx, cancel := s.busContext(context.Background())
	ended, err := ho.EndDetached(ctx, bus.Conn{Hub: req.hub, ID: req.id, User: req.user, Addr: s.cfg.InternalURL})
	cancel()
	if err != nil {
		s.log.Warn("unregister a connection taken over without its state", "hubName", req.hub, "connectionId", req.id, "err", err)
	}
	if !ended && err == nil {
		return // another node took it over meanwhile: its end is theirs
	}
	if s.cfg.Upstream != nil {
		sess := s.cfg.Upstream.Session(upstream.Connection{Hub: req.hub, ConnectionID: req.id, UserID: req.user,
			Claims: req.claims, Query: req.query})
		_ = sess.Disconnected("the connection's state was lost with its gateway node")
	}
}
