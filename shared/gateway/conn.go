package gateway

import (
	"net"
	"sync"
	"time"
)

// conn is one client connection. The index fields (groups) are guarded by
// the index lock; the queue fields by mu.
type conn struct {
	id, hub, user string
	nc            net.Conn
	srv           *Server

	groups map[string]struct{} // guarded by index.mu; nil when none

	mu     sync.Mutex
	queue  [][]byte // frames waiting for the writer
	queued int      // bytes in queue
	// closing is set once the connection is being closed: nothing more is
	// queued, final frames (if any) are written after the queue and the
	// writer stops.
	closing     bool
	dropQueue   bool // closing as a slow consumer: skip queued frames
	final       [][]byte
	closeReason string

	wake chan struct{} // capacity 1: the writer has work
	done chan struct{} // closed when the writer has returned
}

func newConn(srv *Server, nc net.Conn, hub, id, user string) *conn {
	return &conn{
		id: id, hub: hub, user: user, nc: nc, srv: srv,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// enqueue queues frame for the writer; it never blocks. A connection whose
// queue is full is closed as a slow consumer. It reports whether the frame
// was queued.
func (c *conn) enqueue(frame []byte) bool {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return false
	}
	if len(c.queue) >= c.srv.cfg.QueueMessages || c.queued+len(frame) > c.srv.cfg.QueueBytes {
		c.closing, c.dropQueue = true, true
		c.closeReason = ReasonSlowClient
		c.final = [][]byte{closeMessageFrame(ReasonSlowClient, false), normalCloseFrame}
		frames, queued := len(c.queue), c.queued
		c.mu.Unlock()
		c.signal()
		c.srv.log.Warn("closing slow client", "hub", c.hub, "conn", c.id, "user", c.user,
			"queued_frames", frames, "queued_bytes", queued)
		return false
	}
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
	c.mu.Unlock()
	c.signal()
	return true
}

// close asks the writer to flush what is queued, then write frames and stop.
// Only the first call has an effect.
func (c *conn) close(reason string, frames ...[]byte) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.closeReason = reason
	c.final = frames
	c.mu.Unlock()
	c.signal()
}

// closeWithMessage closes with a hub protocol Close message and a normal
// WebSocket close.
func (c *conn) closeWithMessage(reason string, allowReconnect bool) {
	c.close(reason, closeMessageFrame(reason, allowReconnect), normalCloseFrame)
}

// reason reports why the connection was closed ("" while open).
func (c *conn) reason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeReason
}

// writeLoop is the connection's only writer. It drains the queue with one
// vectored write per batch, pings after KeepAliveInterval without sending,
// and on close writes the final frames, then makes the reader return by
// expiring its deadline after a short grace for the client's close reply.
func (c *conn) writeLoop() {
	defer close(c.done)
	cfg := &c.srv.cfg
	keepAlive := time.NewTimer(cfg.KeepAliveInterval)
	defer keepAlive.Stop()
	var spare [][]byte
	for {
		select {
		case <-c.wake:
		case <-keepAlive.C:
			c.enqueue(pingFrame)
		}
		c.mu.Lock()
		batch, closing, drop, final := c.queue, c.closing, c.dropQueue, c.final
		c.queue, c.queued = spare[:0], 0
		c.mu.Unlock()

		var err error
		if len(batch) > 0 && !drop {
			err = c.write(batch, cfg.WriteTimeout)
		}
		clear(batch)
		spare = batch
		if err == nil && closing && len(final) > 0 {
			err = c.write(final, time.Second)
		}
		if err != nil || closing {
			grace := time.Second
			if err != nil {
				grace = 0
			}
			_ = c.nc.SetReadDeadline(time.Now().Add(grace))
			return
		}
		keepAlive.Reset(cfg.KeepAliveInterval)
	}
}

func (c *conn) write(frames [][]byte, timeout time.Duration) error {
	if err := c.nc.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	bufs := net.Buffers(frames)
	_, err := bufs.WriteTo(c.nc)
	return err
}

// stopWriter makes the writer return and waits for it. A close already
// under way still writes its final frames (bounded by a 1s deadline);
// otherwise the client is gone and nothing more is written.
func (c *conn) stopWriter() {
	c.mu.Lock()
	if !c.closing {
		c.closing, c.dropQueue = true, true
		c.final = nil
	}
	c.mu.Unlock()
	c.signal()
	<-c.done
}
