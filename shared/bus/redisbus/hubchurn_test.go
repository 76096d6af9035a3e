package redisbus_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
)

// TestHubChurnReclaimed: a node's hub set in Redis and its in-process hub
// entries hold the hubs it holds connections in, not every hub it ever
// held (D9: 3,000 churned hubs left 1,501 entries per node). Measured
// against a control hub kept connected throughout.
func TestHubChurnReclaimed(t *testing.T) {
	ctx := t.Context()
	rdb := newClient(t, "")
	d := newDeployment(t, rdb)
	gw := d.node(redisbus.Config{})
	_, err := gw.Register(ctx, bus.Conn{Hub: "control", ID: "keep"})
	must(t, err)
	control := rdb.SCard(ctx, gw.NodeHubsKey(gw.NodeID())).Val()
	const churn = 300
	for i := range churn {
		hub := fmt.Sprintf("churn%d", i)
		_, err := gw.Register(ctx, bus.Conn{Hub: hub, ID: "c"})
		must(t, err)
		must(t, gw.Unregister(ctx, hub, "c"))
	}
	after := rdb.SCard(ctx, gw.NodeHubsKey(gw.NodeID())).Val()
	if control != 1 || after != control {
		t.Errorf("hub set: %d entries after %d churned hubs, control %d", after, churn, control)
	}
	if n := gw.TrackedHubs(); n != int(control) {
		t.Errorf("in-process hub entries: %d after churn, want %d", n, control)
	}
}

// TestHubReclaimRace: Registers of a hub racing with the Unregister of its
// last connection never leave a held hub out of the hub set (the reaper
// would then miss its connections).
func TestHubReclaimRace(t *testing.T) {
	ctx := t.Context()
	rdb := newClient(t, "")
	d := newDeployment(t, rdb)
	gw := d.node(redisbus.Config{})
	key := gw.NodeHubsKey(gw.NodeID())
	for round := range 50 {
		hub := fmt.Sprintf("race%d", round%5)
		_, err := gw.Register(ctx, bus.Conn{Hub: hub, ID: "a"})
		must(t, err)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); must(t, gw.Unregister(ctx, hub, "a")) }()
		go func() {
			defer wg.Done()
			_, err := gw.Register(ctx, bus.Conn{Hub: hub, ID: "b"})
			must(t, err)
		}()
		wg.Wait()
		if !rdb.SIsMember(ctx, key, hub).Val() {
			t.Fatalf("round %d: hub %s holds connection b but is not in the hub set", round, hub)
		}
		must(t, gw.Unregister(ctx, hub, "b"))
	}
	testsupport.Until(2*time.Second, func() bool { return rdb.SCard(ctx, key).Val() == 0 })
	if n := rdb.SCard(ctx, key).Val(); n != 0 || gw.TrackedHubs() != 0 {
		t.Errorf("after the last connections left: %d hub set entries, %d in process", n, gw.TrackedHubs())
	}
}

// TestUnregisterManyGroupsInChunks: a connection in thousands of groups
// (no group limit) leaves them over several short script calls, each
// taking at most 256 groups, instead of one call that blocks Redis (one
// connection in 10,000 groups stalled Redis for 28 ms). Counted in a
// throwaway server's slow log, which records every call.
func TestUnregisterManyGroupsInChunks(t *testing.T) {
	ctx := t.Context()
	srv := redistest.Start(t)
	rdb := newClient(t, srv.URL())
	must(t, rdb.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err())
	must(t, rdb.ConfigSet(ctx, "slowlog-max-len", "100000").Err())
	d := newDeployment(t, rdb)
	gw := d.node(redisbus.Config{GroupLimits: bus.GroupLimits{PerConnection: -1}})
	_, err := gw.Register(ctx, bus.Conn{Hub: "many", ID: "conn-many"})
	must(t, err)
	const groups = 2000
	pipe := rdb.Pipeline()
	for i := range groups {
		g := fmt.Sprintf("g%d", i)
		pipe.SAdd(ctx, gw.HubKey("many", "g:"+g), "conn-many")
		pipe.SAdd(ctx, gw.HubKey("many", "cg:conn-many"), g)
	}
	_, err = pipe.Exec(ctx)
	must(t, err)
	must(t, rdb.SlowLogReset(ctx).Err())
	must(t, gw.Unregister(ctx, "many", "conn-many"))
	logs, err := rdb.SlowLogGet(ctx, -1).Result()
	must(t, err)
	calls := 0
	for _, l := range logs {
		if len(l.Args) > 0 && strings.HasPrefix(strings.ToLower(l.Args[0]), "eval") && slices.Contains(l.Args, "conn-many") {
			calls++
		}
	}
	if min := groups / 256; calls < min {
		t.Errorf("Unregister of a connection in %d groups took %d script calls, want at least %d", groups, calls, min)
	}
	if n := rdb.Exists(ctx, gw.HubKey("many", "g:g0"), gw.HubKey("many", "g:g1999"), gw.HubKey("many", "cg:conn-many")).Val(); n != 0 {
		t.Errorf("%d group keys left", n)
	}
	if ok, _ := gw.ConnectionExists(ctx, "many", "conn-many"); ok {
		t.Error("connection still registered")
	}
}
