package gateway

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/testsupport"
)

func TestSendScopes(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	a1, a2 := h.connect("chat", "alice"), h.connect("chat", "alice")
	b := h.connect("chat", "bob")
	other := h.connect("news", "alice")
	if err := h.bus.AddToGroup(ctx, "chat", "room", b.id); err != nil {
		t.Fatal(err)
	}
	all := []*client{a1, a2, b, other}

	steps := []struct {
		env  *bus.Envelope
		recv []*client
	}{
		{sendEnv("chat", bus.ScopeAll, "", "m", `[1]`), []*client{a1, a2, b}},
		{sendEnv("chat", bus.ScopeAll, "", "m", `[2]`, a1.id), []*client{a2, b}},
		{sendEnv("chat", bus.ScopeUser, "alice", "m", `[3]`), []*client{a1, a2}},
		{sendEnv("chat", bus.ScopeGroup, "room", "m", `[4]`), []*client{b}},
		{sendEnv("chat", bus.ScopeGroup, "room", "m", `[5]`, b.id), nil},
		{sendEnv("chat", bus.ScopeConnection, a2.id, "m", `[6]`), []*client{a2}},
		{sendEnv("news", bus.ScopeAll, "", "m", `[7]`), []*client{other}},
	}
	for _, s := range steps {
		publish(t, h.bus, s.env)
	}
	// A final marker to every connection proves what was NOT delivered.
	for _, hub := range []string{"chat", "news"} {
		publish(t, h.bus, sendEnv(hub, bus.ScopeAll, "", "end", `[]`))
	}
	for _, c := range all {
		var got []string
		for {
			m := c.next()
			if m.Target == "end" {
				break
			}
			got = append(got, string(m.Arguments))
		}
		var want []string
		for _, s := range steps {
			for _, r := range s.recv {
				if r == c {
					want = append(want, string(s.env.Message.Arguments))
				}
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("client %s got %v want %v", c.id, got, want)
		}
	}
}

func TestGroupThenSendIsOrdered(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	c := h.connect("chat", "")
	for i := 0; i < 50; i++ {
		g := "g" + strings.Repeat("x", i)
		if err := h.bus.AddToGroup(ctx, "chat", g, c.id); err != nil {
			t.Fatal(err)
		}
		publish(t, h.bus, sendEnv("chat", bus.ScopeGroup, g, "m", `[]`))
		c.expectInvocation("m", "[]")
		if err := h.bus.RemoveFromGroup(ctx, "chat", g, c.id); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUserGroupAppliesToLaterConnections(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	if err := h.bus.AddUserToGroup(ctx, "chat", "vip", "carol", -1); err != nil {
		t.Fatal(err)
	}
	c := h.connect("chat", "carol")
	publish(t, h.bus, sendEnv("chat", bus.ScopeGroup, "vip", "hello", `["vip"]`))
	c.expectInvocation("hello", `["vip"]`)
	if err := h.bus.RemoveUserFromGroup(ctx, "chat", "vip", "carol"); err != nil {
		t.Fatal(err)
	}
	publish(t, h.bus, sendEnv("chat", bus.ScopeGroup, "vip", "hello", `["gone"]`))
	publish(t, h.bus, sendEnv("chat", bus.ScopeAll, "", "end", `[]`))
	c.expectInvocation("end", `[]`)
}

func TestCloseEnvelope(t *testing.T) {
	h := newHarness(t, nil)
	a, b := h.connect("chat", "a"), h.connect("chat", "b")
	publish(t, h.bus, sendEnv("chat", bus.ScopeConnection, a.id, "before", `[]`))
	publish(t, h.bus, &bus.Envelope{Kind: bus.KindClose, Hub: "chat", Scope: bus.ScopeAll, Reason: "bye", Excluded: []string{b.id}})
	a.expectInvocation("before", `[]`) // queued sends are flushed before the close
	m := a.next()
	if m.Type != hubproto.TypeClose || m.Error != "bye" || m.AllowReconnect {
		t.Fatalf("got %+v", m)
	}
	if _, err := a.tryRead(5 * time.Second); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("socket not closed: %v", err)
	}
	waitFor(t, func() bool { ok, _ := h.bus.ConnectionExists(context.Background(), "chat", a.id); return !ok })
	publish(t, h.bus, sendEnv("chat", bus.ScopeConnection, b.id, "still", `[]`))
	b.expectInvocation("still", `[]`)
}

func TestInvocationsWithoutUpstream(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect("chat", "")
	c.send(`{"type":1,"target":"fire","arguments":[]}` + "\x1e" + `{"type":6}` + "\x1e")
	c.send(`{"type":1,"invocationId":"1","target":"echo","arguments":["x"]}` + "\x1e")
	m := c.next()
	if m.Type != hubproto.TypeCompletion || m.InvocationID != "1" || m.Error != ErrTextNoUpstream {
		t.Fatalf("got %+v", m)
	}
	c.send(`{"type":4,"invocationId":"2","target":"s","arguments":[]}` + "\x1e")
	if m := c.next(); m.InvocationID != "2" || m.Error != ErrTextNoUpstream {
		t.Fatalf("got %+v", m)
	}
}

func TestInvalidMessageClosesOnlyThatConnection(t *testing.T) {
	h := newHarness(t, nil)
	bad, good := h.connect("chat", ""), h.connect("chat", "")
	bad.send("{not json}\x1e")
	m := bad.next()
	if m.Type != hubproto.TypeClose || m.Error != ReasonProtocolError {
		t.Fatalf("got %+v", m)
	}
	publish(t, h.bus, sendEnv("chat", bus.ScopeAll, "", "ok", `[]`))
	good.expectInvocation("ok", `[]`)
}

func TestMessageTooLarge(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxMessageBytes = 1024 })
	c := h.connect("chat", "")
	c.send(`{"type":1,"target":"x","arguments":["` + strings.Repeat("a", 2000) + `"]}` + "\x1e")
	if m := c.next(); m.Type != hubproto.TypeClose || m.Error != ReasonMessageTooLarge {
		t.Fatalf("got %+v", m)
	}
}

func TestKeepAliveAndClientTimeout(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.KeepAliveInterval = 50 * time.Millisecond
		c.ClientTimeout = 300 * time.Millisecond
	})
	c := h.connect("chat", "")
	msgs, _, err := hubproto.JSON.Decode([]byte(c.readText()))
	if err != nil || len(msgs) != 1 || msgs[0].Type != hubproto.TypePing {
		t.Fatalf("want a ping, got %+v %v", msgs, err)
	}
	// The client never sends: it is closed for ping timeout.
	if m := c.next(); m.Type != hubproto.TypeClose || m.Error != ReasonPingTimeout {
		t.Fatalf("got %+v", m)
	}
}

func TestSlowClientIsClosedOthersUnaffected(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.QueueMessages = 8; c.QueueBytes = 1 << 20 })
	slow := h.connect("chat", "slow")
	fast := h.connect("chat", "fast")
	// The slow client's socket never drains: fill its kernel buffers with
	// large frames, then keep sending until its queue overflows.
	big := `["` + strings.Repeat("x", 64<<10) + `"]`
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 400; i++ {
			publish(t, h.bus, sendEnv("chat", bus.ScopeUser, "slow", "big", big))
		}
	}()
	<-done
	for i := 0; i < 20; i++ {
		publish(t, h.bus, sendEnv("chat", bus.ScopeAll, "", "tick", `[]`))
		fast.expectInvocation("tick", `[]`)
	}
	waitFor(t, func() bool { ok, _ := h.bus.ConnectionExists(context.Background(), "chat", slow.id); return !ok })
}

func TestShutdownClosesClientsWithReconnect(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect("chat", "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() { _ = h.gw.Shutdown(ctx) }()
	m := c.next()
	if m.Type != hubproto.TypeClose || m.Error != ReasonServiceReloading || !m.AllowReconnect {
		t.Fatalf("got %+v", m)
	}
	waitFor(t, func() bool { return h.gw.Connections() == 0 })
}

// waitFor is testsupport.EventuallyTrue with a generous bound: under
// -race on a loaded 2-core machine a teardown has been seen to take over
// 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	testsupport.EventuallyTrue(t, 15*time.Second, "condition", cond)
}

// One broadcast reaches JSON and MessagePack clients, each in its protocol,
// and closes and completions are encoded per protocol too.
func TestMessagePackClients(t *testing.T) {
	h := newHarness(t, nil)
	j := h.connect("chat", "a")
	m := h.connectWith(hubproto.MessagePack, "chat", "b")
	publish(t, h.bus, sendEnv("chat", bus.ScopeAll, "", "news", `[1,-2,3.5,"x",{"k":[true,null]}]`))
	j.expectInvocation("news", `[1,-2,3.5,"x",{"k":[true,null]}]`)
	m.expectInvocation("news", `[1,-2,3.5,"x",{"k":[true,null]}]`)

	m.sendMessage(&hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "9", Target: "echo", Arguments: []byte{0x90}})
	if got := m.next(); got.Type != hubproto.TypeCompletion || got.InvocationID != "9" || got.Error != ErrTextNoUpstream {
		t.Fatalf("completion %+v", got)
	}
	publish(t, h.bus, &bus.Envelope{Kind: bus.KindClose, Hub: "chat", Scope: bus.ScopeConnection, ID: m.id, Reason: "bye"})
	if got := m.next(); got.Type != hubproto.TypeClose || got.Error != "bye" {
		t.Fatalf("close %+v", got)
	}
}
