package gateway

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
)

// httpConn is the HTTP side of a Server-Sent Events or Long Polling
// connection. Its conn queues frames exactly as for WebSockets (the same
// encoded-once WebSocket frames); instead of a writer goroutine, the
// request that carries the output (the event stream, the pending poll) is
// woken and writes the frames' payloads. Client messages arrive as POST
// bodies. One owner goroutine (runHTTP) per connection ends it when the
// client goes quiet and tears it down.
type httpConn struct {
	kind int // httSSE or httLongPoll

	wakeCh  chan struct{} // one pending wake-up: frames queued, or closing
	endCh   chan struct{} // closed by end: the connection is over
	endOnce sync.Once
	endErr  error // why it ended (errClientClosed for a client stop); set by end

	opened time.Time   // when the connection was opened
	ready  atomic.Bool // handshake done: frames may be queued
	// greeted is set once the handshake response is queued; guarded by
	// the conn's mu.
	greeted bool
	lastIn  atomic.Int64 // unix nanoseconds of the last client request

	inMu       sync.Mutex  // serializes client messages
	handshaken bool        // guarded by inMu
	pending    inbox       // guarded by inMu: an incomplete handshake or record
	req        connRequest // for the upstream session

	pollMu sync.Mutex
	poll   chan struct{} // closed to supersede the pending poll; nil when none
	polls  int           // polls so far: the first is answered at once
	// pollCut: the last poll ended because the client's side closed it
	// (the socket lost, or a stop that a DELETE follows), not with an
	// answer; a new poll clears it.
	pollCut atomic.Bool
	// streamCut: the Server-Sent Events stream ended without a close from
	// the server; endCutStream decides how the connection ended, not the
	// ping timeout.
	streamCut atomic.Bool
}

// transportName is the transport's name in logs.
func (h *httpConn) transportName() string {
	if h.kind == httSSE {
		return hubproto.TransportServerSentEvents
	}
	return hubproto.TransportLongPolling
}

// wake tells the writing request that there is something to write.
func (h *httpConn) wake() {
	select {
	case h.wakeCh <- struct{}{}:
	default:
	}
}

// closeLocked wakes the writing request for the final frames of a close;
// before the handshake there is nothing to tell the client and the
// connection just ends. The conn's mu is held.
func (h *httpConn) closeLocked() {
	if !h.greeted {
		h.end()
		return
	}
	h.wake()
}

// endIfNotPolling ends a Long Polling connection that has no poll
// waiting. At shutdown the listeners close first, so such a client could
// never fetch its Close message with a new poll: its next poll fails and
// it reconnects, instead of holding the drain until ClientTimeout.
func (h *httpConn) endIfNotPolling() {
	if h.kind != httLongPoll {
		return
	}
	h.pollMu.Lock()
	polling := h.poll != nil
	h.pollMu.Unlock()
	if !polling {
		h.end()
	}
}

// end ends the connection; the first call decides why.
func (h *httpConn) end() { h.endWith(nil) }

func (h *httpConn) endWith(err error) {
	h.endOnce.Do(func() {
		h.endErr = err
		close(h.endCh)
	})
}

// take hands the writing request everything queued (and, once the
// connection is closing, its final frames, leaving it Closed). closing
// reports that the connection is closing: nothing more will be queued.
// When nothing is queued and the connection is open it becomes Idle: the
// next enqueue wakes the writer. Before resume it hands over nothing.
func (c *conn) take() (frames [][]byte, closing bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch st := c.state(); st {
	case wsWriting:
		frames = c.queue
		c.queue, c.queued = nil, 0
		if len(frames) == 0 {
			c.setStateLocked(wsIdle)
		}
		return frames, false
	case wsClosing, wsAborting:
		if st == wsClosing {
			frames = c.queue
		}
		c.queue, c.queued = nil, 0
		frames = append(frames, c.final...)
		c.final = nil
		c.setStateLocked(wsClosed)
		return frames, true
	case wsClosed:
		return nil, true
	}
	return nil, false // Setup (and its closing variants: resume wakes), Idle
}

// framePayload returns the hub protocol bytes of a data frame the server
// built for WebSockets, without copying; control frames have none.
func framePayload(f []byte) []byte {
	if len(f) < 2 {
		return nil
	}
	if op := f[0] & 0x0f; op != opText && op != opBinary {
		return nil
	}
	switch f[1] & 0x7f {
	case 126:
		return f[4:]
	case 127:
		return f[10:]
	default:
		return f[2:]
	}
}

// openHTTP starts a Server-Sent Events or Long Polling connection for a
// request carrying an unused connection token: it is admitted and
// registered at once (lifecycle.go), so requests for it landing on other
// nodes find it, but it receives messages only after its handshake. It
// reports false after answering the request with an error.
func (s *Server) openHTTP(w http.ResponseWriter, r *http.Request, req connRequest, kind int) (*conn, bool) {
	if !s.admit(w, r, &req) {
		return nil, false
	}
	c := newConn(s, nil, req.hub, req.id, req.user)
	c.addr = req.addr
	c.diag = req.diag
	c.hs = &httpConn{kind: kind, wakeCh: make(chan struct{}, 1), endCh: make(chan struct{}), req: req}
	c.hs.opened = time.Now()
	c.hs.lastIn.Store(c.hs.opened.UnixNano())
	if err := s.register(c); err != nil {
		s.end(c, ending{transport: c.hs.transportName(), err: err})
		if registerRefusal(err) == ReasonDuplicate {
			httpError(w, http.StatusConflict, TextIDInUse)
		} else {
			httpError(w, http.StatusServiceUnavailable, ReasonInternal)
		}
		return nil, false
	}
	go s.runHTTP(c)
	return c, true
}

// runHTTP owns an HTTP transport connection: it ends it when the handshake
// does not come within HandshakeTimeout, when a Server-Sent Events client
// sends nothing for ClientTimeout (ping timeout) and when a Long Polling
// client does not poll for ClientTimeout; then it tears it down (end).
func (s *Server) runHTTP(c *conn) {
	h := c.hs
	t := time.NewTimer(min(s.cfg.HandshakeTimeout, s.cfg.ClientTimeout))
	defer t.Stop()
	for waiting := true; waiting; {
		select {
		case <-h.endCh:
			waiting = false
		case now := <-t.C:
			t.Reset(s.checkHTTP(c, now))
		}
	}
	// A handshake (which sets the session and the metrics) runs under
	// inMu and starts only before the end: after this none runs.
	h.inMu.Lock()
	//lint:ignore SA2001 an empty critical section: a barrier for the handshake
	h.inMu.Unlock()
	s.end(c, ending{transport: h.transportName(), registered: true, err: h.endErr})
}

// checkHTTP applies the timeouts of runHTTP and returns when to check again.
func (s *Server) checkHTTP(c *conn, now time.Time) time.Duration {
	h := c.hs
	if wait := s.cfg.HandshakeTimeout - now.Sub(h.opened); !h.ready.Load() && !c.isClosing() && wait > 0 {
		return min(wait, s.cfg.ClientTimeout)
	}
	if !h.ready.Load() || c.isClosing() {
		// No handshake in time, or a close whose final frames nobody
		// fetched within a handshake timeout or a client timeout.
		h.end()
		return time.Hour
	}
	h.pollMu.Lock()
	polling := h.poll != nil
	h.pollMu.Unlock()
	idle := now.Sub(time.Unix(0, h.lastIn.Load()))
	switch {
	case h.kind == httLongPoll && polling, h.streamCut.Load():
		return s.cfg.ClientTimeout
	case idle < s.cfg.ClientTimeout:
		return s.cfg.ClientTimeout - idle
	case h.kind == httLongPoll && h.pollCut.Load():
		// Its last poll was cut off and neither a poll nor a DELETE came:
		// the client is gone without a close (docs/diagnostics.md, "Why a
		// connection ended").
		h.endWith(errConnectionLost)
		return time.Hour
	case h.kind == httLongPoll:
		// The client stopped polling: nobody would fetch a Close message.
		c.close(ReasonPingTimeout)
		h.end()
		return time.Hour
	}
	c.closeWithMessage(ReasonPingTimeout, false)
	return s.cfg.ClientTimeout
}

// noCache marks a transport response as not cacheable.
func noCache(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-cache, no-store")
	hd.Set("Pragma", "no-cache")
	hd.Set("Expires", "0")
}
