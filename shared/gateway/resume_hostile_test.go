package gateway

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/testsupport"
)

// TestResumeStateHostileAck: an Ack of any int64 drops only frames that
// were sent and are at or below its id; none wraps around.
func TestResumeStateHostileAck(t *testing.T) {
	for _, tc := range []struct {
		name      string
		seq       int64
		wantFirst int64
		wantLeft  int
	}{
		{"min int64", math.MinInt64, 2, 3},
		{"min int64 plus one", math.MinInt64 + 1, 2, 3},
		{"negative", -1, 2, 3},
		{"zero", 0, 2, 3},
		{"acknowledged before", 1, 2, 3},
		{"next", 2, 3, 2},
		{"all", 4, 5, 0},
		{"beyond what was sent", 1 << 40, 5, 0},
		{"max int64", math.MaxInt64, 5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newResumeState()
			for range 4 {
				r.push([]byte("0123456789"), 1000)
			}
			r.ack(1)
			freed := r.ack(tc.seq)
			if r.firstSeq != tc.wantFirst || len(r.unacked) != tc.wantLeft || r.bytes != 10*tc.wantLeft || freed != 10*(3-tc.wantLeft) {
				t.Fatalf("after Ack %d: firstSeq %d, %d frames, %d bytes, freed %d; want firstSeq %d, %d frames",
					tc.seq, r.firstSeq, len(r.unacked), r.bytes, freed, tc.wantFirst, tc.wantLeft)
			}
		})
	}
}

// TestStatefulAckAfterResume: messages the client sends again after a
// reconnect, handled before, are acknowledged again on the new socket:
// the Ack written to the old one may never have arrived, and a client
// that waits for it (the JS client's send past its buffer limit) would
// wait for good.
func TestStatefulAckAfterResume(t *testing.T) {
	for _, codec := range []hubproto.Codec{hubproto.JSON, hubproto.MessagePack} {
		t.Run(codec.Name(), func(t *testing.T) {
			h := newHarness(t, nil)
			sc := h.connectStateful(codec, "chat", "olga")
			inv := &hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "a", Target: "echo", Arguments: args(codec, `["x"]`)}
			sc.sendMessage(inv)
			if m := sc.nextOf(); m.Type != hubproto.TypeCompletion || m.InvocationID != "a" {
				t.Fatalf("got %+v", m)
			}
			// The server's Ack of 1 was written; say the client lost it
			// with the socket.
			testsupport.EventuallyTrue(t, 5*time.Second, "the Ack", func() bool {
				m := sc.next()
				return m.Type == hubproto.TypeAck && m.SequenceID == 1
			})
			_ = sc.nc.Close()
			testsupport.EventuallyTrue(t, 5*time.Second, "the connection detached", func() bool { return h.isDetached("chat", sc.id) })
			c := h.redial(sc)
			c.sequence(hubproto.TypeSequence, 1)
			c.sendMessage(inv) // handled before: skipped, but acknowledged
			if m := c.next(); m.Type != hubproto.TypeSequence || m.SequenceID != 1 {
				t.Fatalf("got %+v, want Sequence 1", m)
			}
			if m := c.next(); m.Type != hubproto.TypeCompletion || m.InvocationID != "a" {
				t.Fatalf("got %+v, want the completion of a again", m)
			}
			if m := c.next(); m.Type != hubproto.TypeAck || m.SequenceID != 1 {
				t.Fatalf("got %+v, want Ack 1", m)
			}
		})
	}
}

// TestStatefulSequenceNoReconnect: a refused Sequence on a socket that
// never reconnected counts no reconnect (TestStatefulSequenceAhead: one
// that did counts one outcome).
func TestStatefulSequenceNoReconnect(t *testing.T) {
	m := &statefulCounts{}
	h := newHarness(t, func(c *Config) { c.Metrics = m })
	first := h.connectStateful(hubproto.JSON, "chat", "pat")
	first.sequence(hubproto.TypeSequence, 7)
	if msg := first.next(); msg.Type != hubproto.TypeClose || msg.Error != ReasonSequenceAhead {
		t.Fatalf("got %+v, want Close %q", msg, ReasonSequenceAhead)
	}
	testsupport.EventuallyTrue(t, 5*time.Second, "the connection ended", func() bool { return h.gw.Connections() == 0 })
	if outcomes, _, _ := m.read(); len(outcomes) != 0 {
		t.Fatalf("outcomes %v, want none", outcomes)
	}
}

// TestStatefulDetachedHoldsItsSlot: a detached connection still counts
// against the connection limits until its window ends, so clients that
// open stateful connections and drop them keep at most the limit's
// connections and buffers.
func TestStatefulDetachedHoldsItsSlot(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxAddressConnections = 1 })
	sc := h.connectStateful(hubproto.JSON, "chat", "rob")
	_ = sc.nc.Close()
	testsupport.EventuallyTrue(t, 5*time.Second, "the connection detached", func() bool { return h.isDetached("chat", sc.id) })
	if n := h.gw.Connections(); n != 1 {
		t.Fatalf("%d connections, want the detached one", n)
	}
	tok := h.clientToken("chat", "rob", nil)
	nr := h.negotiateOK("hub=chat&negotiateVersion=1&useStatefulReconnect=true", tok)
	if code := h.redialStatus(&statefulClient{hub: "chat", connToken: nr.ConnectionToken, tok: tok}); code != http.StatusTooManyRequests {
		t.Fatalf("a second connection while one is detached: %d, want 429", code)
	}
	c := h.redial(sc) // its own reconnect is not a new connection
	c.sequence(hubproto.TypeSequence, 1)
	if m := c.next(); m.Type != hubproto.TypeSequence {
		t.Fatalf("got %+v", m)
	}
}

// TestStatefulCloseWhileDetaching: a close (the application's, a drain's,
// a full buffer's) that lands while a dropped socket is being let go
// (stop has made it Aborting, the writer not yet out) ends the connection
// with its reason instead of being lost to the detach that follows.
func TestStatefulCloseWhileDetaching(t *testing.T) {
	r := newRig(t, rigOpts{pipe: true})
	r.c.sr = newResumeState()
	r.c.enqueue(frame("a")) // the writer blocks: the peer does not read
	r.c.mu.Lock()
	if st := r.c.state(); st != wsWriting {
		r.c.mu.Unlock()
		t.Fatalf("state %v, want Writing", st)
	}
	r.c.setStateLocked(wsAborting) // as detach's stop leaves it, for a moment
	r.c.mu.Unlock()
	r.c.close("bye", normalCloseFrame)
	if r.c.srv.detach(r.c, ending{transport: transportWebSockets, registered: true, err: io.EOF, peerGone: true}) {
		t.Fatal("the connection detached: the close was lost")
	}
	if got := r.c.reason(); got != "bye" {
		t.Fatalf("reason %q, want bye", got)
	}
}

// TestStatefulReplayNotSlowClient: the frames a reconnect sends again are
// bounded by the stateful buffer, not by the queue limits: a message sent
// just after the reconnect, before the writer took the replay, must not
// close the connection as a slow client.
func TestStatefulReplayNotSlowClient(t *testing.T) {
	r := newRig(t, rigOpts{mutate: func(c *Config) { c.QueueMessages, c.QueueBytes = 4, 64 }})
	r.c.sr = newResumeState()
	r.c.mu.Lock()
	r.c.sr.detached = true
	r.c.mu.Unlock()
	r.c.stop(true)
	for i := range 8 {
		if !r.c.enqueue(frame(fmt.Sprintf("kept-%d", i))) { // kept for the reconnect
			t.Fatalf("frame %d refused while detached", i)
		}
	}
	nc, peer := tcpPair(t)
	t.Cleanup(func() { _ = peer.Close(); _ = nc.Close() })
	go func() { _, _ = io.Copy(io.Discard, peer) }()
	if n, outcome := r.c.srv.attach(r.c, nc); n != 8 || outcome != ReconnectResumed {
		t.Fatalf("attach: %d %s", n, outcome)
	}
	if !r.c.enqueue(frame("new")) {
		t.Fatalf("a message after the reconnect was refused: %q", r.c.reason())
	}
	if got := r.c.reason(); got != "" {
		t.Fatalf("closed: %q", got)
	}
}

// holdRegister is the gateway's bus with registrations held until release
// is closed: a connection then sits in the index, its handshake done,
// before its read loop starts.
type holdRegister struct {
	Bus
	release chan struct{}
}

func (b *holdRegister) Register(ctx context.Context, c bus.Conn) ([]string, error) {
	<-b.release
	return b.Bus.Register(ctx, c)
}

// TestStatefulOneReconnectAtATime: while one reconnect waits to take a
// connection over, another for the same connection is refused with 409
// at once instead of holding a socket and a goroutine too: a client
// cannot pile up sockets on one connection past the connection limits.
func TestStatefulOneReconnectAtATime(t *testing.T) {
	hold := &holdRegister{release: make(chan struct{})}
	h := newHarness(t, func(c *Config) { hold.Bus = c.Bus; c.Bus = hold })
	released := false
	release := func() {
		if !released {
			released = true
			close(hold.release)
		}
	}
	defer release()
	tok := h.clientToken("chat", "sam", nil)
	nr := h.negotiateOK("hub=chat&negotiateVersion=1&useStatefulReconnect=true", tok)
	first := h.dial("chat", nr.ConnectionToken, tok)
	first.handshake(`{"protocol":"json","version":2}`)
	testsupport.EventuallyTrue(t, 5*time.Second, "the connection indexed", func() bool { return h.gw.idx.get("chat", nr.ConnectionID) != nil })
	sc := &statefulClient{client: first, hub: "chat", connToken: nr.ConnectionToken, tok: tok}
	sc.id = nr.ConnectionID
	c := h.redial(sc) // waits for the first socket to let go: its reader has not started
	if code := h.redialStatus(sc); code != http.StatusConflict {
		t.Fatalf("a second reconnect while one is under way: %d, want 409", code)
	}
	release()
	c.sequence(hubproto.TypeSequence, 1)
	if m := c.next(); m.Type != hubproto.TypeSequence {
		t.Fatalf("got %+v", m)
	}
	if code := h.redialStatus(sc); code != http.StatusSwitchingProtocols {
		t.Fatalf("a reconnect after the first one finished: %d, want 101", code)
	}
}
