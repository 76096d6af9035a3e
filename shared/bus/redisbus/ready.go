package redisbus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/heraldrt/herald/shared/bus"
)

// Readiness: what makes an acknowledged message reach every gateway node
// that should get it (see "Durability" in the package documentation).
//
// Each hub has a live zset, P:{h:H}:live, node → expiry: the nodes that
// hold connections in the hub, recorded by Register (after the node's
// subscription to the hub is confirmed), refreshed by every heartbeat,
// removed with the node's last connection in the hub or by its reaper.
// Every script that publishes on a request's behalf (publish, the
// membership changes) first compares the number of live nodes with the
// number of subscribers of the hub's channel (PUBSUB SHARDNUMSUB) and
// refuses, with a NOTREADY error, when it is smaller: a node is
// reconnecting its subscription.
//
// On one Redis server the scripts also read the deployment's epoch,
// P:{nodes}:epoch, kept by the heartbeats (see beat.lua): missing, or
// warming up, they refuse too. That covers what the live zsets cannot:
// Redis restarted empty (the zsets are gone) or frozen past the nodes'
// TTL (their entries ran out).

// notReady is the prefix of the scripts' refusals.
const notReady = "NOTREADY"

// hubScriptKeys returns the KEYS of a hub script that checks readiness:
// the hub's channel, and on one Redis server the epoch. A Redis Cluster
// cannot run a script on keys of two slots; there the epoch is not read
// (see the package documentation for what that leaves out).
func (b *Bus) hubScriptKeys(hk hubKeys) []string {
	if b.cluster {
		return []string{hk.channel}
	}
	return []string{hk.channel, b.keys.epoch()}
}

// scriptFailed wraps the error of a script that checks readiness: a
// refusal or a failed call, both bus.ErrUnavailable.
func scriptFailed(err error) error {
	var reply redis.Error
	if errors.As(err, &reply) && strings.Contains(reply.Error(), notReady) {
		return fmt.Errorf("%w: %s", bus.ErrUnavailable, strings.TrimPrefix(reply.Error(), notReady+" "))
	}
	return unavailable(err)
}

// warmUp is how long the deployment refuses messages after Redis lost or
// froze the gateways' state: two heartbeats and a second, time for every
// live node to beat, find itself gone, subscribe again and register again.
func (b *Bus) warmUp() time.Duration { return 2*b.cfg.HeartbeatInterval + time.Second }

// refreshServed records again that this node serves each hub it holds
// connections in, good for NodeTTL: one script per hub, pipelined.
func (b *Bus) refreshServed(ctx context.Context, node string) error {
	hubs := b.local.connHubs()
	if len(hubs) == 0 {
		return nil
	}
	if !b.refreshLoaded.Load() {
		if err := scriptRefresh.Load(ctx, b.rdb).Err(); err != nil {
			return err
		}
		b.refreshLoaded.Store(true)
	}
	ttl := b.cfg.NodeTTL.Milliseconds()
	pipe := b.rdb.Pipeline()
	for i, hub := range hubs {
		hk := b.keys.hub(hub)
		scriptRefresh.EvalSha(ctx, pipe, []string{hk.channel}, hk.base, node, ttl)
		if (i+1)%readdBatch == 0 {
			if _, err := pipe.Exec(ctx); err != nil {
				if redis.HasErrorPrefix(err, "NOSCRIPT") {
					b.refreshLoaded.Store(false)
				}
				return err
			}
		}
	}
	_, err := pipe.Exec(ctx)
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		b.refreshLoaded.Store(false) // Redis restarted: load it again next time
	}
	return err
}
