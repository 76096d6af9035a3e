package gateway

import (
	"context"
	"errors"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/upstream"
)

// Every connection goes through the same steps whatever its transport,
// each written once, here and in admit:
//
//  1. admission (admit, connect.go): a diagnostic slot, a place in
//     Shutdown's count, its quota slots, its id reserved in the index and
//     the single-use claim of its connection token. A connection that ends
//     before registration gives them back with refund.
//  2. registration (register): a live entry in the index, so dispatches
//     reach it, and in the bus registry, so other nodes do.
//  3. start (start), once the hub protocol handshake is done: the
//     upstream's connected event, writing resumed, keep-alive and
//     authentication expiry, a drain begun meanwhile, metrics, trace, log.
//  4. teardown (end), once the transport is done with it: out of the index
//     and the keeper, its writer stopped, out of the bus registry, its
//     quota and diagnostic slots back, the upstream's disconnected event,
//     metrics, trace, log; last, out of Shutdown's count.
//
// WebSockets handshake before registering (a refused handshake costs the
// bus nothing); Server-Sent Events and Long Polling register when their
// first request opens them, because the handshake and later requests may
// land on other nodes, which find the connection through the bus.

// refund gives back what admit took, for a connection that ends before it
// is registered.
func (s *Server) refund(req *connRequest) {
	s.idx.unreserve(req.hub, req.id)
	s.releaseConnection(req.hub, req.user)
	s.endDiagnostic(req.diag)
	s.conns.Done()
}

// register turns c's reservation into a live connection: in the index
// first, so the connection can be reached as soon as the bus names it,
// then in the bus registry. A failure is logged here; the connection is
// then still in the index, and its end removes it.
func (s *Server) register(c *conn) error {
	s.idx.add(c)
	ctx, cancel := s.busContext(context.Background())
	defer cancel()
	_, err := s.cfg.Bus.Register(ctx, bus.Conn{Hub: c.hub, ID: c.id, User: c.user, Addr: s.cfg.InternalURL})
	if err != nil {
		s.log.Warn("register connection", "hubName", c.hub, "connectionId", c.id, "userId", c.user, "err", err)
	}
	return err
}

// registerRefusal is the close reason for a failed registration: another
// node holds the id, or the bus failed.
func registerRefusal(err error) string {
	if errors.Is(err, bus.ErrConnectionExists) {
		return ReasonDuplicate
	}
	return ReasonInternal
}

// start opens a registered connection whose handshake is done: the
// upstream's connected event (queued ahead of any invocation), writing
// resumed (the handshake response first), keep-alive and authentication
// expiry (asrs.s.coae), a close when a drain began while it was set up
// (Drain may not have seen it in the index), metrics, trace and log.
func (s *Server) start(c *conn, req *connRequest, transport string) {
	if s.cfg.Upstream != nil {
		c.session = s.cfg.Upstream.Session(upstream.Connection{
			Hub: c.hub, ConnectionID: c.id, UserID: c.user, Claims: req.claims,
			Query: req.query, Codec: c.proto.codec(), RemoteAddr: c.addr,
		})
		_ = c.session.Connected() // queued; failures are the upstream's to log
	}
	c.resume()
	if exp := authExpiry(req.claims); !exp.IsZero() {
		c.expires = exp.UnixNano()
	}
	s.keeper.add(c)
	if s.draining.Load() {
		s.drainConn(c, closeMessageFrame(c.proto, ReasonServiceReloading, true), s.drainHandOver.Load())
	}
	c.metrics = s.cfg.Metrics.ConnectionOpened(c.hub, transport, c.proto.String(), c.diag)
	s.traceStarted(c, transport)
	s.log.Debug("connection started", "hubName", c.hub, "connectionId", c.id, "userId", c.user, "transport", transport, "protocol", c.proto.String())
}

// ending is how a registered connection ended, for end.
type ending struct {
	transport string
	// registered is false when the bus registration failed: there is no
	// registry entry to remove.
	registered bool
	// peerGone: the client is gone (see conn.stop).
	peerGone bool
	// err is why the transport ended it: errClientClosed for a client's
	// close, else a read error or nil.
	err error
	// closeTransport, when set, closes the transport's socket once the
	// writer has stopped.
	closeTransport func()
}

// end tears down a registered connection once its transport is done with
// it, the same way for every transport; c's session and metrics must no
// longer change.
func (s *Server) end(c *conn, e ending) {
	if c.sr != nil {
		c.mu.Lock()
		freed := c.endingLocked() // never attached again
		c.mu.Unlock()
		s.srBytes.Add(-int64(freed))
	}
	s.idx.remove(c)
	s.connEnded(c) // client results and streams waiting on c end now
	c.stop(e.peerGone)
	s.keeper.remove(c) // after the stop: check does not put it back
	if e.closeTransport != nil {
		e.closeTransport()
	}
	if e.registered {
		ctx, cancel := s.busContext(context.Background())
		if err := s.cfg.Bus.Unregister(ctx, c.hub, c.id); err != nil {
			s.log.Warn("unregister connection", "hubName", c.hub, "connectionId", c.id, "err", err)
		}
		cancel()
	}
	s.releaseConnection(c.hub, c.user)
	s.endDiagnostic(c.diag)
	if c.session != nil {
		_ = c.session.Disconnected(disconnectError(c, e.err))
	}
	if c.metrics != nil {
		label := CloseLabel(c.reason(), e.err)
		c.metrics.Closed(label)
		s.traceEnded(c, e.transport, label)
	}
	s.log.Debug("connection ended", "hubName", c.hub, "connectionId", c.id, "userId", c.user, "transport", e.transport, "reason", c.reason(), "err", e.err)
	s.conns.Done()
}

// busContext bounds one call to the bus by Config.BusTimeout, whatever the
// client's socket timeouts.
func (s *Server) busContext(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, s.cfg.BusTimeout)
}
