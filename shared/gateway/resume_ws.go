package gateway

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
)

// Outcomes of a reconnect (StatefulMetrics.StatefulReconnect).
const (
	// ReconnectResumed: the new socket took the connection over and the
	// client's Sequence was accepted.
	ReconnectResumed = "resumed"
	// ReconnectEnded: the connection was ending; 404 or a Close.
	ReconnectEnded = "ended"
	// ReconnectFailed: the old socket did not let go in time.
	ReconnectFailed = "failed"
	// ReconnectBusy: another reconnect of the connection was under way;
	// 409.
	ReconnectBusy = "busy"
	// ReconnectSequence: the new socket took the connection over but the
	// client's Sequence named messages never received; the connection was
	// closed.
	ReconnectSequence = "sequence_error"
)

// StatefulMetrics is implemented by a Metrics that counts stateful
// reconnects; the gateway checks for it with a type assertion.
type StatefulMetrics interface {
	// StatefulReconnect counts one reconnect of a stateful connection by
	// outcome (Reconnect*).
	StatefulReconnect(outcome string)
	// StatefulWindowExpired counts a detached connection ended because its
	// client did not come back within the reconnect window.
	StatefulWindowExpired()
	// StatefulBuffered sets the bytes this node keeps for stateful
	// connections (sent, unacknowledged); called about once a second.
	StatefulBuffered(bytes int64)
}

// errSequenceAhead ends the reading of a connection whose client sent a
// Sequence beyond what it sent before.
var errSequenceAhead = errors.New("client Sequence beyond the messages received")

// takeOverTimeout bounds how long a reconnect waits for the socket it
// replaces to let go of the connection.
const takeOverTimeout = 5 * time.Second

// statefulOn reports whether stateful reconnect is granted.
func (s *Server) statefulOn() bool { return s.cfg.StatefulReconnect != "off" }

// statefulMetrics returns the stateful reconnect counters, or nil.
func (s *Server) statefulMetrics() StatefulMetrics {
	m, _ := s.cfg.Metrics.(StatefulMetrics)
	return m
}

// countReconnect counts a reconnect's outcome.
func (s *Server) countReconnect(outcome string) {
	if m := s.statefulMetrics(); m != nil {
		m.StatefulReconnect(outcome)
	}
}

// statefulTick runs with the keeper's Ack round: the buffered bytes gauge.
func (s *Server) statefulTick() {
	if m := s.statefulMetrics(); m != nil {
		m.StatefulBuffered(s.srBytes.Load())
	}
}

// detach keeps a stateful connection whose socket dropped without a close
// (no Close message, no close frame, no close by the server) for its
// reconnect window, and reports true; otherwise the caller ends it. The
// writer is stopped and the socket closed; what is sent meanwhile is
// kept, the index, groups, upstream session and bus registration stay,
// and the keeper ends it when the window runs out.
func (s *Server) detach(c *conn, e ending) bool {
	if c.sr == nil || !e.registered || errors.Is(e.err, errClientClosed) {
		return false
	}
	closed := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.closeReason != "" || c.sr.ending
	}
	if closed() {
		return false
	}
	// The writer lets go of the old socket first: a reconnect attaches
	// only a connection whose write side is Closed. Meanwhile frames are
	// kept (the socket failed: enqueueFrame), and a close is recorded
	// (closeLocked), which ends the connection here instead.
	c.stop(true)
	s.busDetach(c) // another node may take it over from now (handover.go)
	c.mu.Lock()
	r := c.sr
	if c.closeReason != "" || r.ending {
		c.mu.Unlock()
		return false
	}
	r.detached = true
	r.deadline = time.Now().Add(s.cfg.StatefulReconnectWindow)
	r.dropErr = e.err
	buffered := len(r.unacked)
	r.wakeLocked()
	c.mu.Unlock()
	if e.closeTransport != nil {
		e.closeTransport()
	}
	s.keeper.reschedule(c, s.cfg.StatefulReconnectWindow)
	s.log.Info("stateful connection detached; waiting for its client to reconnect", "hubName", c.hub, "connectionId", c.id,
		"userId", c.user, "err", e.err, "buffered_messages", buffered, "window", s.cfg.StatefulReconnectWindow)
	s.statefulEvent(c, eventDetached, buffered)
	return true
}

// endDetached ends a detached connection for good: its window ran out, or
// it was closed (by the application, a drain, a full buffer).
func (s *Server) endDetached(c *conn) {
	end, registered := s.busEndDetached(c)
	if !end {
		return // another node took it over: handOff ends it here
	}
	c.mu.Lock()
	err, expired := c.sr.dropErr, c.closeReason == ""
	c.mu.Unlock()
	if expired {
		if m := s.statefulMetrics(); m != nil {
			m.StatefulWindowExpired()
		}
		s.log.Info("stateful connection's reconnect window ran out", "hubName", c.hub, "connectionId", c.id, "userId", c.user,
			"window", s.cfg.StatefulReconnectWindow)
		s.statefulEvent(c, eventWindowExpired, 0)
	}
	s.end(c, ending{transport: transportWebSockets, registered: registered, err: err, peerGone: true})
}

// reconnect takes a WebSocket that reconnects a stateful connection: the
// token's connection is held here (or by another node: resumeRemote). It
// reports false for a connection it does not know, which then goes the
// way of a first connect (a token used before gets 409, an expired one
// 404).
func (s *Server) reconnect(w http.ResponseWriter, r *http.Request, req connRequest) bool {
	c := s.idx.get(req.hub, req.id)
	if c == nil {
		return s.resumeRemote(w, r, req)
	}
	c.mu.Lock()
	sr := c.sr
	ending, busy := sr != nil && sr.ending, sr != nil && sr.reconnecting
	draining := s.draining.Load()
	if sr != nil && !ending && !busy && !draining {
		sr.reconnecting = true // until attach is done (reconnectDone)
	}
	c.mu.Unlock()
	switch {
	case sr == nil:
		return false // a connection without stateful reconnect: the id is in use
	case ending:
		s.countReconnect(ReconnectEnded)
		s.log.Info("stateful reconnect refused: the connection is ending", "hubName", c.hub, "connectionId", c.id, "userId", c.user)
		httpError(w, http.StatusNotFound, TextNoConnection)
		return true
	case busy:
		// One at a time: each would hold a socket and a goroutine that no
		// connection limit counts.
		s.countReconnect(ReconnectBusy)
		s.log.Info("stateful reconnect refused: another reconnect of the connection is under way", "hubName", c.hub,
			"connectionId", c.id, "userId", c.user)
		httpError(w, http.StatusConflict, TextIDInUse)
		return true
	case draining:
		httpError(w, http.StatusServiceUnavailable, ReasonServiceReloading)
		return true
	}
	nc, src, ok := s.upgrade(w, r, req)
	if !ok {
		c.reconnectDone()
		return true
	}
	if !s.track() {
		// Shutdown began: the connection is closed by it.
		c.reconnectDone()
		_ = nc.Close()
		return true
	}
	go func() {
		defer s.conns.Done()
		s.serveReconnect(c, nc, src)
	}()
	return true
}

// reconnectDone lets the next reconnect of c in.
func (c *conn) reconnectDone() {
	c.mu.Lock()
	c.sr.reconnecting = false
	c.mu.Unlock()
}

// serveReconnect attaches nc to c: the socket it replaces is cut if the
// server has not seen it drop, the server's Sequence and every
// unacknowledged frame are written first, then the connection is read as
// before, until it detaches again or ends.
func (s *Server) serveReconnect(c *conn, nc net.Conn, src io.Reader) {
	closeSocket := s.cutOnShutdown(nc)
	replayed, outcome := s.attach(c, nc)
	c.reconnectDone()
	if outcome != ReconnectResumed {
		s.countReconnect(outcome)
		s.log.Info("stateful reconnect refused", "hubName", c.hub, "connectionId", c.id, "userId", c.user, "outcome", outcome,
			"reason", ReasonReconnectFailed)
		p := c.proto
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		bufs := net.Buffers{closeMessageFrame(p, ReasonReconnectFailed, false), normalCloseFrame}
		_, _ = bufs.WriteTo(nc)
		closeSocket()
		return
	}
	// Counted once the client's Sequence arrives (clientSequence).
	s.log.Info("stateful connection resumed", "hubName", c.hub, "connectionId", c.id, "userId", c.user, "replayed_messages", replayed)
	s.statefulEvent(c, eventResumed, replayed)
	rd := &frameReader{br: bufio.NewReaderSize(src, readBufferSize), max: s.cfg.MaxMessageBytes, c: c}
	e := ending{transport: transportWebSockets, registered: true, closeTransport: closeSocket}
	e.err = s.readLoop(c, rd, &inbox{})
	e.peerGone = errors.Is(e.err, os.ErrDeadlineExceeded) || isNetClosed(e.err) || errors.Is(e.err, io.EOF)
	if s.detach(c, e) {
		return
	}
	s.end(c, e)
}

// attach takes c over for nc once c is detached, cutting the socket it
// still has, and queues the server's Sequence and the unacknowledged
// frames. It returns how many frames it replays and the outcome.
func (s *Server) attach(c *conn, nc net.Conn) (int, string) {
	deadline := time.Now().Add(takeOverTimeout)
	c.mu.Lock()
	for {
		r := c.sr
		if r.ending {
			c.mu.Unlock()
			return 0, ReconnectEnded
		}
		if r.detached {
			// Still this node's? Another node may have taken it over
			// (handover.go); the bus knows first.
			c.mu.Unlock()
			if !s.busAttach(c) {
				return 0, ReconnectEnded
			}
			c.mu.Lock()
			if r.ending || !r.detached {
				c.mu.Unlock()
				return 0, ReconnectFailed
			}
			break
		}
		// Attached still: the server has not seen the old socket drop.
		// Cut it; its reader then detaches the connection.
		if r.detachedCh == nil {
			r.detachedCh = make(chan struct{})
		}
		ch, old := r.detachedCh, c.nc
		c.mu.Unlock()
		s.log.Info("stateful reconnect replaces a socket still attached", "hubName", c.hub, "connectionId", c.id, "userId", c.user)
		_ = old.Close()
		select {
		case <-ch:
		case <-time.After(time.Until(deadline)):
			return 0, ReconnectFailed
		}
		c.mu.Lock()
	}
	defer c.mu.Unlock()
	r := c.sr
	c.nc, c.raw = nc, rawConn(nc)
	c.deadline, c.final, c.closedCh, c.headPartial = time.Time{}, nil, nil, false
	c.readCap.Store(0)
	c.queue = append(make([][]byte, 0, 1+len(r.unacked)), sequenceFrame(c.proto, hubproto.TypeSequence, r.firstSeq))
	c.queue = append(c.queue, r.unacked...)
	c.queued = 0
	for _, f := range c.queue {
		c.queued += len(f)
	}
	r.replayFrames, r.replayBytes = len(c.queue), c.queued
	r.detached, r.dropErr, r.awaitSequence = false, nil, true
	c.lastWrite.Store(time.Now().UnixNano())
	c.setStateLocked(wsSetup) // reattach; resume starts the writer
	c.startWriterLocked(wsWriting)
	return len(r.unacked), ReconnectResumed
}
