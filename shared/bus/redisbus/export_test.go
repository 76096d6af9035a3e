package redisbus

import (
	"context"
	"time"
)

// Kill stops the node like a crash would, for tests: its goroutines and
// subscription end, its heartbeat stops, and nothing is removed from
// Redis. Live nodes reap it after NodeTTL.
func (b *Bus) Kill() {
	b.killed = true
	_ = b.Close()
}

// HubKey returns the name of hub's key with the given suffix.
func (b *Bus) HubKey(hub, suffix string) string { return b.keys.hub(hub).base + suffix }

// Channel returns hub's channel.
func (b *Bus) Channel(hub string) string { return b.keys.hub(hub).channel }

// NodesKey returns the name of the live-node zset.
func (b *Bus) NodesKey() string { return b.keys.nodes() }

// NodeHubsKey returns the name of node's hub set.
func (b *Bus) NodeHubsKey(node string) string { return b.keys.nodeHubs(node) }

// ReapNode drops the connections of node as a reaper does once it has
// claimed the node.
func (b *Bus) ReapNode(ctx context.Context, node string) error { return b.reapNode(ctx, node) }

// TrackedHubs returns how many hubs the node keeps an entry for in process.
func (b *Bus) TrackedHubs() int { return b.local.tracking() }

// RefreshStale runs the heartbeat's refresh of hub for this node, as a
// heartbeat does whose snapshot listed hub just before its last
// connection left.
func (b *Bus) RefreshStale(ctx context.Context, hub string) error {
	hk := b.keys.hub(hub)
	return scriptRefresh.Run(ctx, b.rdb, []string{hk.channel}, hk.base, b.node, b.cfg.NodeTTL.Milliseconds()).Err()
}

// SetLiveCacheTTL changes how long a Stateless Bus reuses a count of live
// nodes; call it before the Bus is used.
func (b *Bus) SetLiveCacheTTL(d time.Duration) { b.live.ttl = d }

// SlowIncr increments KEYS[1], then keeps the server busy for ARGV[1]
// microseconds (slowBump, for the external tests).
var SlowIncr = slowBump

// LegacyAddrs reports whether the last heartbeat found a live node of the
// version that kept an address per connection.
func (b *Bus) LegacyAddrs() bool { return b.legacyAddrs.Load() }
