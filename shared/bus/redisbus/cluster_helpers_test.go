package redisbus_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/redis/go-redis/v9"
)

// masters returns a client for every master of the cluster, by address.
func masters(t *testing.T, cc *redis.ClusterClient) map[string]*redis.Client {
	t.Helper()
	var mu sync.Mutex
	out := make(map[string]*redis.Client)
	must(t, cc.ForEachMaster(t.Context(), func(_ context.Context, c *redis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		out[c.Options().Addr] = c
		return nil
	}))
	if len(out) < 2 {
		t.Fatalf("a cluster of %d masters; the test needs two or more", len(out))
	}
	return out
}

// masterOf returns the address of the master serving hub's slot.
func masterOf(t *testing.T, cc *redis.ClusterClient, b *redisbus.Bus, hub string) string {
	t.Helper()
	m, err := cc.MasterForKey(t.Context(), b.Channel(hub))
	must(t, err)
	return m.Options().Addr
}

// hubPerMaster returns one hub name per master of the cluster.
func hubPerMaster(t *testing.T, cc *redis.ClusterClient, b *redisbus.Bus) []string {
	t.Helper()
	all := masters(t, cc)
	seen := make(map[string]bool)
	var hubs []string
	for i := 0; len(hubs) < len(all); i++ {
		if i > 10000 {
			t.Fatalf("hubs found on %d of %d masters", len(hubs), len(all))
		}
		hub := fmt.Sprint("hub", i)
		if m := masterOf(t, cc, b, hub); !seen[m] {
			seen[m] = true
			hubs = append(hubs, hub)
		}
	}
	return hubs
}

// shardSubscribers returns how many connections subscribe hub's channel
// on the shard that owns it.
func shardSubscribers(t *testing.T, cc *redis.ClusterClient, b *redisbus.Bus, hub string) int64 {
	t.Helper()
	return numSub(t, cc, b.Channel(hub))
}

// describeEnv names an envelope briefly: kind, group and target or id.
func describeEnv(e *bus.Envelope) string {
	switch e.Kind {
	case bus.KindSend:
		return fmt.Sprintf("send %s %s", e.ID, e.Message.Target)
	case bus.KindAddToGroup:
		return fmt.Sprintf("add %s %s", e.Group, e.ID)
	}
	return fmt.Sprintf("%v %s %s", e.Kind, e.Group, e.ID)
}

// moveSlot moves the slot of key from master src to master dst, keys
// included, the way redis-cli --cluster reshard does.
func moveSlot(t *testing.T, cc *redis.ClusterClient, all map[string]*redis.Client, src, dst *redis.Client, key string) {
	t.Helper()
	ctx := t.Context()
	slot, err := cc.ClusterKeySlot(ctx, key).Result()
	must(t, err)
	srcID, err := src.ClusterMyID(ctx).Result()
	must(t, err)
	dstID, err := dst.ClusterMyID(ctx).Result()
	must(t, err)
	must(t, dst.Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", srcID).Err())
	must(t, src.Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", dstID).Err())
	host, port, err := net.SplitHostPort(dst.Options().Addr)
	must(t, err)
	for {
		keys, err := src.ClusterGetKeysInSlot(ctx, int(slot), 100).Result()
		must(t, err)
		if len(keys) == 0 {
			break
		}
		args := []any{"MIGRATE", host, port, "", 0, 5000, "KEYS"}
		for _, k := range keys {
			args = append(args, k)
		}
		must(t, src.Do(ctx, args...).Err())
	}
	must(t, dst.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", dstID).Err())
	must(t, src.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", dstID).Err())
	for addr, c := range all {
		if addr != src.Options().Addr && addr != dst.Options().Addr {
			must(t, c.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", dstID).Err())
		}
	}
}
