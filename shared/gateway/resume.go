package gateway

import (
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
)

// Stateful reconnect (docs/compat/stateful-reconnect.md): a WebSocket
// client that negotiated it (useStatefulReconnect) and handshook protocol
// version 2 numbers the hub messages each side sends: Invocation,
// StreamItem, Completion, StreamInvocation and CancelInvocation, from 1,
// each direction on its own. Each side acknowledges (Ack) the last id it
// received and keeps what it sent until it is acknowledged. When the
// socket drops without a close, the connection stays open for
// StatefulReconnectWindow, buffering what is sent to it; the client then
// opens a new WebSocket with the same connection token and no handshake,
// each side sends a Sequence with the id of the first message it will
// send again, then sends again everything not acknowledged. Duplicates are
// skipped by id.

// resumeState is everything a stateful connection keeps so that a new
// socket can carry on where a dropped one stopped; connection id, hub,
// user and protocol are the conn's, its groups the index's. It is guarded
// by conn.mu. Snapshot and restoreResumable move it, whole, between
// nodes.
type resumeState struct {
	// unacked are the message frames queued to the client that it has not
	// acknowledged, oldest first: the very frames of the fan-out, shared
	// and never modified. unacked[i] has sequence id firstSeq+i, so the
	// next frame gets firstSeq+len(unacked) (ResumeSnapshot.NextSequenceID).
	unacked  [][]byte
	firstSeq int64
	bytes    int // in unacked

	// recvSeq is the sequence id of the last message counted from the
	// client; a Sequence from the client resets it. lastRecv is the id of
	// the last message handled: one at or below it was handled before
	// (the client sends it again after a reconnect) and is skipped.
	recvSeq, lastRecv int64
	// ackedRecv is the id the last Ack to the client carried; recvBytes
	// are the bytes of client messages handled since.
	ackedRecv int64
	recvBytes int
	// ackPending: the connection is on the keeper's list of Acks to send.
	ackPending bool
	// awaitSequence: a socket was attached again; the client's Sequence
	// comes before any message.
	awaitSequence bool

	// detached: the socket is gone and the reconnect window runs until
	// deadline. ending: the connection is being ended for good (end
	// runs, or is about to); it is never attached again.
	detached bool
	ending   bool
	deadline time.Time
	// dropErr is the read error that detached it, for the end; transport
	// the transport's name.
	dropErr error
	// detachedCh, when made, is closed when the connection detaches: a
	// reconnect that takes over from a socket still attached waits on it.
	detachedCh chan struct{}
	// reconnecting: a reconnect is taking the connection over; another
	// is refused meanwhile.
	reconnecting bool
	// replayFrames and replayBytes are what attach queued to send again,
	// at the queue's head until the writer takes it: bounded by the
	// buffer already, it does not count against the queue limits.
	replayFrames, replayBytes int
}

// newResumeState is the state of a connection whose handshake granted
// stateful reconnect: both directions start at sequence id 1.
func newResumeState() *resumeState { return &resumeState{firstSeq: 1} }

// push records a message frame queued to the client; it reports false,
// recording nothing, when that would take the buffer over limit bytes.
func (r *resumeState) push(frame []byte, limit int) bool {
	if r.bytes+len(frame) > limit {
		return false
	}
	r.unacked = append(r.unacked, frame)
	r.bytes += len(frame)
	return true
}

// ack drops the frames up to sequence id seq, which the client
// acknowledged, and returns the bytes freed. An id beyond what was sent
// acknowledges everything sent; one below firstSeq (any int64 the client
// sends: compared before subtracting, which could wrap) acknowledges
// nothing new.
func (r *resumeState) ack(seq int64) int {
	if seq < r.firstSeq {
		return 0
	}
	n := min(seq-r.firstSeq+1, int64(len(r.unacked)))
	freed := 0
	for _, f := range r.unacked[:n] {
		freed += len(f)
	}
	r.unacked = dropHead(r.unacked, int(n))
	r.firstSeq += n
	r.bytes -= freed
	return freed
}

// received counts one message from the client of size bytes and reports
// whether to handle it: false while a Sequence is awaited and for a
// duplicate.
func (r *resumeState) received(size int) bool {
	if r.awaitSequence {
		return false
	}
	r.recvSeq++
	if r.recvSeq <= r.lastRecv {
		return false
	}
	r.lastRecv = r.recvSeq
	r.recvBytes += size
	return true
}

// sequence applies the client's Sequence: the next message it sends has
// id seq. It reports false for an id beyond the next one expected (the
// client lost messages the server never saw: the connection cannot go
// on).
func (r *resumeState) sequence(seq int64) bool {
	if seq < 1 || seq > r.lastRecv+1 {
		return false
	}
	r.awaitSequence = false
	r.recvSeq = seq - 1
	// The client still holds every message from seq on: an Ack of them
	// written to a socket that dropped may never have reached it, so
	// they are acknowledged again.
	r.ackedRecv = min(r.ackedRecv, r.recvSeq)
	return true
}

// ResumeSnapshot is the resumable state of one stateful connection,
// complete, so that another gateway node can restore it and take the
// client's reconnect: the connection's identity, the frames the client
// has not acknowledged (WebSocket frames as written: the client's protocol
// decides text or binary) with the sequence id of the first, and where the
// client's own numbering stands.
type ResumeSnapshot struct {
	ConnectionID string
	Hub          string
	User         string
	// Protocol is the hub protocol's name ("json", "messagepack").
	Protocol string
	// Groups are the groups the connection is in.
	Groups []string
	// Frames are the unacknowledged frames, oldest first; Frames[i] has
	// sequence id FirstSequenceID+i.
	Frames          [][]byte
	FirstSequenceID int64
	// LastReceivedSequenceID is the id of the last client message handled;
	// AckedSequenceID the last one acknowledged to the client.
	LastReceivedSequenceID int64
	AckedSequenceID        int64
	// Deadline is when the reconnect window ends; zero while a socket is
	// attached.
	Deadline time.Time
}

// NextSequenceID is the sequence id the next frame to the client gets.
func (s *ResumeSnapshot) NextSequenceID() int64 {
	return s.FirstSequenceID + int64(len(s.Frames))
}

// snapshot returns c's resumable state, or false for a connection without
// stateful reconnect. The frames are shared, not copied: they are never
// modified.
func (s *Server) snapshot(c *conn) (ResumeSnapshot, bool) {
	snap := ResumeSnapshot{ConnectionID: c.id, Hub: c.hub, User: c.user, Protocol: c.proto.String()}
	s.idx.mu.RLock()
	for g := range c.groups {
		snap.Groups = append(snap.Groups, g)
	}
	s.idx.mu.RUnlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.sr
	if r == nil {
		return ResumeSnapshot{}, false
	}
	snap.Frames = append([][]byte(nil), r.unacked...)
	snap.FirstSequenceID = r.firstSeq
	snap.LastReceivedSequenceID = r.lastRecv
	snap.AckedSequenceID = r.ackedRecv
	if r.detached {
		snap.Deadline = r.deadline
	}
	return snap, true
}

// restoreResumable returns the detached conn snap describes, not yet in
// the index: its groups are for the caller to join, its window ends at
// snap.Deadline (or a full window from now when zero). Frames over the
// buffer limit make it fail with false.
func (s *Server) restoreResumable(snap ResumeSnapshot) (*conn, bool) {
	c := &conn{id: snap.ConnectionID, hub: snap.Hub, user: snap.User, srv: s, kslot: -1, shard: s.flush.shardFor()}
	if snap.Protocol == hubproto.MessagePack.Name() {
		c.proto = protoMsgpack
	}
	r := newResumeState()
	r.firstSeq = snap.FirstSequenceID
	for _, f := range snap.Frames {
		if !r.push(f, s.cfg.StatefulBufferBytes) {
			return nil, false
		}
	}
	r.lastRecv, r.recvSeq, r.ackedRecv = snap.LastReceivedSequenceID, snap.LastReceivedSequenceID, snap.AckedSequenceID
	r.detached = true
	r.deadline = snap.Deadline
	if r.deadline.IsZero() {
		r.deadline = s.cfg.Now().Add(s.cfg.StatefulReconnectWindow)
	}
	c.sr = r
	c.ws.Store(uint32(wsClosed))
	c.lastWrite.Store(time.Now().UnixNano())
	s.srBytes.Add(int64(r.bytes)) // given back when it ends (or by its discarder)
	return c, true
}

// sequenceFrame encodes an Ack or a Sequence message for protocol p.
func sequenceFrame(p proto, t hubproto.MessageType, seq int64) []byte {
	b, _ := p.codec().Append(frameBuf(24), &hubproto.Message{Type: t, SequenceID: seq}) // valid by construction
	return finishFrame(b, p.opcode())
}
