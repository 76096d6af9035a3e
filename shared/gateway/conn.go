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
// the index lock; the queue fields by mu.
//
// Writing: while nothing is queued and no writer runs, a frame is queued
// and the connection handed to its flush worker (flush.go), which writes
// everything queued by then with one non-blocking write; an idle
// connection costs no goroutine. When the socket would block (or the
// connection has no raw socket, e.g. TLS; or the Server is not started),
// a writer goroutine drains the queue with blocking, vectored writes, then
// exits once the queue is empty. One owner (flush worker or writer) writes
// at a time, counted in writers; the reader waits for it when the
// connection ends.
type conn struct {
	id, hub, user string
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
	metrics ConnectionMetrics // set once registered; nil before

	lastWrite atomic.Int64 // unix nanoseconds of the last write (keep-alive)
	expires   int64        // unix nanoseconds its authentication expires (asrs.s.coae); 0: never. Set before the keeper sees c
	abort     atomic.Bool  // closing as a slow consumer: writes get abortGrace at most

	mu     sync.Mutex
	queue  [][]byte // frames waiting for the writer
	queued int      // bytes in queue
	// writing is set while a writer goroutine owns the socket's write side,
	// and while the connection is being set up (nothing may be written
	// before it is registered).
	writing bool
	// closing is set once the connection is being closed: nothing more is
	// queued; the final frames are written after the queue (or instead of
	// it, with dropQueue) and writing stops for good.
	closing     bool
	dropQueue   bool
	headPartial bool // queue[0] is the rest of a frame already partly written
	final       [][]byte
	closeReason string
	writers     sync.WaitGroup

	deadline time.Time // write deadline set on nc; used by the writer only
	// readCap, once the connection is closing, is the latest read deadline
	// it may have (unix nanoseconds; 0: none), a grace for the client's
	// close reply: the reader's next deadline never goes past it. Atomic,
	// so that the reader's renewal on every frame takes no lock.
	readCap atomic.Int64
}

// abortGrace bounds the writes to a connection being closed as a slow
// consumer: its Close frames get this long, not a whole WriteTimeout.
const abortGrace = time.Second

func newConn(srv *Server, nc net.Conn, hub, id, user string) *conn {
	c := &conn{id: id, hub: hub, user: user, nc: nc, srv: srv, writing: true, kslot: -1, shard: srv.flush.shardFor()}
	if sc, ok := nc.(syscall.Conn); ok && directWriteSupported {
		if raw, err := sc.SyscallConn(); err == nil {
			c.raw = raw
		}
	}
	c.lastWrite.Store(time.Now().UnixNano())
	return c
}

// resume ends the set-up pause: what was queued meanwhile gets written.
func (c *conn) resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writing = false
	if len(c.queue) > 0 || c.closing {
		c.startWriterLocked()
	}
}

func (c *conn) startWriterLocked() {
	c.writing = true
	if c.hs != nil {
		c.hs.wake() // the transport's request goroutine writes
		return
	}
	c.writers.Add(1)
	go c.writeLoop()
}

// enqueue writes or queues frame; it never blocks. A connection whose queue
// is full is closed as a slow consumer. It reports whether the frame was
// accepted.
func (c *conn) enqueue(frame []byte) bool {
	return c.enqueueTo(frame, nil)
}

// enqueueTo is enqueue for a dispatch: a connection it makes ready for the
// flush workers is added to sched, which hands it over later; with a nil
// sched it is handed over at once.
func (c *conn) enqueueTo(frame []byte, sched *schedBatch) bool {
	if c.hs != nil && !c.hs.ready.Load() {
		return false // an HTTP transport connection before its handshake
	}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return false
	}
	if !c.writing && c.raw != nil && c.srv.flush.running.Load() {
		c.queue = append(c.queue, frame)
		c.queued += len(frame)
		c.writing = true
		c.writers.Add(1) // released by the flush worker
		c.mu.Unlock()
		if sched != nil {
			sched.add(c)
		} else {
			c.srv.flush.push(c.shard, c)
		}
		return true
	}
	defer c.mu.Unlock()
	if !c.writing && c.raw != nil {
		n, err := directWrite(c.raw, frame)
		if n == len(frame) && err == nil {
			c.lastWrite.Store(time.Now().UnixNano())
			return true
		}
		if err != nil && !errors.Is(err, errWouldBlock) {
			c.brokenLocked()
			return false
		}
		if n > 0 {
			// The rest of a started frame must follow, whatever the queue bounds.
			c.queue, c.queued, c.headPartial = append(c.queue, frame[n:]), len(frame)-n, true
			c.startWriterLocked()
			return true
		}
	}
	if len(c.queue) >= c.srv.cfg.QueueMessages || c.queued+len(frame) > c.srv.cfg.QueueBytes {
		frames, queued := len(c.queue), c.queued
		c.dropQueue = true
		c.closeLocked(ReasonSlowClient, closeMessageFrame(c.proto, ReasonSlowClient, false), normalCloseFrame)
		// A write in flight gets one more second, not a whole WriteTimeout.
		c.abort.Store(true)
		if c.nc != nil {
			_ = c.nc.SetWriteDeadline(time.Now().Add(abortGrace))
		}
		c.srv.cfg.Metrics.QueueOverflow()
		c.srv.log.Warn("closing slow client", "hub", c.hub, "conn", c.id, "user", c.user,
			"queued_frames", frames, "queued_bytes", queued)
		return false
	}
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
	if !c.writing {
		c.startWriterLocked()
	}
	return true
}

// reply writes an upstream's answer: one hub message record in the
// connection's protocol.
func (c *conn) reply(record []byte) { c.enqueue(c.proto.frame(record)) }

// brokenLocked stops all writing after a failed write and makes the reader
// return, which ends the connection.
func (c *conn) brokenLocked() {
	c.closing, c.dropQueue, c.final = true, true, nil
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
// the first call has an effect.
func (c *conn) close(reason string, frames ...[]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(reason, frames...)
}

func (c *conn) closeLocked(reason string, frames ...[]byte) {
	if c.closing {
		return
	}
	c.closing = true
	c.closeReason = reason
	c.final = frames
	if !c.writing {
		c.startWriterLocked()
	} else if c.hs != nil {
		c.hs.closeLocked()
	}
}

// closeWithMessage closes with a hub protocol Close message and a normal
// WebSocket close.
func (c *conn) closeWithMessage(reason string, allowReconnect bool) {
	c.close(reason, closeMessageFrame(c.proto, reason, allowReconnect), normalCloseFrame)
}

// isClosing reports whether the connection is being closed.
func (c *conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// reason reports why the connection was closed ("" while open).
func (c *conn) reason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeReason
}

// writeLoop drains the queue with one vectored write per batch and returns
// when it is empty. On close it writes the final frames, then lets the
// reader return after a short grace for the client's close reply.
func (c *conn) writeLoop() {
	defer c.writers.Done()
	var spare [][]byte
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue, c.queued = spare[:0], 0
		if c.dropQueue {
			keep := 0
			if c.headPartial && len(batch) > 0 {
				keep = 1 // a frame cut in half would corrupt the stream
			}
			clear(batch[keep:])
			batch = batch[:keep]
		}
		c.headPartial = false
		if len(batch) == 0 {
			if !c.closing {
				// Direct writes check the socket's write deadline too:
				// leave none behind.
				if !c.deadline.IsZero() {
					c.deadline = time.Time{}
					_ = c.nc.SetWriteDeadline(c.deadline)
				}
				c.writing = false
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
			c.mu.Unlock()
			return // writing stays set: nothing is written after the close
		}
		c.mu.Unlock()

		now := time.Now()
		err := c.write(batch, now, c.srv.cfg.WriteTimeout)
		clear(batch)
		spare = batch
		if err != nil {
			c.mu.Lock()
			c.brokenLocked()
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
	if c.abort.Load() {
		// Checked after setting the deadline, so a slow-client close that
		// raced with it still bounds this write.
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

// stopWriter stops writing and waits for a running writer. A close already
// under way still writes its final frames (bounded by a 1s deadline);
// otherwise the client is gone and nothing more is written.
func (c *conn) stopWriter() {
	c.mu.Lock()
	if !c.closing {
		c.closing, c.dropQueue, c.final = true, true, nil
	}
	c.mu.Unlock()
	c.writers.Wait()
}
