package redisbus_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
)

// failFast is how long a call may take to fail while Redis is down.
const failFast = 3 * time.Second

// TestRedisRestart stops Redis under two nodes and the functions' bus:
// every call fails with ErrUnavailable, quickly; after Redis comes back
// (empty) the same Buses work again, the subscription is restored and
// delivers, and the gateway's connections are registered again.
func TestRedisRestart(t *testing.T) {
	srv := redistest.Start(t)
	rdb := newClient(t, srv.URL())
	d := newDeployment(t, rdb)
	gw := d.node(fast)
	other := d.node(fast)
	fn := d.node(redisbus.Config{Stateless: true})
	ctx := t.Context()
	r := record(t, gw, "chat")
	_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c1", User: "u1"})
	must(t, err)
	must(t, fn.Publish(ctx, send("chat", bus.ScopeAll, "", "before")))
	if e := r.next(t, 2*time.Second); e.Message.Target != "before" {
		t.Fatalf("got %+v", e)
	}

	srv.Stop()
	presence := func(_ bool, err error) error { return err }
	calls := []struct {
		name string
		f    func(ctx context.Context) error
	}{
		{"Ping", fn.Ping},
		{"Ping gateway", gw.Ping},
		{"Publish", func(ctx context.Context) error { return fn.Publish(ctx, send("chat", bus.ScopeAll, "", "lost")) }},
		{"AddToGroup", func(ctx context.Context) error { return fn.AddToGroup(ctx, "chat", "g", "c1") }},
		{"AddUserToGroup", func(ctx context.Context) error { return fn.AddUserToGroup(ctx, "chat", "g", "u1", time.Minute) }},
		{"RemoveUserFromAllGroups", func(ctx context.Context) error { return fn.RemoveUserFromAllGroups(ctx, "chat", "u1") }},
		{"ConnectionExists", func(ctx context.Context) error { return presence(fn.ConnectionExists(ctx, "chat", "c1")) }},
		{"UserInGroup", func(ctx context.Context) error { return presence(fn.UserInGroup(ctx, "chat", "g", "u1")) }},
		{"LiveNodes", func(ctx context.Context) error { _, err := fn.LiveNodes(ctx); return err }},
		{"Register in a subscribed hub", func(ctx context.Context) error {
			_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c2"})
			return err
		}},
		{"Register in a new hub", func(ctx context.Context) error {
			_, err := other.Register(ctx, bus.Conn{Hub: "news", ID: "n1"})
			return err
		}},
		{"Unregister", func(ctx context.Context) error { return gw.Unregister(ctx, "chat", "gone") }},
	}
	var slowest time.Duration
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		start := time.Now()
		err := c.f(ctx)
		took := time.Since(start)
		slowest = max(slowest, took)
		cancel()
		if !errors.Is(err, bus.ErrUnavailable) {
			t.Errorf("%s while Redis is down = %v, want ErrUnavailable", c.name, err)
		}
		if took > failFast {
			t.Errorf("%s took %v to fail, want under %v", c.name, took, failFast)
		}
	}
	t.Logf("while Redis was down the slowest call failed in %v", slowest.Round(time.Millisecond))

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "Ping after restart", func() error { return fn.Ping(ctx) })
	// The subscription comes back without any call on gw: publish until
	// a marker arrives (Publish fails with ErrUnavailable until the nodes
	// are subscribed and registered again: TestDurabilityRestartEmpty).
	eventually(t, 15*time.Second, "subscription restored", func() error {
		if err := fn.Publish(ctx, send("chat", bus.ScopeAll, "", "after")); err != nil {
			return err // refused until the nodes are subscribed and registered again
		}
		select {
		case e := <-r.ch:
			if e.Message == nil || e.Message.Target != "after" {
				t.Fatalf("after restart got %+v", e)
			}
			return nil
		case <-time.After(100 * time.Millisecond):
			return errors.New("no envelope")
		}
	})
	// Redis restarted empty: the heartbeat notices and registers c1 again.
	eventually(t, 10*time.Second, "connection registered again", func() error {
		if ok, err := fn.ConnectionExists(ctx, "chat", "c1"); err != nil || !ok {
			return fmt.Errorf("ConnectionExists(c1) = %v, %v", ok, err)
		}
		return nil
	})
	eventually(t, 5*time.Second, "both nodes alive", func() error {
		if n, _ := fn.LiveNodes(ctx); n != 2 {
			return fmt.Errorf("LiveNodes = %d", n)
		}
		return nil
	})
	// Everything works on the same Buses: membership, ordering, a new hub.
	r.skip(t, fn)
	must(t, fn.AddToGroup(ctx, "chat", "g", "c1"))
	must(t, fn.Publish(ctx, send("chat", bus.ScopeGroup, "g", "to-group")))
	if e := r.next(t, 2*time.Second); e.Kind != bus.KindAddToGroup {
		t.Fatalf("got %+v, want add-to-group", e)
	}
	if e := r.next(t, 2*time.Second); e.Message == nil || e.Message.Target != "to-group" {
		t.Fatalf("got %+v, want to-group", e)
	}
	rn := record(t, other, "news")
	_, err = other.Register(ctx, bus.Conn{Hub: "news", ID: "n1", User: "u9"})
	must(t, err)
	must(t, fn.Publish(ctx, send("news", bus.ScopeUser, "u9", "news")))
	if e := rn.next(t, 2*time.Second); e.Message == nil || e.Message.Target != "news" {
		t.Fatalf("got %+v", e)
	}
}

// TestStartWithoutRedis: a gateway node created while Redis is down fails
// its calls with ErrUnavailable and starts working once Redis is up.
func TestStartWithoutRedis(t *testing.T) {
	srv := redistest.Start(t)
	srv.Stop()
	rdb := newClient(t, srv.URL())
	d := newDeployment(t, rdb)
	gw := d.node(fast)
	ctx := t.Context()
	if _, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c1"}); !errors.Is(err, bus.ErrUnavailable) {
		t.Fatalf("Register without Redis = %v, want ErrUnavailable", err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	r := record(t, gw, "chat")
	eventually(t, 10*time.Second, "Register once Redis is up", func() error {
		_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c1"})
		return err
	})
	must(t, gw.Publish(ctx, send("chat", bus.ScopeConnection, "c1", "hi")))
	if e := r.next(t, 2*time.Second); e.Message == nil || e.Message.Target != "hi" {
		t.Fatalf("got %+v", e)
	}
}

// TestSubscriptionConnectionKilled: when Redis drops the subscription
// connection, the node reconnects, re-subscribes its hubs and delivers
// again.
func TestSubscriptionConnectionKilled(t *testing.T) {
	srv := redistest.Start(t)
	rdb := newClient(t, srv.URL())
	d := newDeployment(t, rdb)
	gw := d.node(fast)
	ctx := t.Context()
	r := record(t, gw, "chat")
	_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c1"})
	must(t, err)
	must(t, rdb.ClientKillByFilter(ctx, "TYPE", "pubsub").Err())
	eventually(t, 10*time.Second, "delivery after the kill", func() error {
		if err := gw.Publish(ctx, send("chat", bus.ScopeAll, "", "x")); err != nil {
			return err // refused while the node resubscribes
		}
		select {
		case <-r.ch:
			return nil
		case <-time.After(50 * time.Millisecond):
			return errors.New("nothing delivered")
		}
	})
}

// TestSubscriptionConnectionStalled: a subscription connection that stops
// answering while Redis answers on other connections (here: a proxy
// freezes it) is replaced, and delivery resumes.
func TestSubscriptionConnectionStalled(t *testing.T) {
	srv := redistest.Start(t)
	px := newFreezer(t, srv.Addr())
	rdb := newClient(t, "redis://"+px.addr())
	d := newDeployment(t, rdb)
	logs := &testsupport.Buffer{}
	cfg := fast
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	gw := d.node(cfg)
	ctx := t.Context()
	r := record(t, gw, "chat")
	_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c1"})
	must(t, err)
	px.freezeSubscribers()
	eventually(t, 10*time.Second, "delivery after the stall", func() error {
		if err := gw.Publish(ctx, send("chat", bus.ScopeAll, "", "x")); err != nil {
			return err // refused while the node resubscribes
		}
		select {
		case <-r.ch:
			return nil
		case <-time.After(50 * time.Millisecond):
			return errors.New("nothing delivered")
		}
	})
	for _, want := range []string{"did not answer a ping", "subscription connection restored"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

// TestRedisStalledKeepsSubscription: when Redis itself stops answering
// (CLIENT PAUSE ALL for longer than two HeartbeatIntervals), the node keeps
// its subscription connection rather than replacing it: what Redis sends
// on it once it resumes still arrives.
func TestRedisStalledKeepsSubscription(t *testing.T) {
	srv := redistest.Start(t)
	rdb := newClient(t, srv.URL())
	d := newDeployment(t, rdb)
	logs := &testsupport.Buffer{}
	cfg := fast
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	gw := d.node(cfg)
	ctx := t.Context()
	r := record(t, gw, "chat")
	_, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: "c1"})
	must(t, err)
	must(t, rdb.ClientPause(ctx, time.Second).Err())
	time.Sleep(1100 * time.Millisecond)
	// The pause outlived the node TTL: Publish is refused while the
	// deployment warms up again (see TestDurabilityPause).
	eventually(t, 5*time.Second, "Publish accepted again", func() error {
		return gw.Publish(ctx, send("chat", bus.ScopeAll, "", "x"))
	})
	if e := r.next(t, 2*time.Second); e.Message == nil || e.Message.Target != "x" {
		t.Fatalf("got %+v", e)
	}
	if !strings.Contains(logs.String(), "Redis does not answer") {
		t.Errorf("logs lack the stall:\n%s", logs)
	}
	if strings.Contains(logs.String(), "subscription connection lost") {
		t.Errorf("the subscription connection was replaced during the stall:\n%s", logs)
	}
}
