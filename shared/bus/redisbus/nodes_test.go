package redisbus_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
)

// fast makes a gateway node notice and reap dead nodes within about a
// second.
var fast = redisbus.Config{HeartbeatInterval: 100 * time.Millisecond, NodeTTL: 500 * time.Millisecond}

// TestStatelessFunctions: the functions' stateless Bus publishes, changes
// membership and answers existence checks for connections a gateway node
// holds, and refuses to hold connections itself.
func TestStatelessFunctions(t *testing.T) {
	ctx := t.Context()
	d := newDeployment(t, newClient(t, ""))
	gw := d.node(redisbus.Config{})
	fn := d.node(redisbus.Config{Stateless: true})
	r := record(t, gw, "chat")
	_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c1", User: "alice"})
	must(t, err)

	ok, err := fn.ConnectionExists(ctx, "chat", "c1")
	if err != nil || !ok {
		t.Fatalf("ConnectionExists from functions = %v, %v", ok, err)
	}
	must(t, fn.AddToGroup(ctx, "chat", "room", "c1"))
	must(t, fn.Publish(ctx, send("chat", bus.ScopeGroup, "room", "hello")))
	if e := r.next(t, 2*time.Second); e.Kind != bus.KindAddToGroup || e.ID != "c1" || e.Group != "room" {
		t.Fatalf("first envelope %+v, want add-to-group c1 room", e)
	}
	if e := r.next(t, 2*time.Second); e.Kind != bus.KindSend || e.Message.Target != "hello" {
		t.Fatalf("second envelope %+v, want send hello", e)
	}

	if _, err := fn.Register(ctx, bus.Conn{Hub: "chat", ID: "c2"}); !errors.Is(err, redisbus.ErrStateless) {
		t.Errorf("Register on stateless = %v, want ErrStateless", err)
	}
	if _, err := fn.Subscribe(ctx, func(*bus.Envelope) {}); !errors.Is(err, redisbus.ErrStateless) {
		t.Errorf("Subscribe on stateless = %v, want ErrStateless", err)
	}
	eventually(t, 5*time.Second, "LiveNodes = 1", func() error {
		n, err := fn.LiveNodes(ctx)
		if err == nil && n != 1 {
			err = fmt.Errorf("LiveNodes = %d", n)
		}
		return err
	})
}

// TestDeadNodeReaped: a node that dies without cleanup loses its
// connections from presence and groups within NodeTTL + HeartbeatInterval;
// its users' user-level memberships stay, and the reaping leaves no node
// key behind.
func TestDeadNodeReaped(t *testing.T) {
	ctx := t.Context()
	rdb := newClient(t, "")
	d := newDeployment(t, rdb)
	alive := d.node(fast)
	doomed := d.node(fast)
	fn := d.node(redisbus.Config{Stateless: true})
	for i, u := range []string{"u1", "u1", "u2"} {
		_, err := doomed.Register(ctx, bus.Conn{Hub: "chat", ID: fmt.Sprint("c", i), User: u})
		must(t, err)
	}
	_, err := alive.Register(ctx, bus.Conn{Hub: "chat", ID: "kept", User: "u3"})
	must(t, err)
	must(t, fn.AddToGroup(ctx, "chat", "room", "c0"))
	must(t, fn.AddToGroup(ctx, "chat", "room", "kept"))
	must(t, fn.AddUserToGroup(ctx, "chat", "vip", "u1", -1))
	eventually(t, 2*time.Second, "two live nodes", func() error {
		if n, _ := fn.LiveNodes(ctx); n != 2 {
			return fmt.Errorf("LiveNodes = %d", n)
		}
		return nil
	})
	doomedID := doomed.NodeID()

	start := time.Now()
	doomed.Kill()
	eventually(t, 5*time.Second, "dead node's connection gone", func() error {
		if ok, err := fn.ConnectionExists(ctx, "chat", "c0"); err != nil || ok {
			return fmt.Errorf("ConnectionExists(c0) = %v, %v", ok, err)
		}
		return nil
	})
	t.Logf("reaped %v after the kill (NodeTTL %v, HeartbeatInterval %v)", time.Since(start).Round(time.Millisecond), fast.NodeTTL, fast.HeartbeatInterval)

	checks := []struct {
		what string
		f    func() (bool, error)
		want bool
	}{
		{"ConnectionExists c1", func() (bool, error) { return fn.ConnectionExists(ctx, "chat", "c1") }, false},
		{"ConnectionExists c2", func() (bool, error) { return fn.ConnectionExists(ctx, "chat", "c2") }, false},
		{"UserExists u1", func() (bool, error) { return fn.UserExists(ctx, "chat", "u1") }, false},
		{"UserExists u2", func() (bool, error) { return fn.UserExists(ctx, "chat", "u2") }, false},
		{"ConnectionExists kept", func() (bool, error) { return fn.ConnectionExists(ctx, "chat", "kept") }, true},
		{"GroupExists room (kept is in it)", func() (bool, error) { return fn.GroupExists(ctx, "chat", "room") }, true},
		{"GroupExists vip", func() (bool, error) { return fn.GroupExists(ctx, "chat", "vip") }, false},
		{"UserInGroup vip u1 (user-level membership stays)", func() (bool, error) { return fn.UserInGroup(ctx, "chat", "vip", "u1") }, true},
	}
	for _, c := range checks {
		if got, err := c.f(); err != nil || got != c.want {
			t.Errorf("%s = %v, %v; want %v", c.what, got, err, c.want)
		}
	}
	if n, err := fn.GroupCount(ctx, "chat", "room"); err != nil || n != 1 {
		t.Errorf("GroupCount room = %d, %v; want 1", n, err)
	}
	if n, err := fn.LiveNodes(ctx); err != nil || n != 1 {
		t.Errorf("LiveNodes = %d, %v; want 1", n, err)
	}
	eventually(t, 2*time.Second, "reaping done", func() error {
		if n := rdb.Exists(ctx, alive.NodeHubsKey(doomedID), alive.HubKey("chat", "n:"+doomedID)).Val(); n != 0 {
			return fmt.Errorf("%d keys of the dead node remain", n)
		}
		if n := rdb.ZCard(ctx, d.prefix+":{nodes}:reaping").Val(); n != 0 {
			return fmt.Errorf("%d reapings left", n)
		}
		return nil
	})

	// The user-level membership still applies to the user's next
	// connection, wherever it opens.
	groups, err := alive.Register(ctx, bus.Conn{Hub: "chat", ID: "c9", User: "u1"})
	if err != nil || len(groups) != 1 || groups[0] != "vip" {
		t.Fatalf("Register after the reaping = %q, %v; want [vip]", groups, err)
	}
}

// TestNodeReregistersWhenForgotten: a live node that Redis forgot (here:
// reaped by others while it was cut off) registers its connections again
// under a new incarnation, and they can be managed as before.
func TestNodeReregistersWhenForgotten(t *testing.T) {
	ctx := t.Context()
	rdb := newClient(t, "")
	d := newDeployment(t, rdb)
	gw := d.node(fast)
	fn := d.node(redisbus.Config{Stateless: true})
	for _, id := range []string{"c1", "c2"} {
		_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: id, User: "u-" + id, Addr: "http://gw:8080"})
		must(t, err)
	}
	old := gw.NodeID()
	// What another node's reaper does to a node whose heartbeat ran out:
	// claim it, then drop its connections. (The node's heartbeat may
	// re-register them before or after the drop; either way they end up
	// registered under the new incarnation.)
	must(t, rdb.ZRem(ctx, gw.NodesKey(), old).Err())
	must(t, fn.ReapNode(ctx, old))
	eventually(t, 5*time.Second, "reaped and re-registered under a new incarnation", func() error {
		if gw.NodeID() == old {
			return errors.New("same incarnation")
		}
		for _, id := range []string{"c1", "c2"} {
			if ok, err := fn.ConnectionExists(ctx, "chat", id); err != nil || !ok {
				return fmt.Errorf("ConnectionExists(%s) = %v, %v", id, ok, err)
			}
		}
		if ok, _ := fn.UserExists(ctx, "chat", "u-c1"); !ok {
			return errors.New("user u-c1 missing")
		}
		if addr, err := fn.Locate(ctx, "chat", "c2"); err != nil || addr != "http://gw:8080" {
			return fmt.Errorf("Locate(c2) = %q, %v", addr, err)
		}
		// The old incarnation's address goes with its last connection.
		if addrs := rdb.HGetAll(ctx, gw.HubKey("chat", "nodeaddr")).Val(); len(addrs) != 1 || addrs[gw.NodeID()] != "http://gw:8080" {
			return fmt.Errorf("node addresses %v", addrs)
		}
		return nil
	})
	if node := rdb.HGet(ctx, gw.HubKey("chat", "node"), "c1").Val(); node != gw.NodeID() {
		t.Errorf("c1 is held by %q, want %q", node, gw.NodeID())
	}
	must(t, fn.AddToGroup(ctx, "chat", "g", "c1"))
	must(t, gw.Unregister(ctx, "chat", "c1"))
	if ok, _ := fn.GroupExists(ctx, "chat", "g"); ok {
		t.Error("group still exists after its only connection left")
	}
	if n, _ := fn.LiveNodes(ctx); n != 1 {
		t.Errorf("LiveNodes = %d, want 1", n)
	}
}

// TestCloseLeavesNothing: Close marks the node dead at once and removes
// what it still held; the node's keys and the hub's keys disappear.
func TestCloseLeavesNothing(t *testing.T) {
	ctx := t.Context()
	rdb := newClient(t, "")
	d := newDeployment(t, rdb)
	gw := d.node(redisbus.Config{})
	fn := d.node(redisbus.Config{Stateless: true})
	_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c1", User: "u1", Addr: "http://gw:8080"})
	must(t, err)
	must(t, fn.AddToGroup(ctx, "chat", "g", "c1"))
	eventually(t, 2*time.Second, "node alive", func() error {
		if n, _ := fn.LiveNodes(ctx); n != 1 {
			return fmt.Errorf("LiveNodes = %d", n)
		}
		return nil
	})
	must(t, gw.Close())
	// A stateless bus reuses a positive count for liveCacheTTL (250 ms):
	// the node is gone from Redis at once, from the count soon after.
	eventually(t, 2*time.Second, "LiveNodes 0 after Close", func() error {
		if n, _ := fn.LiveNodes(ctx); n != 0 {
			return fmt.Errorf("LiveNodes after Close = %d, want 0", n)
		}
		return nil
	})
	if ok, _ := fn.ConnectionExists(ctx, "chat", "c1"); ok {
		t.Error("connection left behind by Close")
	}
	keys := allKeys(t, rdb, d.prefix+":*")
	if len(keys) != 0 {
		t.Errorf("keys left behind: %q", keys)
	}
}
