package redisbus_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
)

// TestExpirySweptOnce: two nodes sweep every 10 ms; each expired
// user-level membership is removed and delivered exactly once, to the
// subscribers of both nodes.
func TestExpirySweptOnce(t *testing.T) {
	const users = 20
	ctx := t.Context()
	d := newDeployment(t, newClient(t, ""))
	cfg := redisbus.Config{SweepInterval: 10 * time.Millisecond}
	a, b := d.node(cfg), d.node(cfg)
	fn := d.node(redisbus.Config{Stateless: true})
	ra, rb := record(t, a, "chat"), record(t, b, "chat")
	_, err := b.Register(ctx, bus.Conn{Hub: "chat", ID: "watcher"})
	must(t, err)
	for i := range users {
		_, err := a.Register(ctx, bus.Conn{Hub: "chat", ID: fmt.Sprint("c", i), User: fmt.Sprint("u", i)})
		must(t, err)
	}
	for i := range users {
		must(t, fn.AddUserToGroup(ctx, "chat", fmt.Sprint("g", i%3), fmt.Sprint("u", i), 200*time.Millisecond))
	}
	for _, r := range []*recorder{ra, rb} {
		removed := make(map[string]int)
		for range users * 2 {
			e := r.next(t, 5*time.Second)
			switch e.Kind {
			case bus.KindAddToGroup:
			case bus.KindRemoveFromGroup:
				if e.Scope != bus.ScopeUser {
					t.Fatalf("removal %+v, want scope user", e)
				}
				removed[e.ID+"/"+e.Group]++
			default:
				t.Fatalf("unexpected %+v", e)
			}
		}
		if len(removed) != users {
			t.Fatalf("saw %d removals, want %d: %v", len(removed), users, removed)
		}
		for k, n := range removed {
			if n != 1 {
				t.Errorf("removal %s delivered %d times", k, n)
			}
		}
	}
	// Nothing more comes: a fence published now is next on both nodes.
	must(t, fn.Publish(ctx, send("chat", bus.ScopeAll, "", "fence")))
	for _, r := range []*recorder{ra, rb} {
		if e := r.next(t, 2*time.Second); e.Kind != bus.KindSend || e.Message.Target != "fence" {
			t.Fatalf("after the removals got %+v, want the fence", e)
		}
	}
	for g := range 3 {
		if ok, err := fn.GroupExists(ctx, "chat", fmt.Sprint("g", g)); err != nil || ok {
			t.Errorf("GroupExists g%d = %v, %v; want false", g, ok, err)
		}
	}
	if ok, err := fn.UserInGroup(ctx, "chat", "g0", "u0"); err != nil || ok {
		t.Errorf("UserInGroup after expiry = %v, %v", ok, err)
	}
	eventually(t, 2*time.Second, "expiry index empty again", func() error {
		if n := d.rdb.ZCard(ctx, d.prefix+":{expiry}:due").Val(); n != 0 {
			return fmt.Errorf("expiry index holds %d hubs", n)
		}
		return nil
	})
}

// TestExpiredMembershipStopsCountingAtOnce: before any sweep, an expired
// membership no longer counts for UserInGroup and Register.
func TestExpiredMembershipStopsCountingAtOnce(t *testing.T) {
	ctx := t.Context()
	d := newDeployment(t, newClient(t, ""))
	gw := d.node(redisbus.Config{SweepInterval: time.Hour})
	must(t, gw.AddUserToGroup(ctx, "chat", "g", "u1", 50*time.Millisecond))
	if ok, _ := gw.UserInGroup(ctx, "chat", "g", "u1"); !ok {
		t.Fatal("membership not active")
	}
	time.Sleep(100 * time.Millisecond)
	if ok, _ := gw.UserInGroup(ctx, "chat", "g", "u1"); ok {
		t.Error("expired membership still counts")
	}
	groups, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c1", User: "u1"})
	if err != nil || len(groups) != 0 {
		t.Errorf("Register = %q, %v; want no groups", groups, err)
	}
}

// TestUserGroupWithoutTTLLastsAYear: a user-level membership added without
// ttl is recorded with an expiry bus.UserGroupLifetime from now on the
// Redis server's clock (and scheduled for the sweep), not forever.
func TestUserGroupWithoutTTLLastsAYear(t *testing.T) {
	ctx := t.Context()
	d := newDeployment(t, newClient(t, ""))
	fn := d.node(redisbus.Config{SweepInterval: time.Hour})
	before := time.Now()
	must(t, fn.AddUserToGroup(ctx, "chat", "g", "u1", -1))
	score, err := d.rdb.ZScore(ctx, fn.HubKey("chat", "ug:u1"), "g").Result()
	must(t, err)
	expires := time.UnixMilli(int64(score))
	want := before.Add(bus.UserGroupLifetime)
	if d := expires.Sub(want); d < -time.Minute || d > time.Minute {
		t.Fatalf("membership expires at %v, want about %v", expires, want)
	}
	if n := d.rdb.ZCard(ctx, fn.HubKey("chat", "exp")).Val(); n != 1 {
		t.Fatalf("expiry zset holds %d entries, want 1", n)
	}
}
