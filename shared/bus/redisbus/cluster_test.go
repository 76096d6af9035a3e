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
	"github.com/heraldrt/herald/shared/bus/bustest"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/redis/go-redis/v9"
)

// TestCluster runs the bus on a real Redis Cluster (a throwaway one of
// three masters, or REDIS_CLUSTER_URL): the conformance suite with one
// node and with two, hubs whose slots are on different masters, a dead
// node reaped across masters and a hub's slot moved to another master
// under a subscribed node.
func TestCluster(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, redistest.ClusterAddr(t))
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("NewClient(%s) = %T, want a *redis.ClusterClient", redistest.ClusterAddr(t), rdb)
	}
	t.Run("Conformance", func(t *testing.T) {
		bustest.Run(t, func(t *testing.T) func() bus.Bus {
			d := newDeployment(t, rdb)
			return func() bus.Bus {
				b, err := redisbus.New(redisbus.Config{Client: rdb, KeyPrefix: d.prefix})
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		})
	})
	t.Run("HubsOnEveryMaster", func(t *testing.T) { testHubsOnEveryMaster(t, cc) })
	t.Run("DeadNodeReaped", func(t *testing.T) { testClusterReaping(t, cc) })
	t.Run("SlotMoved", func(t *testing.T) { testSlotMoved(t, cc) })
	t.Run("SentOnce", func(t *testing.T) { testSentOnce(t, redistest.ClusterAddr(t)) })
	t.Run("LiveTrace", func(t *testing.T) { testClusterLiveTrace(t, cc) })
}

// testClusterLiveTrace: live trace events (plain pub/sub, which a Redis
// Cluster forwards to every node) published through one node reach a
// watcher on another.
func testClusterLiveTrace(t *testing.T, cc *redis.ClusterClient) {
	ctx := t.Context()
	d := newDeployment(t, cc)
	watcher, other := d.node(fast), d.node(fast)
	got := make(chan string, 1)
	stop, err := watcher.SubscribeTrace(ctx, func(p []byte) {
		select {
		case got <- string(p):
		default:
		}
	})
	must(t, err)
	defer func() { must(t, stop()) }()
	must(t, watcher.MarkTraceWatched(ctx, time.Minute))
	if ok, err := other.TraceWatched(ctx); err != nil || !ok {
		t.Fatalf("TraceWatched = %v, %v", ok, err)
	}
	must(t, other.PublishTrace(ctx, []byte(`{"e":1}`)))
	select {
	case p := <-got:
		if p != `{"e":1}` {
			t.Fatalf("got %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no trace event within 5s")
	}
}

// testSentOnce: a command whose answer times out is not sent again (the
// ClusterClient would retry it), so a script runs once.
func testSentOnce(t *testing.T, url string) {
	ctx := t.Context()
	c := newClient(t, url+"?read_timeout=100ms")
	key := redistest.KeyPrefix(t) + ":n"
	t.Cleanup(func() { newClient(t, url).Del(context.Background(), key) })
	must(t, redisbus.SlowIncr.Load(ctx, c).Err())
	if err := redisbus.SlowIncr.Run(ctx, c, []string{key}, 400000).Err(); err == nil {
		t.Fatal("the script answered before the read timeout")
	}
	n, err := newClient(t, url).Get(ctx, key).Int()
	must(t, err)
	if n != 1 {
		t.Fatalf("the script ran %d times, want once", n)
	}
}

// testHubsOnEveryMaster: two gateway nodes hold connections in hubs whose
// slots are on different masters; membership, presence and messages of
// every hub reach the right node, each node subscribes each hub on its
// master, and the subscriptions end with the hubs' last connections.
func testHubsOnEveryMaster(t *testing.T, cc *redis.ClusterClient) {
	ctx := t.Context()
	d := newDeployment(t, cc)
	gw1, gw2 := d.node(fast), d.node(fast)
	fn := d.node(redisbus.Config{Stateless: true})
	hubs := hubPerMaster(t, cc, fn)
	rec1, rec2 := make(map[string]*recorder), make(map[string]*recorder)
	for _, hub := range hubs {
		rec1[hub], rec2[hub] = record(t, gw1, hub), record(t, gw2, hub)
		_, err := gw1.Register(ctx, bus.Conn{Hub: hub, ID: "a", User: "alice"})
		must(t, err)
		_, err = gw2.Register(ctx, bus.Conn{Hub: hub, ID: "b", User: "bob"})
		must(t, err)
		if n := shardSubscribers(t, cc, fn, hub); n != 2 {
			t.Errorf("hub %s (master %s): %d subscribers on its shard, want 2", hub, masterOf(t, cc, fn, hub), n)
		}
	}
	for _, hub := range hubs {
		must(t, fn.AddToGroup(ctx, hub, "room", "a"))
		must(t, fn.AddUserToGroup(ctx, hub, "vip", "bob", -1))
		must(t, fn.Publish(ctx, send(hub, bus.ScopeGroup, "room", "to-room")))
		must(t, fn.Publish(ctx, send(hub, bus.ScopeGroup, "vip", "to-vip")))
		must(t, fn.Publish(ctx, send(hub, bus.ScopeAll, "", "to-all")))
	}
	for _, hub := range hubs {
		// Every node subscribed to the hub sees all of its envelopes, in
		// the order the calls returned.
		want := []string{"add room a", "add vip bob", "send room to-room", "send vip to-vip", "send  to-all"}
		for i, r := range []*recorder{rec1[hub], rec2[hub]} {
			for _, w := range want {
				if got := describeEnv(r.next(t, 5*time.Second)); got != w {
					t.Fatalf("hub %s, node %d: got %q, want %q", hub, i+1, got, w)
				}
			}
		}
		for what, f := range map[string]func() (bool, error){
			"ConnectionExists a":  func() (bool, error) { return fn.ConnectionExists(ctx, hub, "a") },
			"UserExists bob":      func() (bool, error) { return fn.UserExists(ctx, hub, "bob") },
			"GroupExists room":    func() (bool, error) { return fn.GroupExists(ctx, hub, "room") },
			"UserInGroup vip bob": func() (bool, error) { return fn.UserInGroup(ctx, hub, "vip", "bob") },
		} {
			if ok, err := f(); err != nil || !ok {
				t.Errorf("hub %s: %s = %v, %v", hub, what, ok, err)
			}
		}
	}
	if n, err := fn.LiveNodes(ctx); err != nil || n != 2 {
		t.Errorf("LiveNodes = %d, %v; want 2", n, err)
	}
	for _, hub := range hubs {
		must(t, gw1.Unregister(ctx, hub, "a"))
		must(t, gw2.Unregister(ctx, hub, "b"))
	}
	eventually(t, 5*time.Second, "subscriptions ended", func() error {
		for _, hub := range hubs {
			if n := shardSubscribers(t, cc, fn, hub); n != 0 {
				return fmt.Errorf("hub %s: %d subscribers", hub, n)
			}
		}
		return nil
	})
}

// testClusterReaping: a gateway node dies holding connections in hubs on
// every master; a live node reaps them all.
func testClusterReaping(t *testing.T, cc *redis.ClusterClient) {
	ctx := t.Context()
	d := newDeployment(t, cc)
	alive, doomed := d.node(fast), d.node(fast)
	fn := d.node(redisbus.Config{Stateless: true})
	hubs := hubPerMaster(t, cc, fn)
	for _, hub := range hubs {
		_, err := doomed.Register(ctx, bus.Conn{Hub: hub, ID: "gone", User: "u"})
		must(t, err)
		_, err = alive.Register(ctx, bus.Conn{Hub: hub, ID: "kept"})
		must(t, err)
	}
	doomedID := doomed.NodeID()
	doomed.Kill()
	eventually(t, 10*time.Second, "dead node's connections gone", func() error {
		for _, hub := range hubs {
			if ok, err := fn.ConnectionExists(ctx, hub, "gone"); err != nil || ok {
				return fmt.Errorf("hub %s: ConnectionExists(gone) = %v, %v", hub, ok, err)
			}
		}
		return nil
	})
	for _, hub := range hubs {
		if ok, err := fn.ConnectionExists(ctx, hub, "kept"); err != nil || !ok {
			t.Errorf("hub %s: ConnectionExists(kept) = %v, %v", hub, ok, err)
		}
	}
	eventually(t, 5*time.Second, "reaping done", func() error {
		if n := cc.Exists(ctx, alive.NodeHubsKey(doomedID)).Val(); n != 0 {
			return errors.New("the dead node's hub set remains")
		}
		return nil
	})
}

// testSlotMoved: the slot of a hub moves to another master (as resharding
// does) while a node holds a connection in it. The old master ends the
// node's subscription; the node subscribes on the new master, and the
// hub's state and messages work there.
func testSlotMoved(t *testing.T, cc *redis.ClusterClient) {
	ctx := t.Context()
	d := newDeployment(t, cc)
	logs := &testsupport.Buffer{}
	cfg := fast
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	gw := d.node(cfg)
	fn := d.node(redisbus.Config{Stateless: true})
	const hub = "moving"
	r := record(t, gw, hub)
	_, err := gw.Register(ctx, bus.Conn{Hub: hub, ID: "c1", User: "u1"})
	must(t, err)
	must(t, fn.AddToGroup(ctx, hub, "room", "c1"))
	if e := r.next(t, 5*time.Second); e.Kind != bus.KindAddToGroup {
		t.Fatalf("got %v, want the add-to-group", e.Kind)
	}

	all := masters(t, cc)
	src := all[masterOf(t, cc, fn, hub)]
	var dst *redis.Client
	for addr, c := range all {
		if addr != src.Options().Addr {
			dst = c
			break
		}
	}
	moveSlot(t, cc, all, src, dst, gw.Channel(hub))
	t.Logf("moved hub %s from %s to %s", hub, src.Options().Addr, dst.Options().Addr)

	deliveredAgain(t, 15*time.Second, "delivery through the new master", fn, r, hub, 100*time.Millisecond)
	if n := shardSubscribers(t, cc, fn, hub); n != 1 {
		t.Errorf("%d subscribers on the new master, want 1", n)
	}
	if ok, err := fn.ConnectionExists(ctx, hub, "c1"); err != nil || !ok {
		t.Errorf("ConnectionExists(c1) after the move = %v, %v", ok, err)
	}
	if want := "server ended the subscription"; !strings.Contains(logs.String(), want) {
		t.Errorf("logs lack %q:\n%s", want, logs)
	}
	must(t, gw.Unregister(ctx, hub, "c1"))
}
