package gateway

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/heraldrt/herald/shared/upstream"
)

// conn is one client connection. The index fields (groups) are guarded by
// the index lock; the queue and the write state by mu.
//
// Writing: while nothing is queued and no writer runs (Idle), a frame is
// queued and the connection handed to its flush worker (flush.go), which
// writes everything queued by then with one non-blocking write; an idle
// connection costs no goroutine. When the socket would block (or the
// connection has no raw socket, e.g. TLS; or the Server is not started),
// a writer goroutine drains the queue with blocking, vectored writes, then
// exits once the queue is empty. One owner (flush worker or writer) writes
// at a time; which one, and how far a close has got, is the connection's
// writeState (writestate.go, with its transition table).
type conn struct {
	id, hub, user string
	addr          string // the client's IP address, for connectivity records
	proto         proto
	diag          bool // a diagnostic client (asrs.s.dc)
	nc            net.Conn
	raw           syscall.RawConn // nil: always use the writer goroutine
	srv           *Server
	hs            *httpConn // nil for WebSockets: the SSE or Long Polling side

	groups map[string]struct{} // guarded by index.mu; nil when none

	kslot, kpos int // place in the keeper's wheel, guarded by keeper.mu; kslot -1 when out of it
	shard       int // the flush worker that writes it

	session *upstream.Session // nil without an upstream; set before reading
	// sr is the stateful reconnect state (resume.go), guarded by mu; nil
	// for a connection without it. Set by the handshake.
	sr      *resumeState
	metrics ConnectionMetrics // set once registered; nil before

	lastWrite atomic.Int64 // unix nanoseconds of the last write (keep-alive)
	expires   int64        // unix nanoseconds its authentication expires (asrs.s.coae); 0: never. Set before the keeper sees c

	mu sync.Mutex
	// ws is the writeState; changed under mu only (setStateLocked), read
	// without it by a blocking write looking for Aborting.
	ws       atomic.Uint32
	closedCh chan struct{} // closed on entering Closed; made by waitClosed
	queue    [][]byte      // frames waiting for the owner
	queued   int           // bytes in queue
	// headPartial: queue[0] is the rest of a frame already partly
	// written; it is written even when the queue is dropped.
	headPartial bool
	final       [][]byte // the frames a close writes last
	closeReason string

	deadline time.Time // write deadline set on nc; used by the writer only
	// readCap, once the connection is closing, is the latest read deadline
	// it may have (unix nanoseconds; 0: none), a grace for the client's
	// close reply: the reader's next deadline never goes past it. Atomic,
	// so that the reader's renewal on every frame takes no lock.
	readCap atomic.Int64
}

// abortGrace bounds the writes to a connection being aborted (a slow
// consumer, or a client that is gone): its Close frames get this long,
// not a whole WriteTimeout.
const abortGrace = time.Second

// newConn returns a connection in the Setup state: frames queue, and
// nothing is written until resume.
func newConn(srv *Server, nc net.Conn, hub, id, user string) *conn {
	c := &conn{id: id, hub: hub, user: user, nc: nc, raw: rawConn(nc), srv: srv, kslot: -1, shard: srv.flush.shardFor()}
	c.lastWrite.Store(time.Now().UnixNano())
	return c
}

// rawConn returns nc's raw socket for direct writes, or nil: the writer
// goroutine then writes.
func rawConn(nc net.Conn) syscall.RawConn {
	if sc, ok := nc.(syscall.Conn); ok && directWriteSupported {
		if raw, err := sc.SyscallConn(); err == nil {
			return raw
		}
	}
	return nil
}

// resume ends the set-up pause: what was queued meanwhile gets written,
// and a close made meanwhile goes ahead.
func (c *conn) resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state() {
	case wsSetup:
		if len(c.queue) == 0 {
			c.setStateLocked(wsIdle)
			return
		}
		c.startWriterLocked(wsWriting)
	case wsSetupClosing:
		c.startWriterLocked(wsClosing)
	case wsSetupAborting:
		c.startWriterLocked(wsAborting)
	}
}

// startWriterLocked moves c to state to (Writing, Closing or Aborting)
// with its writer as the owner, and starts the writer.
func (c *conn) startWriterLocked(to writeState) {
	c.setStateLocked(to)
	if c.hs != nil {
		c.hs.wake() // the transport's request goroutine writes
		return
	}
	go c.writeLoop()
}

// enqueue writes or queues frame, one hub message (Invocation,
// StreamItem, Completion: counted and kept for a stateful reconnect); it
// never blocks. A connection whose queue is full is closed as a slow
// consumer. It reports whether the frame was accepted.
func (c *conn) enqueue(frame []byte) bool {
	return c.enqueueFrame(frame, nil, true)
}

// enqueueControl is enqueue for a frame that is not a counted hub
// message: a handshake response, Ping, Ack, Sequence or WebSocket control
// frame, never kept for a reconnect.
func (c *conn) enqueueControl(frame []byte) bool {
	return c.enqueueFrame(frame, nil, false)
}

// enqueueTo is enqueue for a dispatch: a connection it makes ready for the
// flush workers is added to sched, which hands it over later; with a nil
// sched it is handed over at once.
func (c *conn) enqueueTo(frame []byte, sched *schedBatch) bool {
	return c.enqueueFrame(frame, sched, true)
}

func (c *conn) enqueueFrame(frame []byte, sched *schedBatch, counted bool) bool {
	if c.hs != nil && !c.hs.ready.Load() {
		return false // an HTTP transport connection before its handshake
	}
	c.mu.Lock()
	st := c.state()
	if c.sr != nil && counted && c.closeReason == "" {
		// Kept until acknowledged; while the socket is gone (detached, or
		// failed and not yet detached) only kept, for the reconnect.
		kept := c.keepLocked(frame)
		if !kept || st.closing() {
			c.mu.Unlock()
			return kept
		}
	}
	if st.closing() {
		c.mu.Unlock()
		return false
	}
	idle := st == wsIdle
	if idle && c.raw != nil && c.srv.flush.running.Load() {
		c.queue = append(c.queue, frame)
		c.queued += len(frame)
		c.setStateLocked(wsFlushing) // until the flush worker lets go
		c.mu.Unlock()
		if sched != nil {
			sched.add(c)
		} else {
			c.srv.flush.push(c.shard, c)
		}
		return true
	}
	defer c.mu.Unlock()
	if idle && c.raw != nil {
		n, err := directWrite(c.raw, frame)
		if n == len(frame) && err == nil {
			c.lastWrite.Store(time.Now().UnixNano())
			return true
		}
		if err != nil && !errors.Is(err, errWouldBlock) {
			c.failLocked()
			return false
		}
		if n > 0 {
			// The rest of a started frame must follow, whatever the queue bounds.
			c.queue, c.queued, c.headPartial = append(c.queue, frame[n:]), len(frame)-n, true
			c.startWriterLocked(wsWriting)
			return true
		}
	}
	frames, queued := len(c.queue), c.queued
	if c.sr != nil { // less a reconnect's replay (resume_ws.go)
		frames, queued = frames-c.sr.replayFrames, queued-c.sr.replayBytes
	}
	if frames >= c.srv.cfg.QueueMessages || queued+len(frame) > c.srv.cfg.QueueBytes {
		c.closeLocked(ReasonSlowClient, true, closeMessageFrame(c.proto, ReasonSlowClient, false), normalCloseFrame)
		c.srv.cfg.Metrics.QueueOverflow()
		c.srv.log.Warn("closing slow client", "hubName", c.hub, "connectionId", c.id, "userId", c.user,
			"queued_frames", frames, "queued_bytes", queued)
		return false
	}
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
	if idle {
		c.startWriterLocked(wsWriting)
	}
	return true
}

// reply writes an upstream's answer: one hub message record in the
// connection's protocol.
func (c *conn) reply(record []byte) { c.enqueue(c.proto.frame(record)) }

// failLocked stops all writing after a failed write (Closed) and makes the
// reader return, which ends the connection. The caller owned the write
// side, or found it Idle.
func (c *conn) failLocked() {
	clear(c.queue)
	c.queue, c.queued, c.headPartial, c.final = nil, 0, false, nil
	c.setStateLocked(wsClosed)
	c.capReadLocked(time.Now())
}

// capReadLocked ends reading at d at the latest. The cap is stored before
// the deadline is set, so a renewal racing with it (extendRead) either
// sees the cap or is overridden by this call.
func (c *conn) capReadLocked(d time.Time) {
	c.readCap.Store(d.UnixNano())
	_ = c.nc.SetReadDeadline(d)
}

// extendRead sets the read deadline to d, or to the cap of a close under
// way when that is sooner. It takes no lock: a cap stored while it runs is
// seen by its second look and set again.
func (c *conn) extendRead(d time.Time) {
	capped := func() bool {
		if cp := c.readCap.Load(); cp != 0 && cp < d.UnixNano() {
			d = time.Unix(0, cp)
			return true
		}
		return false
	}
	capped()
	_ = c.nc.SetReadDeadline(d)
	if capped() {
		_ = c.nc.SetReadDeadline(d)
	}
}

// close flushes what is queued, then writes frames and stops writing. Only
// the first close has an effect.
func (c *conn) close(reason string, frames ...[]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(reason, false, frames...)
}

// closeLocked makes the close transition: Closing, or with abort Aborting
// (the queue is dropped and writes get abortGrace); frames are written
// last. It reports false when the connection was closing already.
func (c *conn) closeLocked(reason string, abort bool, frames ...[]byte) bool {
	st := c.state()
	if c.sr != nil && !c.sr.ending {
		switch {
		case c.sr.detached:
			c.endDetachedLocked(reason) // no socket to write the close to
			return false
		case st.closing() && c.closeReason == "":
			// The socket failed and is being detached (Aborting while
			// stop lets go of it, then Closed; no close ever left a
			// reason unset): the close ends the connection there
			// instead (Server.detach).
			c.closeReason = reason
			return false
		}
	}
	if st.closing() {
		return false
	}
	c.closeReason, c.final = reason, frames
	to, setupTo := wsClosing, wsSetupClosing
	if abort {
		to, setupTo = wsAborting, wsSetupAborting
	}
	switch st {
	case wsSetup:
		c.setStateLocked(setupTo) // resume starts the writer
		if c.hs != nil {
			c.hs.closeLocked()
		}
	case wsIdle:
		c.startWriterLocked(to)
	default: // Flushing, Writing: the owner finds the close
		c.setStateLocked(to)
		if c.hs != nil {
			c.hs.closeLocked()
		}
	}
	if abort && c.nc != nil {
		// A write in flight gets abortGrace more, not a whole WriteTimeout.
		_ = c.nc.SetWriteDeadline(time.Now().Add(abortGrace))
	}
	return true
}

// closeWithMessage closes with a hub protocol Close message and a normal
// WebSocket close.
func (c *conn) closeWithMessage(reason string, allowReconnect bool) {
	c.close(reason, closeMessageFrame(c.proto, reason, allowReconnect), normalCloseFrame)
}

// isClosing reports whether the connection is being closed.
func (c *conn) isClosing() bool { return c.state().closing() }

// reason reports why the connection was closed ("" while open).
func (c *conn) reason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeReason
}

// writeLoop is the writer goroutine: it owns the write side from its start
// (Writing, Closing or Aborting) and drains the queue with one vectored
// write per batch. Writing, it returns (Idle) once the queue is empty;
// closing, it then writes the final frames, lets the reader return after a
// short grace for the client's close reply and leaves the connection Closed.
func (c *conn) writeLoop() {
	var spare [][]byte
	for {
		c.mu.Lock()
		st := c.state()
		batch := c.queue
		c.queue, c.queued = spare[:0], 0
		if c.sr != nil {
			c.sr.replayFrames, c.sr.replayBytes = 0, 0
		}
		if st == wsAborting {
			keep := 0
			if c.headPartial && len(batch) > 0 {
				keep = 1 // a frame cut in half would corrupt the stream
			}
			clear(batch[keep:])
			batch = batch[:keep]
		}
		c.headPartial = false
		if len(batch) == 0 {
			if st == wsWriting {
				// Direct writes check the socket's write deadline too:
				// leave none behind.
				if !c.deadline.IsZero() {
					c.deadline = time.Time{}
					_ = c.nc.SetWriteDeadline(c.deadline)
				}
				c.setStateLocked(wsIdle)
				c.mu.Unlock()
				return
			}
			final := c.final
			c.final = nil
			c.mu.Unlock()
			grace := time.Second
			if len(final) > 0 && c.write(final, time.Now(), time.Second) != nil {
				grace = 0
			}
			c.mu.Lock()
			c.capReadLocked(time.Now().Add(grace))
			c.setStateLocked(wsClosed) // nothing is written after the close
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()

		now := time.Now()
		err := c.write(batch, now, c.srv.cfg.WriteTimeout)
		clear(batch)
		spare = batch
		if err != nil {
			c.mu.Lock()
			c.failLocked()
			c.mu.Unlock()
			return
		}
		c.lastWrite.Store(now.UnixNano())
	}
}

// write writes frames with one vectored write, under a deadline of at most
// timeout from now; the deadline is moved only when half of it is used up.
func (c *conn) write(frames [][]byte, now time.Time, timeout time.Duration) error {
	if d := c.deadline.Sub(now); d < timeout/2 || d > timeout {
		c.deadline = now.Add(timeout)
		if err := c.nc.SetWriteDeadline(c.deadline); err != nil {
			return err
		}
	}
	if c.state() == wsAborting {
		// Checked after setting the deadline, so an abort that raced with
		// it still bounds this write.
		c.deadline = time.Time{}
		if err := c.nc.SetWriteDeadline(now.Add(min(timeout, abortGrace))); err != nil {
			return err
		}
	}
	bufs := net.Buffers(frames)
	_, err := bufs.WriteTo(c.nc)
	return err
}

// cut ends the connection at once, without writing anything more
// (shutdown deadline).
func (c *conn) cut() {
	if c.hs != nil {
		c.hs.end()
		return
	}
	_ = c.nc.Close()
}

// stop stops writing and returns once the connection is Closed (the stop
// transition). A close already under way still writes its final frames
// (bounded by a 1s deadline); otherwise the client is gone and nothing
// more is written. peerGone reports a reader that ended because the client
// is gone (end of stream, read deadline, socket closed): the queue is
// dropped, a write in flight is aborted at once and later ones get
// abortGrace. An HTTP transport's write side is the request woken to
// write, which nobody waits for: it becomes Closed at once.
func (c *conn) stop(peerGone bool) {
	c.mu.Lock()
	switch st := c.state(); {
	case c.hs != nil, st.setup(), st == wsIdle:
		c.final = nil
		c.setStateLocked(wsClosed)
	case st == wsFlushing, st == wsWriting:
		c.final = nil
		c.setStateLocked(wsAborting)
	case st == wsClosing && peerGone:
		c.setStateLocked(wsAborting)
	}
	c.mu.Unlock()
	if peerGone && c.nc != nil {
		// After the state: a writer that sets a fresh deadline sees
		// Aborting and caps it.
		_ = c.nc.SetWriteDeadline(time.Now())
	}
	c.waitClosed()
}
