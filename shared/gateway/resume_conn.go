package gateway

import (
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
)

// keepLocked records frame, a message to the client, in c's stateful
// buffer; c.mu is held. It reports false when the frame is refused: the
// connection is ending, or the buffer is full (the connection is then
// closed: a client that does not acknowledge cannot be given more).
func (c *conn) keepLocked(frame []byte) bool {
	r := c.sr
	if r.ending {
		return false
	}
	if !r.push(frame, c.srv.cfg.StatefulBufferBytes) {
		c.overflowLocked()
		return false
	}
	c.srv.srBytes.Add(int64(len(frame)))
	return true
}

// overflowLocked ends a stateful connection whose buffer of
// unacknowledged frames is full; c.mu is held.
func (c *conn) overflowLocked() {
	r := c.sr
	c.srv.log.Warn("closing stateful connection: reconnect buffer full", "hubName", c.hub, "connectionId", c.id, "userId", c.user,
		"buffered_bytes", r.bytes, "buffered_messages", len(r.unacked), "detached", r.detached,
		"limit", c.srv.cfg.StatefulBufferBytes)
	c.srv.statefulEvent(c, eventBufferFull, len(r.unacked))
	if r.detached {
		c.endDetachedLocked(ReasonReconnectBufferFull)
		return
	}
	c.closeLocked(ReasonReconnectBufferFull, true, closeMessageFrame(c.proto, ReasonReconnectBufferFull, false), normalCloseFrame)
}

// endDetachedLocked ends a detached connection for good, from a goroutine
// of its own (the end calls the bus); c.mu is held. reason is the close
// reason, "" when the reconnect window ran out.
func (c *conn) endDetachedLocked(reason string) {
	r := c.sr
	if r.ending {
		return
	}
	r.ending = true
	if c.closeReason == "" {
		c.closeReason = reason
	}
	go c.srv.endDetached(c) // owned by Shutdown's count, which end releases
}

// endingLocked marks c as ending for good, frees its buffer and wakes a
// reconnect waiting for it to detach; c.mu is held. It returns the bytes
// freed.
func (c *conn) endingLocked() int {
	r := c.sr
	r.ending = true
	freed := r.bytes
	clear(r.unacked)
	r.unacked, r.bytes = nil, 0
	r.wakeLocked()
	return freed
}

// wakeLocked wakes a reconnect waiting for the socket to detach.
func (r *resumeState) wakeLocked() {
	if r.detachedCh != nil {
		close(r.detachedCh)
		r.detachedCh = nil
	}
}

// acceptCounted counts one message from the client of size bytes and
// reports whether to handle it. An Ack to the client is due: at once when
// half a buffer went unacknowledged, else from the keeper's next Ack
// round.
func (c *conn) acceptCounted(size int) bool {
	c.mu.Lock()
	r := c.sr
	if !r.received(size) {
		c.mu.Unlock()
		return false
	}
	var ack []byte
	switch {
	case r.recvBytes >= c.srv.cfg.StatefulBufferBytes/2:
		ack = c.ackFrameLocked()
	case !r.ackPending:
		r.ackPending = true
		c.srv.keeper.wantAck(c)
	}
	c.mu.Unlock()
	if ack != nil {
		c.enqueueControl(ack)
	}
	return true
}

// ackFrameLocked returns the Ack of everything handled from the client,
// or nil when it was acknowledged already; c.mu is held.
func (c *conn) ackFrameLocked() []byte {
	r := c.sr
	if r.lastRecv <= r.ackedRecv || r.detached || r.ending {
		return nil
	}
	r.ackedRecv, r.recvBytes = r.lastRecv, 0
	return sequenceFrame(c.proto, hubproto.TypeAck, r.lastRecv)
}

// sendAck sends the Ack the keeper's round found due.
func (c *conn) sendAck() {
	c.mu.Lock()
	c.sr.ackPending = false
	ack := c.ackFrameLocked()
	c.mu.Unlock()
	if ack != nil {
		c.enqueueControl(ack)
	}
}

// clientAck applies the client's Ack of sequence id seq.
func (c *conn) clientAck(seq int64) {
	c.mu.Lock()
	freed := c.sr.ack(seq)
	c.mu.Unlock()
	c.srv.srBytes.Add(-int64(freed))
}

// clientSequence applies the client's Sequence; false means it names a
// message beyond what was received. The Sequence a reconnect awaited
// counts the reconnect's outcome: resumed, or sequence_error. Messages the
// client will send again that were handled before are skipped, so the
// Ack they need is scheduled here.
func (c *conn) clientSequence(seq int64) bool {
	c.mu.Lock()
	r := c.sr
	awaited := r.awaitSequence
	ok := r.sequence(seq)
	if ok && r.lastRecv > r.ackedRecv && !r.ackPending {
		r.ackPending = true
		c.srv.keeper.wantAck(c)
	}
	c.mu.Unlock()
	switch {
	case !awaited:
	case ok:
		c.srv.countReconnect(ReconnectResumed)
	default:
		c.srv.countReconnect(ReconnectSequence)
	}
	return ok
}

// windowCheck is the keeper's check of a stateful connection that is not
// open: a detached one whose window ran out is ended; handled reports
// that the keeper is done with c, keep that it checks it again after
// next.
func (c *conn) windowCheck(now time.Time) (next time.Duration, keep, handled bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.sr
	switch {
	case r.ending:
		return 0, false, true
	case r.detached:
		if left := r.deadline.Sub(now); left > 0 {
			return left, true, true
		}
		c.endDetachedLocked("")
		return 0, false, true
	case c.state().closing() && c.closeReason == "":
		// The socket failed; its reader has yet to detach it.
		return c.srv.keeper.tick, true, true
	}
	return 0, false, false
}
