package gateway

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// Handing a stateful connection over to another node. A client whose
// WebSocket dropped reconnects through the load balancer, which may pick
// any node; a drain ends every stateful socket on purpose so that its
// clients do just that. The node the reconnect lands on (the taker) takes
// the connection over from the node that holds it (the old node), and
// nothing sent to the connection is lost or delivered twice:
//
//  1. The old node, seeing the socket drop, keeps the connection detached
//     for the reconnect window (resume_ws.go) and marks it detached in the
//     bus (bus.Handover.Detach). The bus never moves a connection its live
//     node has not detached: there are never two live owners. A taker
//     refused because the old node has not seen its socket drop yet asks
//     it to let go (the internal endpoint's release operation, which cuts
//     the socket as a reconnect on the same node would) and tries again.
//  2. The taker records that it expects a handover (handovers.expect),
//     then calls bus.Handover.TakeOver, which subscribes it to the hub and,
//     in one atomic step, moves the connection's presence to it and puts
//     a KindHandover envelope in the hub's ordered stream, returning the
//     connection's user and groups as they are at that point of the
//     stream. The bus is the arbiter of every race: of two takers one
//     wins; of a takeover and the old node's end of the window
//     (bus.Handover.EndDetached) one wins; a local reconnect on the old
//     node checks with the bus (bus.Handover.Attach) first.
//  3. The old node applies envelopes in stream order. At the handover
//     envelope it freezes the connection: out of the index, so nothing
//     after the envelope reaches it. Everything before the envelope is in
//     its buffer of unacknowledged frames. The taker keeps every envelope
//     of the hub that follows the handover envelope until it has the
//     connection's state; it applies to it those that address it (its
//     groups tracked from the TakeOver answer on).
//  4. Having applied the handover envelope, the old node sends the
//     connection's state (the unacknowledged frames as written, the
//     sequence ids) to the taker's internal endpoint (found through the
//     bus, which names the taker now), authenticated as the other internal
//     calls are. It is sent rather than fetched because a draining node
//     stops accepting connections at once (so that load balancers move
//     on) but may still call out. The taker's buffer is the old buffer
//     followed by what it kept: nothing lost, nothing twice, without ids
//     to compare. It then attaches the new socket as a reconnect on one
//     node does: Sequence, then every unacknowledged frame.
//
// Ends. The node the bus names owns the connection's end: the old node
// ends a frozen connection without the upstream's disconnected event or
// an unregistration (handOff); a taker that cannot get the state (the old
// node died, the snapshot does not fit the buffer) ends the connection
// itself, once, with the disconnected event, and the client's reconnect
// fails with 404, as for a connection that no longer exists. A
// connection whose old node died without detaching it is taken over once
// the bus stops counting that node as alive, and ends that way.
//
// docs/architecture.md has the overview.

// handoverWait bounds each wait of a handover: for the handover envelope
// to reach a node, for the state to reach the taker.
const handoverWait = 10 * time.Second

// maxHandovers bounds the takes, and separately the state sends, a node
// runs at once: a drain moves every client of a node within a second or
// two, and each takeover costs bus calls and an internal call; the rest
// wait their turn (up to takeOverTimeout) rather than all time out.
const maxHandovers = 16

// handovers is a node's record of the handovers under way, both sides.
type handovers struct {
	// takeSlots and pushSlots hold one token per take and per state send
	// under way (maxHandovers each).
	takeSlots, pushSlots chan struct{}

	// watching counts the takes under way: while it is not zero, every
	// envelope is handled under mu (handle), so that a take switching
	// from keeping envelopes to the index misses none and applies none
	// twice.
	watching atomic.Int32

	mu    sync.Mutex
	takes map[connKey]*take    // this node taking over
	offs  map[connKey]*handOff // this node handing over
}

// handOff is a connection this node holds that another node took over.
type handOff struct {
	key    connKey
	c      *conn  // nil until frozen; nil after when the node did not hold it
	taker  string // the takeover's id, once frozen
	frozen chan struct{}

	// ending: a goroutine ends the connection (handOff); guarded by
	// handovers.mu.
	ending bool

	frozenOnce sync.Once
}

// claimLocked reports whether the caller is the one to end o's
// connection; handovers.mu is held.
func (o *handOff) claimLocked() bool {
	if o.ending {
		return false
	}
	o.ending = true
	return true
}

// newHandovers returns an empty record.
func newHandovers() handovers {
	return handovers{takeSlots: make(chan struct{}, maxHandovers), pushSlots: make(chan struct{}, maxHandovers)}
}

// acquire takes a token of slots within takeOverTimeout; false when none
// came (or ctx ended). Give it back with <-slots.
func acquire(ctx context.Context, slots chan struct{}) bool {
	t := time.NewTimer(takeOverTimeout)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return true
	case <-ctx.Done():
	case <-t.C:
	}
	return false
}

// offLocked returns the handOff record of key, making it; mu is held.
func (h *handovers) offLocked(key connKey) *handOff {
	if h.offs == nil {
		h.offs = make(map[connKey]*handOff)
	}
	o := h.offs[key]
	if o == nil {
		o = &handOff{key: key, frozen: make(chan struct{})}
		h.offs[key] = o
	}
	return o
}

// handedOff reports whether c was taken over by another node.
func (h *handovers) handedOff(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.offs[connKey{c.hub, c.id}]
	return o != nil && o.c == c
}

// forget drops o once its connection has ended.
func (h *handovers) forget(o *handOff) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.offs[o.key] == o {
		delete(h.offs, o.key)
	}
}

// handedOver applies a KindHandover envelope of another node's takeover:
// a connection held here is frozen where the envelope stands in the
// stream. It runs in bus order, under handovers.mu when takes are under
// way (handle); it never blocks. Every node of the hub receives the
// envelope: those that do not hold the connection ignore it.
func (s *Server) handedOver(e *bus.Envelope, locked bool) {
	key := connKey{e.Hub, e.ID}
	c := s.idx.get(e.Hub, e.ID)
	if c != nil && c.sr == nil {
		c = nil // never detached, so never moved: not this connection
	}
	if c != nil {
		s.idx.remove(c) // nothing after the envelope reaches it
	}
	if !locked {
		s.handovers.mu.Lock()
		defer s.handovers.mu.Unlock()
	}
	o := s.handovers.offs[key]
	if c == nil && o == nil {
		return
	}
	if o == nil {
		o = s.handovers.offLocked(key)
	}
	o.frozenOnce.Do(func() {
		if c != nil {
			o.c = c
		}
		o.taker = e.Taker
		close(o.frozen)
	})
	if c != nil && o.claimLocked() {
		go s.handOff(o) // counted: c is in Shutdown's count until it ends
	}
}

// handOff sends a connection another node took over its state, then ends
// it here. A socket still attached (the bus took this node for dead) is
// cut first.
func (s *Server) handOff(o *handOff) {
	<-o.frozen
	s.handovers.mu.Lock()
	c, taker := o.c, o.taker
	s.handovers.mu.Unlock()
	if !c.waitDetached(takeOverTimeout) {
		s.log.Warn("handed-over connection's socket did not let go", "hubName", c.hub, "connectionId", c.id)
	}
	if taker == "" {
		s.log.Warn("stateful connection taken over, but its handover did not arrive: its state is not sent", "hubName", c.hub, "connectionId", c.id, "userId", c.user)
	} else if err := s.pushStateSlot(c, taker); err != nil {
		// The taker ends it (it waits for the state in vain).
		s.log.Warn("stateful connection taken over, but its state could not be sent", "hubName", c.hub, "connectionId", c.id, "userId", c.user, "err", err)
	}
	s.endHandedOver(c)
	s.handovers.forget(o)
}

// waitDetached cuts c's socket if it is still attached and waits up to d
// for its reader to detach it; false when it did not.
func (c *conn) waitDetached(d time.Duration) bool {
	c.mu.Lock()
	r := c.sr
	if r.detached || r.ending {
		c.mu.Unlock()
		return true
	}
	if r.detachedCh == nil {
		r.detachedCh = make(chan struct{})
	}
	ch, nc := r.detachedCh, c.nc
	c.mu.Unlock()
	if nc != nil {
		_ = nc.Close()
	}
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

// endHandedOver is end for a connection another node took over: it lives
// on there, so no disconnected event goes upstream and its bus record
// (now the taker's) stays; this node only lets go of what it held.
func (s *Server) endHandedOver(c *conn) {
	c.mu.Lock()
	freed := c.endingLocked()
	c.mu.Unlock()
	s.srBytes.Add(-int64(freed))
	s.idx.remove(c)
	s.connEnded(c)
	c.stop(true)
	s.keeper.remove(c)
	if ho, ok := s.cfg.Bus.(bus.Handover); ok {
		ctx, cancel := s.busContext(context.Background())
		if _, err := ho.EndDetached(ctx, s.busConn(c)); err != nil {
			s.log.Warn("let go of a handed-over connection", "hubName", c.hub, "connectionId", c.id, "err", err)
		}
		cancel()
	}
	s.releaseConnection(c.hub, c.user)
	s.endDiagnostic(c.diag)
	if c.metrics != nil {
		c.metrics.Closed(CloseHandedOver)
		s.traceEnded(c, transportWebSockets, CloseHandedOver)
	}
	s.countHandover(HandoverOut, HandoverDone)
	s.log.Info("stateful connection handed over to another node", "hubName", c.hub, "connectionId", c.id, "userId", c.user)
	s.conns.Done()
}

// busConn is c as the bus knows it on this node.
func (s *Server) busConn(c *conn) bus.Conn {
	return bus.Conn{Hub: c.hub, ID: c.id, User: c.user, Addr: s.cfg.InternalURL}
}

// handoverBus returns the bus's Handover when connections may move
// between nodes: the bus implements it and the node takes internal calls.
func (s *Server) handoverBus() bus.Handover {
	ho, ok := s.cfg.Bus.(bus.Handover)
	if !ok || s.cfg.InternalURL == "" {
		return nil
	}
	return ho
}

// busDetach marks a stateful connection whose socket dropped detached in
// the bus, so another node may take it over; not one handed over already.
func (s *Server) busDetach(c *conn) {
	ho := s.handoverBus()
	if ho == nil || s.handovers.handedOff(c) {
		return
	}
	ctx, cancel := s.busContext(context.Background())
	defer cancel()
	if err := ho.Detach(ctx, s.busConn(c), c.proto.String()); err != nil && !errors.Is(err, bus.ErrConnectionNotFound) {
		// It stays resumable on this node only.
		s.log.Warn("mark detached connection in the bus", "hubName", c.hub, "connectionId", c.id, "err", err)
	}
}

// busAttach checks with the bus that a detached connection is still this
// node's before a socket attaches to it here, and marks it attached; false
// when another node took it over.
func (s *Server) busAttach(c *conn) bool {
	ho := s.handoverBus()
	if ho == nil {
		return true
	}
	ctx, cancel := s.busContext(context.Background())
	defer cancel()
	err := ho.Attach(ctx, s.busConn(c))
	if errors.Is(err, bus.ErrConnectionNotFound) {
		return false
	}
	if err != nil {
		// The bus cannot tell: resume here; a takeover meanwhile finds the
		// connection attached or its state frozen.
		s.log.Warn("mark connection attached in the bus", "hubName", c.hub, "connectionId", c.id, "err", err)
	}
	return true
}

// busEndDetached unregisters a detached connection whose window ran out
// or that was closed, unless another node took it over. It reports
// whether to end it here, and whether end must still unregister it;
// when another node took it over the handover ends it (handOff).
func (s *Server) busEndDetached(c *conn) (end, registered bool) {
	if s.handovers.handedOff(c) {
		return false, false
	}
	ho := s.handoverBus()
	if ho == nil {
		return true, true
	}
	ctx, cancel := s.busContext(context.Background())
	ended, err := ho.EndDetached(ctx, s.busConn(c))
	cancel()
	if err != nil {
		s.log.Warn("unregister detached connection", "hubName", c.hub, "connectionId", c.id, "err", err)
		return true, true // end tries again; the end is this node's
	}
	if ended {
		return true, false
	}
	// Taken over: its handover envelope is on its way, if not here yet.
	s.handovers.mu.Lock()
	o := s.handovers.offLocked(connKey{c.hub, c.id})
	claimed := o.claimLocked()
	s.handovers.mu.Unlock()
	if claimed {
		go func() {
			select {
			case <-o.frozen:
			case <-time.After(handoverWait):
				s.log.Warn("stateful connection taken over, but the handover did not arrive", "hubName", c.hub, "connectionId", c.id)
			}
			s.handovers.mu.Lock()
			o.frozenOnce.Do(func() { close(o.frozen) })
			if o.c == nil {
				o.c = c
			}
			s.handovers.mu.Unlock()
			s.handOff(o)
		}()
	}
	return false, false
}
