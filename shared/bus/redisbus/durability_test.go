package redisbus_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/redis/go-redis/v9"
)

// durable is the gateway configuration of the durability tests: a short
// heartbeat and node TTL, so that a 10 s pause outlives every node's TTL.
var durable = redisbus.Config{HeartbeatInterval: 500 * time.Millisecond, NodeTTL: 2 * time.Second}

// traffic publishes numbered broadcasts to hub from fn every 5 ms and
// remembers which ones Publish acknowledged (returned nil) and how many
// it refused with bus.ErrUnavailable.
type traffic struct {
	mu      sync.Mutex
	acked   []int
	refused int
	other   []error
	stop    chan struct{}
	wg      sync.WaitGroup
}

func startTraffic(t *testing.T, fn bus.Publisher, hub string) *traffic {
	tr := &traffic{stop: make(chan struct{})}
	tr.wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-tr.stop:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := fn.Publish(ctx, send(hub, bus.ScopeAll, "", "m"+strconv.Itoa(n)))
			cancel()
			tr.mu.Lock()
			switch {
			case err == nil:
				tr.acked = append(tr.acked, n)
			case errors.Is(err, bus.ErrUnavailable):
				tr.refused++
			default:
				tr.other = append(tr.other, err)
			}
			tr.mu.Unlock()
		}
	})
	t.Cleanup(tr.halt)
	return tr
}

func (tr *traffic) halt() {
	select {
	case <-tr.stop:
	default:
		close(tr.stop)
	}
	tr.wg.Wait()
}

// ackedCount returns how many sends were acknowledged so far.
func (tr *traffic) ackedCount() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.acked)
}

// check stops the traffic and fails t for every acknowledged send that
// one of the recorders never delivered; it logs the counts.
func (tr *traffic) check(t *testing.T, what string, rs map[string]*recorder) {
	t.Helper()
	tr.halt()
	fence := time.After(3 * time.Second) // in-flight deliveries
	got := make(map[string]map[int]bool)
	for name := range rs {
		got[name] = make(map[int]bool)
	}
	for name, r := range rs {
	drain:
		for {
			select {
			case e := <-r.ch:
				if e.Message != nil {
					if n, err := strconv.Atoi(strings.TrimPrefix(e.Message.Target, "m")); err == nil {
						got[name][n] = true
					}
				}
			case <-fence:
				break drain
			case <-time.After(500 * time.Millisecond):
				break drain
			}
		}
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, err := range tr.other {
		t.Errorf("%s: publish failed with %v, want nil or ErrUnavailable", what, err)
	}
	for name := range rs {
		var missing []int
		for _, n := range tr.acked {
			if !got[name][n] {
				missing = append(missing, n)
			}
		}
		t.Logf("%s: %d sends acknowledged, %d refused (ErrUnavailable), %d delivered to %s, %d acknowledged and missing",
			what, len(tr.acked), tr.refused, len(got[name]), name, len(missing))
		if len(missing) > 0 {
			t.Errorf("%s: %d acknowledged sends never reached %s: %v", what, len(missing), name, head(missing, 20))
		}
	}
	if tr.refused == 0 {
		t.Logf("%s: no send was refused", what)
	}
}

func head(s []int, n int) []int { return s[:min(n, len(s))] }

// durability runs broadcast traffic through disrupt on two gateway nodes
// over rdb and checks that nothing acknowledged was lost: after disrupt
// returns, the traffic continues until both nodes deliver again, then for
// another second.
func durability(t *testing.T, rdb redis.UniversalClient, what string, disrupt func()) {
	d := newDeployment(t, rdb)
	a, b := d.node(durable), d.node(durable)
	fn := d.node(redisbus.Config{Stateless: true})
	const hub = "durable"
	ctx := t.Context()
	ra, rb := record(t, a, hub), record(t, b, hub)
	_, err := a.Register(ctx, bus.Conn{Hub: hub, ID: "ca", User: "ua"})
	must(t, err)
	_, err = b.Register(ctx, bus.Conn{Hub: hub, ID: "cb", User: "ub"})
	must(t, err)
	tr := startTraffic(t, fn, hub)
	eventually(t, 5*time.Second, "traffic acknowledged before the disruption", func() error {
		if tr.ackedCount() < 20 {
			return errors.New("fewer than 20 sends acknowledged")
		}
		return nil
	})
	before := tr.ackedCount()
	start := time.Now()
	disrupt()
	back := time.Now()
	eventually(t, 30*time.Second, "sends acknowledged again", func() error {
		if tr.ackedCount() < before+50 {
			return fmt.Errorf("%d sends acknowledged since the disruption", tr.ackedCount()-before)
		}
		return nil
	})
	t.Logf("%s: disrupted for %v; 50 sends acknowledged again %v after Redis answered",
		what, back.Sub(start).Round(time.Millisecond), time.Since(back).Round(time.Millisecond))
	time.Sleep(time.Second)
	tr.check(t, what, map[string]*recorder{"node a": ra, "node b": rb})
}

// TestDurabilityRestartEmpty: Redis restarts empty under broadcast
// traffic. Every broadcast Publish acknowledged reaches both nodes'
// connections; until both nodes are subscribed and registered again,
// Publish fails with ErrUnavailable.
func TestDurabilityRestartEmpty(t *testing.T) {
	srv := redistest.Start(t)
	durability(t, newClient(t, srv.URL()), "restart empty", func() {
		srv.Stop()
		time.Sleep(4 * time.Second) // the subscriptions' reconnection backoff grows
		must(t, srv.Restart())
	})
}

// TestDurabilityPause: Redis is frozen (SIGSTOP) for 10 s under broadcast
// traffic, ten times the nodes' TTL, so every subscription connection
// fails its health check and every node is taken for dead when Redis
// runs again.
func TestDurabilityPause(t *testing.T) {
	srv := redistest.Start(t)
	durability(t, newClient(t, srv.URL()), "10 s pause", func() {
		must(t, srv.Pause())
		time.Sleep(10 * time.Second)
		must(t, srv.Resume())
	})
}

// TestDurabilityClientPause: CLIENT PAUSE ALL for 10 s, the pause an
// operator or a failover tool issues: connections stay open, no command
// runs.
func TestDurabilityClientPause(t *testing.T) {
	srv := redistest.Start(t)
	rdb := newClient(t, srv.URL())
	durability(t, rdb, "CLIENT PAUSE ALL 10 s", func() {
		must(t, rdb.Do(t.Context(), "CLIENT", "PAUSE", "10000", "ALL").Err())
		time.Sleep(10 * time.Second)
	})
}

// TestDurabilityClusterFailover: the replica of the hub's slot's master
// takes over (CLUSTER FAILOVER, as in a maintenance or an ElastiCache
// failover test), under broadcast traffic: callers are redirected to the
// new master at once, where the nodes' subscriptions are not yet.
func TestDurabilityClusterFailover(t *testing.T) {
	testsupport.SkipSlow(t)
	t.Parallel()
	rc := redistest.StartReplicatedCluster(t)
	t.Cleanup(func() { time.Sleep(1100 * time.Millisecond) }) // see TestClusterFailover
	cc := newClient(t, rc.URL()).(*redis.ClusterClient)
	durability(t, cc, "cluster failover", func() {
		must(t, rc.FailOver(t.Context(), "{h:durable}", 10*time.Second))
	})
}

// TestRestartKeepsMemberships: after Redis restarts empty, the groups a
// node's connections were in (added per connection, and through their
// user) are recorded again with the connections, so REST's existence
// checks agree with what the gateways deliver. Before, Redis said the
// groups were gone while the gateways still delivered group sends to
// their members ("ghost" memberships).
func TestRestartKeepsMemberships(t *testing.T) {
	srv := redistest.Start(t)
	d := newDeployment(t, newClient(t, srv.URL()))
	gw := d.node(durable)
	fn := d.node(redisbus.Config{Stateless: true})
	const hub = "ghosts"
	ctx := t.Context()
	r := record(t, gw, hub)
	_, err := gw.Register(ctx, bus.Conn{Hub: hub, ID: "c1", User: "u1"})
	must(t, err)
	_, err = gw.Register(ctx, bus.Conn{Hub: hub, ID: "c2", User: "u2"})
	must(t, err)
	must(t, fn.AddToGroup(ctx, hub, "room", "c1"))
	must(t, fn.AddToGroup(ctx, hub, "left", "c1"))
	must(t, fn.RemoveFromGroup(ctx, hub, "left", "c1"))
	must(t, fn.AddUserToGroup(ctx, hub, "team", "u2", -1))
	r.skip(t, fn) // the node has seen every membership envelope

	srv.Stop()
	must(t, srv.Restart())
	eventually(t, 15*time.Second, "c1 and c2 registered again", func() error {
		for _, id := range []string{"c1", "c2"} {
			if ok, err := fn.ConnectionExists(ctx, hub, id); err != nil || !ok {
				return fmt.Errorf("ConnectionExists(%s) = %v, %v", id, ok, err)
			}
		}
		return nil
	})
	for group, want := range map[string]bool{"room": true, "team": true, "left": false} {
		if ok, err := fn.GroupExists(ctx, hub, group); err != nil || ok != want {
			t.Errorf("GroupExists(%s) after the restart = %v, %v; want %v", group, ok, err, want)
		}
	}
	// A send to the group reaches its member, and removing it takes
	// effect in Redis and in the node alike.
	eventually(t, 15*time.Second, "group sends accepted again", func() error {
		return fn.Publish(ctx, send(hub, bus.ScopeGroup, "room", "after"))
	})
	must(t, fn.RemoveFromGroup(ctx, hub, "room", "c1"))
	if ok, err := fn.GroupExists(ctx, hub, "room"); err != nil || ok {
		t.Errorf("GroupExists(room) after removing c1 = %v, %v", ok, err)
	}
}

// TestRefreshAfterLastConnectionLeft: the heartbeat refreshes the hubs it
// listed before its Redis calls; when a hub's last connection leaves in
// between, the refresh must not record the node as serving the hub again,
// or every send to the hub would be refused (not subscribed) until the
// entry expired.
func TestRefreshAfterLastConnectionLeft(t *testing.T) {
	srv := redistest.Start(t)
	d := newDeployment(t, newClient(t, srv.URL()))
	gw, other := d.node(durable), d.node(durable)
	fn := d.node(redisbus.Config{Stateless: true})
	ctx := t.Context()
	_, err := other.Register(ctx, bus.Conn{Hub: "elsewhere", ID: "keep"}) // a live gateway, so the deployment is ready
	must(t, err)
	_, err = gw.Register(ctx, bus.Conn{Hub: "left", ID: "c1"})
	must(t, err)
	must(t, gw.Unregister(ctx, "left", "c1"))
	must(t, gw.RefreshStale(ctx, "left"))
	if err := fn.Publish(ctx, send("left", bus.ScopeAll, "", "m")); err != nil {
		t.Fatalf("a send to a hub nobody holds after a stale refresh: %v", err)
	}
}
