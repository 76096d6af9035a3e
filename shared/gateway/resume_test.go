package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/testsupport"
)

// statefulClient is a client that negotiated stateful reconnect, with what
// it needs to reconnect.
type statefulClient struct {
	*client
	hub, connToken, tok string
}

// connectStateful negotiates with useStatefulReconnect=true and
// handshakes protocol version 2.
func (h *harness) connectStateful(codec hubproto.Codec, hub, user string) *statefulClient {
	h.t.Helper()
	tok := h.clientToken(hub, user, nil)
	nr := h.negotiateOK("hub="+hub+"&negotiateVersion=1&useStatefulReconnect=true", tok)
	if !nr.UseStatefulReconnect {
		h.t.Fatalf("negotiate did not grant stateful reconnect: %+v", nr)
	}
	c := h.dial(hub, nr.ConnectionToken, tok)
	c.id, c.codec = nr.ConnectionID, codec
	c.handshake(`{"protocol":"` + codec.Name() + `","version":2}`)
	if got := c.readText(); got != "{}\x1e" {
		h.t.Fatalf("handshake response %q", got)
	}
	return &statefulClient{client: c, hub: hub, connToken: nr.ConnectionToken, tok: tok}
}

// redial opens a new WebSocket for the same connection, as the official
// clients do to resume it: no handshake.
func (h *harness) redial(sc *statefulClient) *client {
	h.t.Helper()
	c := h.dial(sc.hub, sc.connToken, sc.tok)
	c.id, c.codec = sc.id, sc.codec
	return c
}

// sequence sends an Ack or a Sequence.
func (c *client) sequence(t hubproto.MessageType, seq int64) {
	c.t.Helper()
	c.sendMessage(&hubproto.Message{Type: t, SequenceID: seq})
}

// nextOf returns the next message that is not a Ping or an Ack.
func (c *client) nextOf() hubproto.Message {
	c.t.Helper()
	for {
		m := c.next()
		if m.Type != hubproto.TypeAck {
			return m
		}
	}
}

// isDetached reports whether the connection hub/id waits for a reconnect.
func (h *harness) isDetached(hub, id string) bool {
	c := h.gw.idx.get(hub, id)
	if c == nil || c.sr == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sr.detached
}

func TestStatefulNegotiate(t *testing.T) {
	h := newHarness(t, nil)
	off := newHarness(t, func(c *Config) { c.StatefulReconnect = "off" })
	tok := h.clientToken("chat", "u", nil)
	noWS := h.clientToken("chat", "u", map[string]any{"asrs.s.htt": "6"})
	for _, tc := range []struct {
		name  string
		h     *harness
		query string
		tok   string
		want  bool
	}{
		{"asked", h, "hub=chat&negotiateVersion=1&useStatefulReconnect=true", tok, true},
		{"asked, any case", h, "hub=chat&negotiateVersion=1&UseStatefulReconnect=True", tok, true},
		{"not asked", h, "hub=chat&negotiateVersion=1", tok, false},
		{"asked false", h, "hub=chat&negotiateVersion=1&useStatefulReconnect=false", tok, false},
		{"negotiate version 0", h, "hub=chat&useStatefulReconnect=true", tok, false},
		{"switched off", off, "hub=chat&negotiateVersion=1&useStatefulReconnect=true", tok, false},
		{"no WebSockets allowed", h, "hub=chat&negotiateVersion=1&useStatefulReconnect=true", noWS, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := tc.h.negotiate(tc.query, tc.tok)
			if code != 200 {
				t.Fatalf("%d %s", code, body)
			}
			var nr hubproto.NegotiateResponse
			if err := json.Unmarshal(body, &nr); err != nil {
				t.Fatal(err)
			}
			if nr.UseStatefulReconnect != tc.want {
				t.Fatalf("useStatefulReconnect = %v, want %v: %s", nr.UseStatefulReconnect, tc.want, body)
			}
			if tc.want != strings.Contains(string(body), "useStatefulReconnect") {
				t.Fatalf("body %s", body)
			}
		})
	}
}

// TestStatefulResume drops a stateful connection's socket, sends to it
// while it is away and reconnects: the server's Sequence names the oldest
// unacknowledged message, which comes again with everything after it, in
// order; the client's duplicate is skipped; the upstream sees one
// connected and no disconnected.
func TestStatefulResume(t *testing.T) {
	for _, codec := range []hubproto.Codec{hubproto.JSON, hubproto.MessagePack} {
		t.Run(codec.Name(), func(t *testing.T) {
			h, events := upstreamHarness(t)
			sc := h.connectStateful(codec, "chat", "alice")
			testsupport.EventuallyTrue(t, 5*time.Second, "the connected event", func() bool { return events.has("connected " + sc.id + " alice") })
			if err := h.bus.AddToGroup(t.Context(), "chat", "g", sc.id); err != nil {
				t.Fatal(err)
			}
			publish(t, h.bus, sendEnv("chat", bus.ScopeConnection, sc.id, "m", `[1]`))
			publish(t, h.bus, sendEnv("chat", bus.ScopeUser, "alice", "m", `[2]`))
			sc.expectInvocation("m", `[1]`)
			sc.expectInvocation("m", `[2]`)
			sc.sequence(hubproto.TypeAck, 1) // 2 stays unacknowledged
			// A client message the client will send again after the reconnect.
			sc.sendMessage(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "a", Target: "echo", Arguments: args(codec, `["x"]`)})
			if m := sc.nextOf(); m.Type != hubproto.TypeCompletion || m.InvocationID != "a" {
				t.Fatalf("got %+v", m)
			}
			_ = sc.nc.Close()
			testsupport.EventuallyTrue(t, 5*time.Second, "the connection detached", func() bool { return h.isDetached("chat", sc.id) })
			publish(t, h.bus, sendEnv("chat", bus.ScopeGroup, "g", "m", `[3]`))
			publish(t, h.bus, sendEnv("chat", bus.ScopeAll, "", "m", `[4]`))

			c := h.redial(sc)
			c.sequence(hubproto.TypeSequence, 1)
			// Sent again: seen before, skipped. Then a new one.
			c.sendMessage(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "a", Target: "echo", Arguments: args(codec, `["x"]`)})
			c.sendMessage(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "b", Target: "echo", Arguments: args(codec, `["y"]`)})
			if m := c.next(); m.Type != hubproto.TypeSequence || m.SequenceID != 2 {
				t.Fatalf("first message after the reconnect: %+v, want Sequence 2", m)
			}
			c.expectInvocation("m", `[2]`)
			// Unacknowledged too: sent again, for the client to skip.
			if m := c.nextOf(); m.Type != hubproto.TypeCompletion || m.InvocationID != "a" {
				t.Fatalf("got %+v, want the completion of a again", m)
			}
			c.expectInvocation("m", `[3]`)
			c.expectInvocation("m", `[4]`)
			if m := c.nextOf(); m.Type != hubproto.TypeCompletion || m.InvocationID != "b" {
				t.Fatalf("got %+v, want the completion of b only", m)
			}
			// The server acknowledges the client's messages (1 and 2).
			testsupport.EventuallyTrue(t, 5*time.Second, "the Ack", func() bool {
				m := c.next()
				return m.Type == hubproto.TypeAck && m.SequenceID == 2
			})
			if events.has("disconnected " + sc.id) {
				t.Fatal("the upstream saw a disconnected event for a resumed connection")
			}
			h.gw.idx.mu.RLock()
			n := len(h.gw.idx.hubs["chat"].groups["g"])
			h.gw.idx.mu.RUnlock()
			if n != 1 {
				t.Fatalf("group has %d connections", n)
			}
		})
	}
}

// args is a JSON argument array in codec's encoding.
func args(codec hubproto.Codec, js string) json.RawMessage {
	if codec == hubproto.MessagePack {
		b, err := hubproto.JSONToMsgpack(nil, json.RawMessage(js))
		if err != nil {
			panic(err)
		}
		return b
	}
	return json.RawMessage(js)
}

// TestStatefulWindowExpires: a client that does not come back within the
// window is disconnected once, and cannot come back after.
func TestStatefulWindowExpires(t *testing.T) {
	h, events := upstreamHarness(t)
	h.gw.cfg.StatefulReconnectWindow = 300 * time.Millisecond
	sc := h.connectStateful(hubproto.JSON, "chat", "bob")
	testsupport.EventuallyTrue(t, 5*time.Second, "the connected event", func() bool { return events.has("connected " + sc.id + " bob") })
	_ = sc.nc.Close()
	testsupport.EventuallyTrue(t, 5*time.Second, "the connection detached", func() bool { return h.isDetached("chat", sc.id) })
	testsupport.EventuallyTrue(t, 10*time.Second, "the disconnected event", func() bool { return events.has("disconnected " + sc.id) })
	if !events.has("disconnected " + sc.id + " error=" + ReasonConnectionLost) {
		t.Fatalf("events %v", events.events)
	}
	if h.gw.Connections() != 0 {
		t.Fatal("connection still indexed")
	}
	if code := h.redialStatus(sc); code != http.StatusConflict && code != http.StatusNotFound {
		t.Fatalf("reconnect after the window: %d", code)
	}
	time.Sleep(200 * time.Millisecond)
	n := 0
	events.mu.Lock()
	for _, e := range events.events {
		if e == "disconnected "+sc.id {
			n++
		}
	}
	events.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d disconnected events", n)
	}
}

// redialStatus tries the reconnect's upgrade and returns the status.
func (h *harness) redialStatus(sc *statefulClient) int {
	h.t.Helper()
	u := "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/client/?hub=" + sc.hub + "&id=" + sc.connToken
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"Authorization": {"Bearer " + sc.tok}}), Timeout: 5 * time.Second}
	nc, _, _, err := d.Dial(h.t.(*testing.T).Context(), u)
	if err == nil {
		_ = nc.Close()
		return http.StatusSwitchingProtocols
	}
	var se ws.StatusError
	if errors.As(err, &se) {
		return int(se)
	}
	h.t.Fatalf("dial: %v", err)
	return 0
}

// TestStatefulSequenceAhead: a client whose Sequence names messages the
// server never received is closed with the reason.
func TestStatefulSequenceAhead(t *testing.T) {
	h := newHarness(t, nil)
	sc := h.connectStateful(hubproto.JSON, "chat", "carol")
	_ = sc.nc.Close()
	testsupport.EventuallyTrue(t, 5*time.Second, "the connection detached", func() bool { return h.isDetached("chat", sc.id) })
	c := h.redial(sc)
	c.sequence(hubproto.TypeSequence, 5)
	if m := c.next(); m.Type != hubproto.TypeSequence {
		t.Fatalf("got %+v", m)
	}
	if m := c.next(); m.Type != hubproto.TypeClose || m.Error != ReasonSequenceAhead {
		t.Fatalf("got %+v, want Close %q", m, ReasonSequenceAhead)
	}
	testsupport.EventuallyTrue(t, 5*time.Second, "the connection ended", func() bool { return h.gw.Connections() == 0 })
}

// TestStatefulSecondSocket: a reconnect while the old socket is still
// attached replaces it; the connection never has two sockets.
func TestStatefulSecondSocket(t *testing.T) {
	h := newHarness(t, nil)
	sc := h.connectStateful(hubproto.JSON, "chat", "dave")
	publish(t, h.bus, sendEnv("chat", bus.ScopeConnection, sc.id, "m", `[1]`))
	sc.expectInvocation("m", `[1]`)
	c := h.redial(sc)
	c.sequence(hubproto.TypeSequence, 1)
	if m := c.next(); m.Type != hubproto.TypeSequence || m.SequenceID != 1 {
		t.Fatalf("got %+v", m)
	}
	c.expectInvocation("m", `[1]`) // never acknowledged
	if _, err := sc.tryRead(5 * time.Second); err == nil {
		t.Fatal("the replaced socket is still open")
	}
	publish(t, h.bus, sendEnv("chat", bus.ScopeConnection, sc.id, "m", `[2]`))
	c.expectInvocation("m", `[2]`)
	if h.gw.Connections() != 1 {
		t.Fatalf("%d connections", h.gw.Connections())
	}
}

// TestStatefulReconnectRefusals: a token of another user's or of a
// connection without stateful reconnect takes nothing over.
func TestStatefulReconnectRefusals(t *testing.T) {
	h := newHarness(t, nil)
	sc := h.connectStateful(hubproto.JSON, "chat", "erin")
	_ = sc.nc.Close()
	testsupport.EventuallyTrue(t, 5*time.Second, "the connection detached", func() bool { return h.isDetached("chat", sc.id) })
	other := *sc
	other.tok = h.clientToken("chat", "mallory", nil)
	if code := h.redialStatus(&other); code != http.StatusNotFound {
		t.Fatalf("another user's reconnect: %d, want 404", code)
	}
	// Another connection's token (not stateful, open): its id is in use.
	ftok := h.clientToken("chat", "frank", nil)
	nr := h.negotiateOK("hub=chat&negotiateVersion=1", ftok)
	plain := h.dial("chat", nr.ConnectionToken, ftok)
	plain.handshake(`{"protocol":"json","version":1}`)
	_ = plain.readText()
	if code := h.redialStatus(&statefulClient{hub: "chat", connToken: nr.ConnectionToken, tok: ftok}); code != http.StatusConflict {
		t.Fatalf("a second socket for a connection without stateful reconnect: %d, want 409", code)
	}
	if !h.isDetached("chat", sc.id) {
		t.Fatal("a refused reconnect changed the connection")
	}
	c := h.redial(sc)
	c.sequence(hubproto.TypeSequence, 1)
	if m := c.next(); m.Type != hubproto.TypeSequence {
		t.Fatalf("got %+v", m)
	}
}

// TestStatefulCloseWhileDetached: the application's close of a detached
// connection ends it at once, with its reason for the upstream.
func TestStatefulCloseWhileDetached(t *testing.T) {
	h, events := upstreamHarness(t)
	sc := h.connectStateful(hubproto.JSON, "chat", "judy")
	testsupport.EventuallyTrue(t, 5*time.Second, "the connected event", func() bool { return events.has("connected " + sc.id + " judy") })
	_ = sc.nc.Close()
	testsupport.EventuallyTrue(t, 5*time.Second, "the connection detached", func() bool { return h.isDetached("chat", sc.id) })
	publish(t, h.bus, &bus.Envelope{Kind: bus.KindClose, Hub: "chat", Scope: bus.ScopeConnection, ID: sc.id, Reason: "bye"})
	testsupport.EventuallyTrue(t, 5*time.Second, "the disconnected event", func() bool { return events.has("disconnected " + sc.id + " error=bye") })
	if code := h.redialStatus(sc); code != http.StatusConflict && code != http.StatusNotFound {
		t.Fatalf("reconnect after the close: %d", code)
	}
}

// TestStatefulBufferFull: a client that never acknowledges is closed once
// its messages exceed the buffer, attached or not.
func TestStatefulBufferFull(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.StatefulBufferBytes = 400 })
	sc := h.connectStateful(hubproto.JSON, "chat", "gina")
	for i := range 20 {
		publish(t, h.bus, sendEnv("chat", bus.ScopeConnection, sc.id, "m", fmt.Sprintf(`[%d]`, i)))
	}
	for {
		m := sc.next()
		if m.Type == hubproto.TypeClose {
			if m.Error != ReasonReconnectBufferFull {
				t.Fatalf("close %q", m.Error)
			}
			break
		}
	}
	testsupport.EventuallyTrue(t, 5*time.Second, "the connection ended", func() bool { return h.gw.Connections() == 0 })

	detached := h.connectStateful(hubproto.JSON, "chat", "hal")
	_ = detached.nc.Close()
	testsupport.EventuallyTrue(t, 5*time.Second, "the connection detached", func() bool { return h.isDetached("chat", detached.id) })
	for i := range 20 {
		publish(t, h.bus, sendEnv("chat", bus.ScopeConnection, detached.id, "m", fmt.Sprintf(`[%d]`, i)))
	}
	testsupport.EventuallyTrue(t, 5*time.Second, "the connection ended", func() bool { return h.gw.Connections() == 0 })
}

// TestResumeSnapshotRestore: a snapshot restores to the same state.
func TestResumeSnapshotRestore(t *testing.T) {
	h := newHarness(t, nil)
	sc := h.connectStateful(hubproto.MessagePack, "chat", "ivy")
	if err := h.bus.AddToGroup(t.Context(), "chat", "g", sc.id); err != nil {
		t.Fatal(err)
	}
	publish(t, h.bus, sendEnv("chat", bus.ScopeConnection, sc.id, "m", `[1]`))
	publish(t, h.bus, sendEnv("chat", bus.ScopeConnection, sc.id, "m", `[2]`))
	sc.expectInvocation("m", `[1]`)
	sc.expectInvocation("m", `[2]`)
	sc.sequence(hubproto.TypeAck, 1)
	_ = sc.nc.Close()
	testsupport.EventuallyTrue(t, 5*time.Second, "the connection detached", func() bool { return h.isDetached("chat", sc.id) })
	snap, ok := h.gw.snapshot(h.gw.idx.get("chat", sc.id))
	if !ok || snap.FirstSequenceID != 2 || snap.NextSequenceID() != 3 || len(snap.Groups) != 1 || snap.Protocol != "messagepack" || snap.Deadline.IsZero() {
		t.Fatalf("snapshot %+v", snap)
	}
	c, ok := h.gw.restoreResumable(snap)
	if !ok {
		t.Fatal("restore failed")
	}
	again, _ := h.gw.snapshot(c)
	again.Groups = snap.Groups // joined by the caller
	if fmt.Sprint(again) != fmt.Sprint(snap) {
		t.Fatalf("restored %+v\nwant %+v", again, snap)
	}
}

// statefulCounts records the stateful reconnect metrics.
type statefulCounts struct {
	noMetrics
	mu       sync.Mutex
	outcomes []string
	expiries int
	buffered int64
}

func (m *statefulCounts) StatefulReconnect(outcome string) {
	m.mu.Lock()
	m.outcomes = append(m.outcomes, outcome)
	m.mu.Unlock()
}

func (m *statefulCounts) StatefulWindowExpired() {
	m.mu.Lock()
	m.expiries++
	m.mu.Unlock()
}

func (m *statefulCounts) StatefulBuffered(n int64) {
	m.mu.Lock()
	m.buffered = n
	m.mu.Unlock()
}

func (m *statefulCounts) read() (outcomes []string, expiries int, buffered int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.outcomes), m.expiries, m.buffered
}

// TestStatefulTraceAndMetrics: a drop, a resume with two messages sent
// again, and a window that runs out each leave their record and count;
// the buffered bytes gauge follows the Acks.
func TestStatefulTraceAndMetrics(t *testing.T) {
	tr := diag.New(diag.Config{Connectivity: true})
	m := &statefulCounts{}
	h := newHarness(t, func(c *Config) {
		c.Tracer, c.Metrics = tr, m
		c.StatefulReconnectWindow = 300 * time.Millisecond
		c.KeepAliveInterval = 500 * time.Millisecond
	})
	var got events
	stop := tr.Watch(got.add)
	defer stop()
	sc := h.connectStateful(hubproto.JSON, "chat", "kim")
	publish(t, h.bus, sendEnv("chat", bus.ScopeConnection, sc.id, "m", `[1]`))
	publish(t, h.bus, sendEnv("chat", bus.ScopeConnection, sc.id, "m", `[2]`))
	sc.expectInvocation("m", `[1]`)
	sc.expectInvocation("m", `[2]`)
	testsupport.EventuallyTrue(t, 5*time.Second, "the buffered bytes gauge", func() bool { _, _, b := m.read(); return b > 0 })
	_ = sc.nc.Close()
	got.wait(t, func(e diag.Event) bool {
		return e.Name == diag.ConnectionDetached && e.ConnectionID == sc.id && e.Messages == 2
	})
	c := h.redial(sc)
	c.sequence(hubproto.TypeSequence, 1)
	got.wait(t, func(e diag.Event) bool {
		return e.Name == diag.ConnectionResumed && e.ConnectionID == sc.id && e.Messages == 2 && e.UserID == "kim"
	})
	if m := c.next(); m.Type != hubproto.TypeSequence || m.SequenceID != 1 {
		t.Fatalf("got %+v", m)
	}
	c.expectInvocation("m", `[1]`)
	c.expectInvocation("m", `[2]`)
	c.sequence(hubproto.TypeAck, 2)
	testsupport.EventuallyTrue(t, 5*time.Second, "the gauge back at 0", func() bool { _, _, b := m.read(); return b == 0 })
	_ = c.nc.Close()
	got.wait(t, func(e diag.Event) bool { return e.Name == diag.ReconnectWindowExpired && e.ConnectionID == sc.id })
	got.wait(t, func(e diag.Event) bool {
		return e.Name == diag.ConnectionAborted && e.ConnectionID == sc.id && e.ReasonLabel == CloseConnectionLost
	})
	outcomes, expiries, _ := m.read()
	if !slices.Equal(outcomes, []string{ReconnectResumed}) || expiries != 1 {
		t.Fatalf("outcomes %v, expiries %d", outcomes, expiries)
	}
}
