package redisbus_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
)

// TestGroupConnections pages through a small and a large group: pages
// never exceed max, every member is listed once with its user, and the
// last page ends the listing.
func TestGroupConnections(t *testing.T) {
	ctx := t.Context()
	d := newDeployment(t, newClient(t, ""))
	gw := d.node(redisbus.Config{})
	fn := d.node(redisbus.Config{Stateless: true})
	const big = 1200
	for i := range big {
		id := fmt.Sprintf("c%04d", i)
		user := ""
		if i%5 != 0 {
			user = fmt.Sprint("u", i%7)
		}
		_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: id, User: user})
		must(t, err)
		must(t, fn.AddToGroup(ctx, "chat", "big", id))
		if i < 5 {
			must(t, fn.AddToGroup(ctx, "chat", "small", id))
		}
	}
	for _, tc := range []struct {
		group    string
		max, all int
	}{{"small", 2, 5}, {"small", 10, 5}, {"big", 100, big}, {"big", 7, big}, {"big", 5000, big}} {
		t.Run(fmt.Sprintf("%s/%d", tc.group, tc.max), func(t *testing.T) {
			seen := make(map[string]bool)
			cursor, pages := "", 0
			for {
				ms, next, err := fn.GroupConnections(ctx, "chat", tc.group, tc.max, cursor)
				must(t, err)
				if pages++; pages > tc.all+10 {
					t.Fatal("listing does not end")
				}
				if len(ms) > min(tc.max, redisbus.MaxPageSize) {
					t.Fatalf("page of %d members, max %d", len(ms), tc.max)
				}
				for _, m := range ms {
					if seen[m.ConnectionID] {
						t.Fatalf("%s listed twice", m.ConnectionID)
					}
					seen[m.ConnectionID] = true
					var i int
					fmt.Sscanf(m.ConnectionID, "c%d", &i)
					want := ""
					if i%5 != 0 {
						want = fmt.Sprint("u", i%7)
					}
					if m.UserID != want {
						t.Fatalf("%s has user %q, want %q", m.ConnectionID, m.UserID, want)
					}
				}
				if next == "" {
					break
				}
				cursor = next
			}
			if len(seen) != tc.all {
				t.Fatalf("listed %d members, want %d", len(seen), tc.all)
			}
			t.Logf("%d pages", pages)
		})
	}
	ms, next, err := fn.GroupConnections(ctx, "chat", "nobody", 10, "")
	if err != nil || len(ms) != 0 || next != "" {
		t.Errorf("empty group = %v, %q, %v", ms, next, err)
	}
	for _, bad := range []struct {
		max    int
		cursor string
	}{{0, ""}, {-1, ""}, {10, "garbage"}, {10, "12"}, {10, ":x"}} {
		if _, _, err := fn.GroupConnections(ctx, "chat", "big", bad.max, bad.cursor); !errors.Is(err, bus.ErrInvalidArgument) {
			t.Errorf("GroupConnections(max %d, cursor %q) = %v, want ErrInvalidArgument", bad.max, bad.cursor, err)
		}
	}
}

// TestCounts: connections per hub, group and user.
func TestCounts(t *testing.T) {
	ctx := t.Context()
	d := newDeployment(t, newClient(t, ""))
	gw := d.node(redisbus.Config{})
	for i, u := range []string{"a", "a", "b", ""} {
		_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: fmt.Sprint("c", i), User: u})
		must(t, err)
	}
	must(t, gw.AddToGroup(ctx, "chat", "g", "c0"))
	must(t, gw.AddUserToGroup(ctx, "chat", "g", "b", -1))
	counts := []struct {
		what string
		f    func() (int, error)
		want int
	}{
		{"ConnectionCount", func() (int, error) { return gw.ConnectionCount(ctx, "chat") }, 4},
		{"ConnectionCount other hub", func() (int, error) { return gw.ConnectionCount(ctx, "other") }, 0},
		{"GroupCount g", func() (int, error) { return gw.GroupCount(ctx, "chat", "g") }, 2},
		{"GroupCount h", func() (int, error) { return gw.GroupCount(ctx, "chat", "h") }, 0},
		{"UserCount a", func() (int, error) { return gw.UserCount(ctx, "chat", "a") }, 2},
		{"UserCount b", func() (int, error) { return gw.UserCount(ctx, "chat", "b") }, 1},
		{"UserCount z", func() (int, error) { return gw.UserCount(ctx, "chat", "z") }, 0},
	}
	for _, c := range counts {
		if n, err := c.f(); err != nil || n != c.want {
			t.Errorf("%s = %d, %v; want %d", c.what, n, err, c.want)
		}
	}
	if _, err := gw.GroupCount(ctx, "chat", ""); !errors.Is(err, bus.ErrInvalidArgument) {
		t.Errorf("GroupCount without group = %v", err)
	}
	if _, err := gw.ConnectionCount(ctx, "bad{hub}"); !errors.Is(err, bus.ErrInvalidArgument) {
		t.Errorf("ConnectionCount of a hub with braces = %v", err)
	}
}

// TestKeyLayout pins the key layout documented in doc.go: every key of a
// hub carries the hub's hash tag, and an emptied hub leaves no key.
func TestKeyLayout(t *testing.T) {
	ctx := t.Context()
	d := newDeployment(t, newClient(t, ""))
	gw := d.node(redisbus.Config{})
	rdb, p := d.rdb, d.prefix
	_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c1", User: "alice"})
	must(t, err)
	must(t, gw.AddToGroup(ctx, "chat", "room", "c1"))
	must(t, gw.AddUserToGroup(ctx, "chat", "vip", "alice", -1))
	must(t, gw.AddUserToGroup(ctx, "chat", "trial", "alice", time.Hour))
	node := gw.NodeID()
	want := []string{
		p + ":{h:chat}:conns",
		p + ":{h:chat}:node",
		p + ":{h:chat}:n:" + node,
		p + ":{h:chat}:u:alice",
		p + ":{h:chat}:g:room",
		p + ":{h:chat}:g:vip",
		p + ":{h:chat}:g:trial",
		p + ":{h:chat}:cg:c1",
		p + ":{h:chat}:ug:alice",
		p + ":{h:chat}:ugn:alice", // alice was added to a group without ttl
		p + ":{h:chat}:exp",
		p + ":{h:chat}:live",
		p + ":{nodes}:hubs:" + node,
		p + ":{nodes}:epoch",
		p + ":{nodes}:pernodeaddr",
		p + ":{expiry}:due",
		p + ":{expiry}:version",
	}
	got := allKeys(t, rdb, p+":*")
	got = slices.DeleteFunc(got, func(k string) bool { return k == p+":{nodes}:alive" }) // written asynchronously
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("keys:\n%q\nwant\n%q", got, want)
	}
	if v := rdb.HGet(ctx, p+":{h:chat}:conns", "c1").Val(); v != "alice" {
		t.Errorf("conns[c1] = %q", v)
	}
	if ch := gw.Channel("chat"); ch != p+":{h:chat}:ch" {
		t.Errorf("channel %q", ch)
	}
	must(t, gw.RemoveUserFromAllGroups(ctx, "chat", "alice"))
	must(t, gw.Unregister(ctx, "chat", "c1"))
	if left := allKeys(t, rdb, p+":{h:chat}:*"); len(left) != 0 {
		t.Errorf("an emptied hub left keys %q", left)
	}
}

// TestSubscriptionFollowsConnections: a node subscribes to a hub's channel
// with its first connection there and unsubscribes with its last.
func TestSubscriptionFollowsConnections(t *testing.T) {
	ctx := t.Context()
	d := newDeployment(t, newClient(t, ""))
	gw := d.node(redisbus.Config{})
	subscribers := func() int64 {
		return numSub(t, d.rdb, gw.Channel("chat"))
	}
	if n := subscribers(); n != 0 {
		t.Fatalf("%d subscribers before any connection", n)
	}
	for _, id := range []string{"c1", "c2"} {
		_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: id})
		must(t, err)
		if n := subscribers(); n != 1 {
			t.Fatalf("%d subscribers after Register %s, want 1", n, id)
		}
	}
	_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c1"})
	if !errors.Is(err, bus.ErrConnectionExists) {
		t.Fatalf("duplicate Register = %v", err)
	}
	must(t, gw.Unregister(ctx, "chat", "c1"))
	if n := subscribers(); n != 1 {
		t.Fatalf("%d subscribers with one connection left, want 1", n)
	}
	must(t, gw.Unregister(ctx, "chat", "c2"))
	eventually(t, 2*time.Second, "unsubscribed", func() error {
		if n := subscribers(); n != 0 {
			return fmt.Errorf("%d subscribers", n)
		}
		return nil
	})
}

// TestArgumentsKeptAsGiven: message arguments reach subscribers as the
// caller wrote them (compacted), without HTML escaping.
func TestArgumentsKeptAsGiven(t *testing.T) {
	ctx := t.Context()
	d := newDeployment(t, newClient(t, ""))
	gw := d.node(redisbus.Config{})
	r := record(t, gw, "chat")
	_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c1"})
	must(t, err)
	e := send("chat", bus.ScopeAll, "", "t")
	e.Message.Arguments = []byte(`["<b>&</b>", {"k": "é\u00e9"}]`)
	must(t, gw.Publish(ctx, e))
	if got := string(r.next(t, 2*time.Second).Message.Arguments); got != `["<b>&</b>",{"k":"é\u00e9"}]` {
		t.Errorf("arguments %s", got)
	}
}
