package redisbus

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// readdBatch is how many re-registrations a resync pipelines at once.
const readdBatch = 500

// resyncTimeout is the least time one re-registration attempt gets.
const resyncTimeout = 5 * time.Second

// heartbeatLoop records every HeartbeatInterval that this node is alive,
// re-registers its connections when Redis lost them and retries failed
// removals. It returns when ctx is done.
func (b *Bus) heartbeatLoop(ctx context.Context) {
	defer b.wg.Done()
	t := time.NewTicker(b.cfg.HeartbeatInterval)
	defer t.Stop()
	st := beatState{first: true}
	for i := 0; ; i++ {
		b.beat(ctx, &st)
		if i == 0 {
			close(b.beaten)
		}
		b.retryOrphans(ctx)
		b.repairQuota(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// beatState is the heartbeat goroutine's memory between beats.
type beatState struct {
	first  bool // no beat of this incarnation succeeded yet
	resync bool // the connections must be registered again
}

// beat runs one heartbeat. Redis forgetting the node (it was reaped after
// missing heartbeats, or Redis restarted empty) makes the node register
// its connections again under a new incarnation.
func (b *Bus) beat(parent context.Context, st *beatState) {
	ctx, cancel := context.WithTimeout(parent, b.cfg.HeartbeatInterval)
	defer cancel()
	if !st.resync {
		b.nodeMu.RLock()
		node := b.node
		b.nodeMu.RUnlock()
		fresh := st.first && b.local.count() == 0
		ok, err := scriptBeat.Run(ctx, b.rdb, b.beatKeys(),
			node, b.cfg.NodeTTL.Milliseconds(), flag(st.first), b.warmUp().Milliseconds(), flag(fresh)).Int()
		if err != nil {
			b.log.Debug("redisbus: heartbeat failed", "err", err)
			return
		}
		st.first = false
		if ok > 0 {
			b.noteLegacy(ok == 2)
			if err := b.refreshServed(ctx, node); err != nil {
				b.log.Debug("redisbus: refreshing the hubs this node serves failed", "err", err)
			}
			return
		}
		st.resync = true
		b.log.Warn("redisbus: this node is gone from Redis (reaped after missed heartbeats, or Redis lost its data); registering its connections again")
	}
	// Re-registering may take several round trips per 500 connections:
	// give it longer than one beat, or a loaded node would never finish.
	rctx, rcancel := context.WithTimeout(parent, max(b.cfg.NodeTTL, resyncTimeout))
	defer rcancel()
	if err := b.resync(rctx); err != nil {
		b.log.Warn("redisbus: re-registering connections failed; retrying", "err", err)
		return
	}
	st.resync = false
}

// beatKeys are the keys of the heartbeat script (beat.lua).
func (b *Bus) beatKeys() []string {
	return []string{b.keys.nodes(), b.keys.epoch(), b.keys.perNodeAddr()}
}

// noteLegacy records what a heartbeat found: whether a live node of the
// version that kept an address per connection is in the deployment. The
// change is logged once each way.
func (b *Bus) noteLegacy(found bool) {
	if b.legacyAddrs.Swap(found) == found {
		return
	}
	if found {
		b.log.Info("redisbus: a node of an earlier version is alive; connection addresses are also recorded per connection until it is gone")
	} else {
		b.log.Info("redisbus: no node of an earlier version is alive; connection addresses are recorded once per node")
	}
}

func flag(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

// resync registers every local connection again under a new incarnation
// of this node: once its hubs' subscriptions are confirmed, its hub set,
// then its heartbeat, then the connections, so a reaper never finds the
// node alive with unknown hubs and nothing published to a connection that
// exists again is missed.
// Their connection-level groups, as the node tracked them, are recorded
// again too; user-level memberships Redis lost are not (see Durability).
// Register and Unregister wait while it runs.
func (b *Bus) resync(ctx context.Context) error {
	b.nodeMu.Lock()
	defer b.nodeMu.Unlock()
	node := incarnation(b.cfg.NodeID)
	conns := b.local.snapshot()
	hubs := make([]string, 0, len(conns))
	for hub := range conns {
		hubs = append(hubs, hub)
	}
	slices.Sort(hubs)
	// Subscribed again first, as Register is: once a connection exists in
	// Redis again, every envelope for it must reach this node.
	for _, hub := range hubs {
		ch := b.keys.hub(hub).channel
		if err := b.sub.acquire(ctx, ch); err != nil {
			return fmt.Errorf("subscribe %s again: %w", hub, err)
		}
		b.sub.release(ctx, ch) // the local connections keep their references
	}
	if len(hubs) > 0 {
		if err := b.rdb.SAdd(ctx, b.keys.nodeHubs(node), toAny(hubs)...).Err(); err != nil {
			return fmt.Errorf("record hubs: %w", err)
		}
	}
	if err := b.writeQuota(ctx, node); err != nil {
		return fmt.Errorf("record quota counts: %w", err)
	}
	beat, err := scriptBeat.Run(ctx, b.rdb, b.beatKeys(), node, b.cfg.NodeTTL.Milliseconds(), "1",
		b.warmUp().Milliseconds(), "0").Int()
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	b.noteLegacy(beat == 2)
	if err := scriptReadd.Load(ctx, b.rdb).Err(); err != nil {
		return fmt.Errorf("load script: %w", err)
	}
	n := 0
	pipe := b.rdb.Pipeline()
	for _, hub := range hubs {
		hk := b.keys.hub(hub)
		for id, lc := range conns[hub] {
			args := []any{hk.base, id, lc.user, node, lc.addr, b.cfg.NodeTTL.Milliseconds(), flag(b.legacyAddrs.Load())}
			for _, g := range b.groups.groups(hub, id) {
				args = append(args, g)
			}
			scriptReadd.EvalSha(ctx, pipe, []string{hk.channel}, args...)
			if n++; n%readdBatch == 0 {
				if _, err := pipe.Exec(ctx); err != nil {
					return fmt.Errorf("register connections: %w", err)
				}
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("register connections: %w", err)
	}
	b.log.Info("redisbus: connections registered again", "connections", n, "hubs", len(hubs), "incarnation", node)
	b.node = node
	b.local.retrack(hubs)
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
