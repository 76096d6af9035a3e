package redisbus_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/redis/go-redis/v9"
)

// TestClusterFailover: the master of a hub's slot dies (SIGKILL) and its
// replica takes over. The gateway node's subscription follows the slot to
// the new master, and the hub's state, replicated before the failure,
// works there. It starts its own cluster (with replicas): it kills a node.
func TestClusterFailover(t *testing.T) {
	testsupport.SkipSlow(t)
	t.Parallel()
	ctx := t.Context()
	rc := redistest.StartReplicatedCluster(t)
	// go-redis retries dialing the killed node every second until the
	// node's pool is closed: give that goroutine its last sleep to notice,
	// after the client's Close (cleanups run last-in first-out).
	t.Cleanup(func() { time.Sleep(1100 * time.Millisecond) })
	cc := newClient(t, rc.URL()).(*redis.ClusterClient)
	d := newDeployment(t, cc)
	gw := d.node(redisbus.Config{HeartbeatInterval: 200 * time.Millisecond, NodeTTL: 30 * time.Second})
	fn := d.node(redisbus.Config{Stateless: true})
	const hub = "failing"
	r := record(t, gw, hub)
	_, err := gw.Register(ctx, bus.Conn{Hub: hub, ID: "c1", User: "u1"})
	must(t, err)
	must(t, fn.AddToGroup(ctx, hub, "room", "c1"))
	if e := r.next(t, 5*time.Second); e.Kind != bus.KindAddToGroup {
		t.Fatalf("got %v, want the add-to-group", e.Kind)
	}
	master, err := cc.MasterForKey(ctx, gw.Channel(hub))
	must(t, err)
	eventually(t, 10*time.Second, "the replica in sync", func() error {
		if _, err := master.Wait(ctx, 1, time.Second).Result(); err != nil {
			return err
		}
		info := master.Info(ctx, "replication").Val()
		if !strings.Contains(info, "connected_slaves:1") || !strings.Contains(info, "state=online") {
			return fmt.Errorf("replication: %q", info)
		}
		return nil
	})
	old := master.Options().Addr
	rc.Node(old).Stop()
	start := time.Now()

	deliveredAgain(t, 30*time.Second, "delivery after the failover", fn, r, hub, 200*time.Millisecond)
	now, err := cc.MasterForKey(ctx, gw.Channel(hub))
	must(t, err)
	t.Logf("hub %s moved from %s to %s; delivering again %v after the kill",
		hub, old, now.Options().Addr, time.Since(start).Round(100*time.Millisecond))
	if now.Options().Addr == old {
		t.Errorf("the hub's master is still %s", old)
	}
	if ok, err := fn.ConnectionExists(ctx, hub, "c1"); err != nil || !ok {
		t.Errorf("ConnectionExists(c1) after the failover = %v, %v", ok, err)
	}
	must(t, gw.Unregister(ctx, hub, "c1"))
}
