package bustest

import (
	"context"
	"errors"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
)

// testRegistry: Register, Unregister and the existence checks. A
// connection id registered on one node cannot be registered on another.
func testRegistry(t *testing.T, e *env) {
	e.wantConn("c1", false)
	e.wantUser("u1", false)
	e.wantGroups("c1", "u1")
	e.wantConn("c1", true)
	e.wantUser("u1", true)

	_, err := e.api.Register(e.ctx, bus.Conn{Hub: e.hub, ID: "c1", User: "u2"})
	if !errors.Is(err, bus.ErrConnectionExists) {
		t.Fatalf("Register duplicate = %v, want ErrConnectionExists", err)
	}
	e.wantUser("u2", false)

	e.wantGroups("anon", "")
	e.wantConn("anon", true)

	other := e.hub + "_other"
	_, err = e.gw.Register(e.ctx, bus.Conn{Hub: other, ID: "c1", User: "u1"})
	e.ok("Register in another hub", err)
	t.Cleanup(func() { _ = e.gw.Unregister(context.Background(), other, "c1") })

	e.addToGroup("g1", "c1")
	e.wantGroup("g1", true)
	e.unregister("c1")
	e.wantConn("c1", false)
	e.wantUser("u1", false)
	e.wantGroup("g1", false)
	e.wantUserInGroup("g1", "u1", false)
	ok, err := e.api.ConnectionExists(e.ctx, other, "c1")
	e.check("ConnectionExists in another hub", true, ok, err)

	e.unregister("c1")
	e.unregister("never-registered")
	e.wantGroups("c1", "u1")
	e.wantConn("c1", true)
	e.unregister("anon")
	e.wantConn("anon", false)
}

// testUnknownConnection: membership calls for connections that are not
// registered in the hub fail with ErrConnectionNotFound and deliver
// nothing.
func testUnknownConnection(t *testing.T, e *env) {
	r := e.subscribe()
	other := e.hub + "_other"
	_, err := e.gw.Register(e.ctx, bus.Conn{Hub: other, ID: "elsewhere"})
	e.ok("Register in another hub", err)
	t.Cleanup(func() { _ = e.gw.Unregister(context.Background(), other, "elsewhere") })
	e.register("gone", "u1")
	e.unregister("gone")

	for _, id := range []string{"ghost", "elsewhere", "gone"} {
		calls := map[string]error{
			"AddToGroup":          e.api.AddToGroup(e.ctx, e.hub, "g1", id),
			"RemoveFromGroup":     e.api.RemoveFromGroup(e.ctx, e.hub, "g1", id),
			"RemoveFromAllGroups": e.api.RemoveFromAllGroups(e.ctx, e.hub, id),
		}
		for name, err := range calls {
			if !errors.Is(err, bus.ErrConnectionNotFound) {
				t.Errorf("%s(%s) = %v, want ErrConnectionNotFound", name, id, err)
			}
		}
	}
	e.wantGroup("g1", false)
	e.fence(r)
}

// testInvalidArguments: empty names, a nil handler and malformed or
// membership envelopes fail with ErrInvalidArgument and deliver nothing.
func testInvalidArguments(t *testing.T, e *env) {
	r := e.subscribe()
	e.register("c1", "u1")
	ctx, b, gw, h := e.ctx, e.api, e.gw, e.hub
	presence := func(_ bool, err error) error { return err }
	pub := func(m *bus.Envelope) error { return b.Publish(ctx, m) }
	noTarget := sendEnv(h, bus.ScopeAll, "", "x")
	noTarget.Message.Target = ""
	emptyFramed := framedEnv(h, bus.ScopeAll, "", "x", nil, nil)
	calls := []struct {
		name string
		err  error
	}{
		{"Register no hub", func() error { _, err := gw.Register(ctx, bus.Conn{ID: "c9"}); return err }()},
		{"Register no id", func() error { _, err := gw.Register(ctx, bus.Conn{Hub: h}); return err }()},
		{"Unregister no hub", gw.Unregister(ctx, "", "c1")},
		{"Unregister no id", gw.Unregister(ctx, h, "")},
		{"AddToGroup no hub", b.AddToGroup(ctx, "", "g", "c1")},
		{"AddToGroup no group", b.AddToGroup(ctx, h, "", "c1")},
		{"AddToGroup no id", b.AddToGroup(ctx, h, "g", "")},
		{"RemoveFromGroup no group", b.RemoveFromGroup(ctx, h, "", "c1")},
		{"RemoveFromGroup no id", b.RemoveFromGroup(ctx, h, "g", "")},
		{"RemoveFromAllGroups no hub", b.RemoveFromAllGroups(ctx, "", "c1")},
		{"RemoveFromAllGroups no id", b.RemoveFromAllGroups(ctx, h, "")},
		{"AddUserToGroup no group", b.AddUserToGroup(ctx, h, "", "u1", -1)},
		{"AddUserToGroup no user", b.AddUserToGroup(ctx, h, "g", "", -1)},
		{"RemoveUserFromGroup no group", b.RemoveUserFromGroup(ctx, h, "", "u1")},
		{"RemoveUserFromGroup no user", b.RemoveUserFromGroup(ctx, h, "g", "")},
		{"RemoveUserFromAllGroups no user", b.RemoveUserFromAllGroups(ctx, h, "")},
		{"ConnectionExists no id", presence(b.ConnectionExists(ctx, h, ""))},
		{"UserExists no user", presence(b.UserExists(ctx, h, ""))},
		{"GroupExists no hub", presence(b.GroupExists(ctx, "", "g"))},
		{"GroupExists no group", presence(b.GroupExists(ctx, h, ""))},
		{"UserInGroup no user", presence(b.UserInGroup(ctx, h, "g", ""))},
		{"Subscribe nil handler", func() error { _, err := gw.Subscribe(ctx, nil); return err }()},
		{"Publish nil", pub(nil)},
		{"Publish no hub", pub(sendEnv("", bus.ScopeAll, "", "x"))},
		{"Publish group without id", pub(sendEnv(h, bus.ScopeGroup, "", "x"))},
		{"Publish send without message", pub(&bus.Envelope{Kind: bus.KindSend, Hub: h, Scope: bus.ScopeAll})},
		{"Publish send without target", pub(noTarget)},
		{"Publish send with empty framed message", pub(emptyFramed)},
		{"Publish unknown kind", pub(&bus.Envelope{Kind: 99, Hub: h, Scope: bus.ScopeAll})},
		{"Publish unknown scope", pub(&bus.Envelope{Kind: bus.KindClose, Hub: h, Scope: 99, ID: "x"})},
		{"Publish membership", pub(memberEnv(h, bus.KindAddToGroup, bus.ScopeConnection, "c1", "g"))},
	}
	for _, c := range calls {
		if !errors.Is(c.err, bus.ErrInvalidArgument) {
			t.Errorf("%s = %v, want ErrInvalidArgument", c.name, c.err)
		}
	}
	e.wantGroup("g", false)
	e.fence(r)
}

// testLocate: Locate returns the Addr of the node holding a connection,
// the same for all of a node's connections ("" for a node without one),
// and ErrConnectionNotFound once it is gone or never was. A node's other
// connections keep locating to it when one leaves, and so does a node
// that comes back to the hub after its last one left.
func testLocate(t *testing.T, e *env) {
	const addrA, addrB = "http://10.0.0.7:8080", "http://10.0.0.8:8080"
	nodeB, nodeC := e.more(), e.more()
	regs := []struct {
		node bus.Bus
		c    bus.Conn
	}{
		{e.gw, bus.Conn{Hub: e.hub, ID: "a1", User: "u1", Addr: addrA}},
		{e.gw, bus.Conn{Hub: e.hub, ID: "a2", Addr: addrA}},
		{nodeB, bus.Conn{Hub: e.hub, ID: "b1", User: "u1", Addr: addrB}},
		{nodeC, bus.Conn{Hub: e.hub, ID: "c1", User: "u2"}},
	}
	for _, r := range regs {
		_, err := r.node.Register(e.ctx, r.c)
		e.ok("Register "+r.c.ID, err)
		t.Cleanup(func() { _ = r.node.Unregister(context.Background(), e.hub, r.c.ID) })
	}
	e.wantLocate(map[string]string{"a1": addrA, "a2": addrA, "b1": addrB, "c1": ""})
	e.unregister("a1")
	e.ok("Unregister b1", nodeB.Unregister(e.ctx, e.hub, "b1"))
	e.wantLocate(map[string]string{"a2": addrA, "c1": ""})
	for _, id := range []string{"a1", "b1", "never-registered"} {
		if _, err := e.api.Locate(e.ctx, e.hub, id); !errors.Is(err, bus.ErrConnectionNotFound) {
			t.Errorf("Locate %s = %v, want ErrConnectionNotFound", id, err)
		}
	}
	// The node comes back to the hub with a new connection: located again.
	_, err := nodeB.Register(e.ctx, bus.Conn{Hub: e.hub, ID: "b2", Addr: addrB})
	e.ok("Register b2", err)
	e.wantLocate(map[string]string{"b2": addrB})
	if _, err := e.api.Locate(e.ctx, "", "a2"); !errors.Is(err, bus.ErrInvalidArgument) {
		t.Errorf("Locate with an empty hub = %v, want ErrInvalidArgument", err)
	}
	e.unregister("a2")
	e.ok("Unregister b2", nodeB.Unregister(e.ctx, e.hub, "b2"))
	e.ok("Unregister c1", nodeC.Unregister(e.ctx, e.hub, "c1"))
}

// wantLocate checks what Locate returns for each connection of want.
func (e *env) wantLocate(want map[string]string) {
	e.t.Helper()
	for id, addr := range want {
		got, err := e.api.Locate(e.ctx, e.hub, id)
		e.ok("Locate "+id, err)
		if got != addr {
			e.t.Errorf("Locate %s = %q, want %q", id, got, addr)
		}
	}
}
