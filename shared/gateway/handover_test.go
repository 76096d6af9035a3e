package gateway

import (
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/testsupport"
)

// twoNodes (forward_test.go) gives two gateway nodes on one Memory bus,
// each with its internal URL, as two processes on the Redis bus are.

// TestHandoverToAnotherNode: a stateful connection whose socket dropped
// on one node is resumed through another, which takes it over: the
// client gets the Sequence, the message it had not acknowledged, what was
// sent while it was away and what is sent after, in order and once each;
// its group goes with it, and the old node keeps nothing.
func TestHandoverToAnotherNode(t *testing.T) {
	for _, codec := range []hubproto.Codec{hubproto.JSON, hubproto.MessagePack} {
		t.Run(codec.Name(), func(t *testing.T) {
			h1, h2 := twoNodes(t)
			sc := h1.connectStateful(codec, "chat", "alice")
			if err := h1.bus.AddToGroup(t.Context(), "chat", "g", sc.id); err != nil {
				t.Fatal(err)
			}
			publish(t, h1.bus, sendEnv("chat", bus.ScopeConnection, sc.id, "m", `[1]`))
			publish(t, h1.bus, sendEnv("chat", bus.ScopeUser, "alice", "m", `[2]`))
			sc.expectInvocation("m", `[1]`)
			sc.expectInvocation("m", `[2]`)
			sc.sequence(hubproto.TypeAck, 1) // 2 stays unacknowledged
			testsupport.EventuallyTrue(t, 5*time.Second, "the Ack applied", func() bool {
				c := h1.gw.idx.get("chat", sc.id)
				c.mu.Lock()
				defer c.mu.Unlock()
				return c.sr.firstSeq == 2
			})
			_ = sc.nc.Close()
			testsupport.EventuallyTrue(t, 5*time.Second, "the connection detached", func() bool { return h1.isDetached("chat", sc.id) })
			publish(t, h1.bus, sendEnv("chat", bus.ScopeGroup, "g", "m", `[3]`))

			c := h2.redial(sc) // the load balancer picked the other node
			c.sequence(hubproto.TypeSequence, 1)
			if m := c.next(); m.Type != hubproto.TypeSequence || m.SequenceID != 2 {
				t.Fatalf("first message after the takeover: %+v, want Sequence 2", m)
			}
			c.expectInvocation("m", `[2]`)
			c.expectInvocation("m", `[3]`)
			publish(t, h1.bus, sendEnv("chat", bus.ScopeGroup, "g", "m", `[4]`))
			publish(t, h1.bus, sendEnv("chat", bus.ScopeAll, "", "m", `[5]`))
			c.expectInvocation("m", `[4]`)
			c.expectInvocation("m", `[5]`)

			addr, err := h1.bus.Locate(t.Context(), "chat", sc.id)
			if err != nil || addr != h2.gw.cfg.InternalURL {
				t.Fatalf("Locate = %q, %v; want the second node %q", addr, err, h2.gw.cfg.InternalURL)
			}
			testsupport.EventuallyTrue(t, 5*time.Second, "the old node let go", func() bool {
				return h1.gw.idx.get("chat", sc.id) == nil && h1.gw.Connections() == 0
			})
			if h2.gw.Connections() != 1 {
				t.Fatalf("the new node holds %d connections, want 1", h2.gw.Connections())
			}
			c.sendMessage(&hubproto.Message{Type: hubproto.TypeClose}) // ends it (no window to wait out)
			testsupport.EventuallyTrue(t, 5*time.Second, "the connection ended", func() bool { return h2.gw.Connections() == 0 })
			// The buffered-bytes gauge counts the frames the taker was given
			// and gives them back at the end: neither node is left owing.
			for i, h := range []*harness{h1, h2} {
				if b := h.gw.srBytes.Load(); b != 0 {
					t.Errorf("node %d counts %d buffered bytes after the connection ended, want 0", i+1, b)
				}
			}
		})
	}
}

// TestHandoverRefusedWhileAttached: a second node does not take over a
// connection whose node still serves its socket until that node let go
// of it (it cuts the socket when asked); never two live owners.
func TestHandoverRefusedWhileAttached(t *testing.T) {
	h1, h2 := twoNodes(t)
	sc := h1.connectStateful(hubproto.JSON, "chat", "bob")
	publish(t, h1.bus, sendEnv("chat", bus.ScopeConnection, sc.id, "m", `[1]`))
	sc.expectInvocation("m", `[1]`)
	// The first socket is still open: the new node asks the old one to
	// cut it, then takes the connection over.
	c := h2.redial(sc)
	c.sequence(hubproto.TypeSequence, 1)
	if m := c.next(); m.Type != hubproto.TypeSequence || m.SequenceID != 1 {
		t.Fatalf("first message after the takeover: %+v, want Sequence 1", m)
	}
	c.expectInvocation("m", `[1]`)
	if _, err := sc.nc.Read(make([]byte, 1)); err == nil {
		// Drain whatever was in flight; the socket must end.
		_ = sc.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		for err == nil {
			_, err = sc.nc.Read(buf)
		}
	}
	testsupport.EventuallyTrue(t, 5*time.Second, "the old node let go", func() bool { return h1.gw.Connections() == 0 })
	c.sendMessage(&hubproto.Message{Type: hubproto.TypeClose})
	testsupport.EventuallyTrue(t, 5*time.Second, "the connection ended", func() bool { return h2.gw.Connections() == 0 })
}
