package redisbus_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
)

// wantNodeAddrs checks the hub's node → address records.
func wantNodeAddrs(t *testing.T, rdb redis.UniversalClient, b *redisbus.Bus, hub string, want map[string]string) {
	t.Helper()
	got, err := rdb.HGetAll(t.Context(), b.HubKey(hub, "nodeaddr")).Result()
	must(t, err)
	if !maps.Equal(got, want) {
		t.Fatalf("node addresses = %v, want %v", got, want)
	}
}

// wantLocated checks what Locate returns for each connection of want.
func wantLocated(t *testing.T, b bus.Locator, hub string, want map[string]string) {
	t.Helper()
	for _, id := range slices.Sorted(maps.Keys(want)) {
		got, err := b.Locate(t.Context(), hub, id)
		if err != nil || got != want[id] {
			t.Fatalf("Locate %s = %q, %v; want %q", id, got, err, want[id])
		}
	}
}

// TestNodeAddressOncePerNode: a node's address is recorded once per hub,
// not once per connection, and lives as long as the node holds a
// connection there. A gateway restarted on another port is a new node:
// the old process's connections keep the old address until they are
// taken over (then they have the taker's) or reaped (then the old
// address goes too).
func TestNodeAddressOncePerNode(t *testing.T) {
	ctx := t.Context()
	rdb := newClient(t, "")
	d := newDeployment(t, rdb)
	const addrA, addrA2, addrB = "http://10.0.0.1:8080", "http://10.0.0.1:9090", "http://10.0.0.2:8080"
	gwA := d.node(redisbus.Config{NodeID: "gw-a"})
	gwB := d.node(redisbus.Config{NodeID: "gw-b"})
	for i := range 3 {
		_, err := gwA.Register(ctx, bus.Conn{Hub: "chat", ID: fmt.Sprint("a", i), User: fmt.Sprint("u", i), Addr: addrA})
		must(t, err)
		_, err = gwB.Register(ctx, bus.Conn{Hub: "chat", ID: fmt.Sprint("b", i), Addr: addrB})
		must(t, err)
	}
	// A registration without an address leaves the node's as it is.
	_, err := gwB.Register(ctx, bus.Conn{Hub: "chat", ID: "b-none"})
	must(t, err)
	oldA := gwA.NodeID()
	wantNodeAddrs(t, rdb, gwA, "chat", map[string]string{oldA: addrA, gwB.NodeID(): addrB})
	if n := rdb.Exists(ctx, gwA.HubKey("chat", "addr")).Val(); n != 0 {
		t.Fatal("an address is recorded per connection")
	}
	wantLocated(t, gwB, "chat", map[string]string{"a0": addrA, "a2": addrA, "b1": addrB, "b-none": addrB})

	// gw-a crashes and comes back on another port, under the same NodeID.
	gwA.Kill()
	gwA2 := d.node(redisbus.Config{NodeID: "gw-a"})
	_, err = gwA2.Register(ctx, bus.Conn{Hub: "chat", ID: "a9", Addr: addrA2})
	must(t, err)
	if gwA2.NodeID() == oldA {
		t.Fatalf("the restarted node has its old id %q", oldA)
	}
	wantLocated(t, gwB, "chat", map[string]string{"a0": addrA, "a9": addrA2})

	// The old process's live entry ran out: the new one takes a0 over.
	must(t, rdb.ZAdd(ctx, gwA.HubKey("chat", "live"), redis.Z{Score: 1, Member: oldA}).Err())
	got, err := gwA2.TakeOver(ctx, bus.Conn{Hub: "chat", ID: "a0", Addr: addrA2}, "t1")
	must(t, err)
	if got.From != addrA || got.User != "u0" {
		t.Fatalf("TakeOver = %+v, want From %q, User u0", got, addrA)
	}
	wantLocated(t, gwB, "chat", map[string]string{"a0": addrA2, "a1": addrA, "a9": addrA2})

	// Reaped, the old process leaves neither connections nor address.
	must(t, rdb.ZRem(ctx, gwB.NodesKey(), oldA).Err())
	must(t, gwB.ReapNode(ctx, oldA))
	for _, id := range []string{"a1", "a2"} {
		if _, err := gwB.Locate(ctx, "chat", id); err == nil {
			t.Fatalf("Locate %s of the reaped node = nil error", id)
		}
	}
	wantNodeAddrs(t, rdb, gwA, "chat", map[string]string{gwA2.NodeID(): addrA2, gwB.NodeID(): addrB})

	// A node's address goes with its last connection in the hub.
	for _, id := range []string{"a0", "a9"} {
		must(t, gwA2.Unregister(ctx, "chat", id))
	}
	wantNodeAddrs(t, rdb, gwA, "chat", map[string]string{gwB.NodeID(): addrB})
	for _, id := range []string{"b0", "b1", "b2", "b-none"} {
		must(t, gwB.Unregister(ctx, "chat", id))
	}
	if n := rdb.Exists(ctx, gwA.HubKey("chat", "nodeaddr")).Val(); n != 0 {
		t.Fatal("node addresses left after the hub's last connection")
	}
}

// TestLegacyConnAddress: a connection recorded by a version that kept an
// address per connection (P:{h:H}:addr) is located through it until it
// is taken over or ends, and the record goes with it. A takeover updates
// it to the taker's address, where the node of that version (handing the
// connection over while it drains) looks it up; connections recorded the
// new way get no such record.
func TestLegacyConnAddress(t *testing.T) {
	ctx := t.Context()
	rdb := newClient(t, "")
	d := newDeployment(t, rdb)
	gw := d.node(redisbus.Config{})
	fn := d.node(redisbus.Config{Stateless: true})
	_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c1", Addr: "http://new.invalid"})
	must(t, err)
	// What the older version's register wrote for a connection of its node.
	legacy := gw.NodeID() + "-old"
	pipe := rdb.TxPipeline()
	pipe.HSet(ctx, gw.HubKey("chat", "conns"), "old1", "u1", "old2", "")
	pipe.HSet(ctx, gw.HubKey("chat", "node"), "old1", legacy, "old2", legacy)
	pipe.HSet(ctx, gw.HubKey("chat", "addr"), "old1", "http://old.invalid", "old2", "http://old.invalid")
	pipe.SAdd(ctx, gw.HubKey("chat", "n:"+legacy), "old1", "old2")
	pipe.SAdd(ctx, gw.HubKey("chat", "u:u1"), "old1")
	_, err = pipe.Exec(ctx)
	must(t, err)
	wantLocated(t, fn, "chat", map[string]string{"c1": "http://new.invalid", "old1": "http://old.invalid", "old2": "http://old.invalid"})

	must(t, rdb.HSet(ctx, gw.HubKey("chat", "det"), "old1", "").Err())
	got, err := gw.TakeOver(ctx, bus.Conn{Hub: "chat", ID: "old1", Addr: "http://new.invalid"}, "t1")
	must(t, err)
	if got.From != "http://old.invalid" {
		t.Fatalf("TakeOver.From = %q, want the legacy address", got.From)
	}
	wantLocated(t, fn, "chat", map[string]string{"old1": "http://new.invalid"})
	if a := rdb.HGet(ctx, gw.HubKey("chat", "addr"), "old1").Val(); a != "http://new.invalid" {
		t.Fatalf("the older version's Locate finds %q after the takeover, want the taker", a)
	}
	must(t, gw.Unregister(ctx, "chat", "old1"))
	must(t, gw.Unregister(ctx, "chat", "old2"))
	if n := rdb.Exists(ctx, gw.HubKey("chat", "addr")).Val(); n != 0 {
		t.Fatal("legacy address records left")
	}

	// A connection recorded the new way moves without one.
	c1 := bus.Conn{Hub: "chat", ID: "c1", Addr: "http://new.invalid"}
	must(t, gw.Detach(ctx, c1, ""))
	gw2 := d.node(redisbus.Config{})
	_, err = gw2.TakeOver(ctx, bus.Conn{Hub: "chat", ID: "c1", Addr: "http://new2.invalid"}, "t2")
	must(t, err)
	wantLocated(t, fn, "chat", map[string]string{"c1": "http://new2.invalid"})
	if n := rdb.Exists(ctx, gw.HubKey("chat", "addr")).Val(); n != 0 {
		t.Fatal("a takeover recorded a per-connection address")
	}
}

// TestLegacyNodeFindsNewConnections: while a node of the version that
// kept an address per connection is alive anywhere in the deployment (a
// rolling deploy from it), connections registered the new way are
// recorded that way too, so that node can forward to them, whether or not
// it holds a connection in their hub; once it is gone, no longer.
func TestLegacyNodeFindsNewConnections(t *testing.T) {
	ctx := t.Context()
	rdb := newClient(t, "")
	d := newDeployment(t, rdb)
	gw := d.node(fast)
	waitLegacy := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for gw.LegacyAddrs() != want {
			if time.Now().After(deadline) {
				t.Fatalf("the heartbeat did not find legacy = %v", want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	perConn := func(id string) string { return rdb.HGet(ctx, gw.HubKey("chat", "addr"), id).Val() }
	_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c1", Addr: "http://new.invalid"})
	must(t, err)
	if a := perConn("c1"); a != "" {
		t.Fatalf("c1 recorded per connection (%q) with no older node alive", a)
	}
	// An older node beats, holding no connection in the hub: it is in the
	// nodes set but never in the set of nodes that keep addresses per node.
	legacy := gw.NodeID() + "-old"
	must(t, rdb.ZAdd(ctx, gw.NodesKey(), redis.Z{Score: float64(time.Now().Add(time.Hour).UnixMilli()), Member: legacy}).Err())
	waitLegacy(true)
	_, err = gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c2", Addr: "http://new.invalid"})
	must(t, err)
	if a := perConn("c2"); a != "http://new.invalid" {
		t.Fatalf("older node's lookup of c2 = %q, want the new node's address", a)
	}
	// It left: new connections are recorded once per node again.
	must(t, rdb.ZRem(ctx, gw.NodesKey(), legacy).Err())
	waitLegacy(false)
	_, err = gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c3", Addr: "http://new.invalid"})
	must(t, err)
	if a := perConn("c3"); a != "" {
		t.Fatalf("c3 recorded per connection (%q) with no older node alive", a)
	}
	for _, id := range []string{"c1", "c2", "c3"} {
		must(t, gw.Unregister(ctx, "chat", id))
	}
	if n := rdb.Exists(ctx, gw.HubKey("chat", "addr")).Val(); n != 0 {
		t.Fatal("per-connection address records left")
	}
}
