package redisbus

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/heraldrt/herald/shared/bus"
)

// Register records c, held by this node, and returns the groups it joins
// through its user's unexpired user-level memberships, sorted; it
// publishes a KindAddToGroup envelope (ScopeConnection) for each. Before
// recording anything it makes sure this node is subscribed to c.Hub's
// channel, confirmed by Redis, so every envelope published after Register
// returns reaches this node's subscribers. It returns
// bus.ErrConnectionExists when c.ID is registered in c.Hub already (on any
// node), bus.ErrInvalidArgument for an empty hub or id, ErrStateless on a
// Stateless Bus and an error wrapping bus.ErrUnavailable when Redis cannot
// be reached; c.User may be empty. c.Addr is recorded as this node's
// address in the hub (once per node, not per connection; an empty one
// leaves it as it is): Locate returns it for every connection the node
// holds there.
func (b *Bus) Register(ctx context.Context, c bus.Conn) ([]string, error) {
	if err := checkName("hub", c.Hub); err != nil {
		return nil, fmt.Errorf("register connection: %w", err)
	}
	if err := bus.CheckNames("connection id", c.ID); err != nil {
		return nil, fmt.Errorf("register connection: %w", err)
	}
	if c.User != "" {
		if err := bus.CheckNames("user", c.User); err != nil {
			return nil, fmt.Errorf("register connection: %w", err)
		}
	}
	groups, err := b.register(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("register connection %q in hub %q: %w", c.ID, c.Hub, err)
	}
	return groups, nil
}

func (b *Bus) register(ctx context.Context, c bus.Conn) ([]string, error) {
	return b.recordHeld(ctx, c, func(hk hubKeys) (string, []string, error) {
		res, err := scriptRegister.Run(ctx, b.pipe, []string{hk.channel}, hk.base, c.Hub, c.ID, c.User, b.node, c.Addr,
			b.cfg.NodeTTL.Milliseconds(), flag(b.legacyAddrs.Load())).Slice()
		if err != nil {
			return "", nil, unavailable(err) // the script may have run
		}
		if n, _ := res[0].(int64); n == 0 {
			return "", nil, bus.ErrConnectionExists
		}
		return c.User, replyStrings(res[1:]), nil
	})
}

// recordHeld runs record, which runs a script recording connection c.ID
// as held by this node and returns its user and groups, once this node is
// subscribed to c.Hub's channel, confirmed by Redis, and the hub is in
// this incarnation's hub set: every envelope published after the script
// reaches this node. On success the connection is this node's (local,
// groups). An error wrapping bus.ErrUnavailable from record means the
// script may have run: its record is removed later if so.
func (b *Bus) recordHeld(ctx context.Context, c bus.Conn, record func(hubKeys) (string, []string, error)) ([]string, error) {
	if err := b.enter(ctx); err != nil {
		return nil, err
	}
	if err := b.gateway(); err != nil {
		return nil, err
	}
	if err := b.started(ctx); err != nil {
		return nil, err
	}
	b.nodeMu.RLock()
	defer b.nodeMu.RUnlock()
	hk := b.keys.hub(c.Hub)
	t := b.local.hold(c.Hub)
	done, untrack := false, true
	defer func() {
		if !done {
			b.dropHub(ctx, c.Hub, t, untrack)
		}
	}()
	if err := b.sub.acquire(ctx, hk.channel); err != nil {
		return nil, err
	}
	defer func() {
		if !done {
			b.sub.release(ctx, hk.channel)
		}
	}()
	if err := b.trackHub(ctx, c.Hub, t); err != nil {
		return nil, err
	}
	// Envelopes for it may come before the answer. A Register of an id
	// this node holds already must not drop that connection's groups.
	tracking := b.groups.add(c.Hub, c.ID, c.User, nil)
	user, groups, err := record(hk)
	if err != nil {
		if errors.Is(err, bus.ErrUnavailable) {
			b.local.addOrphan(orphan{hub: c.Hub, conn: c.ID, node: b.node})
			untrack = false // the reaper may have to find it through the hub set
		}
		if tracking {
			b.groups.remove(c.Hub, c.ID)
		}
		return nil, err
	}
	b.local.add(c.Hub, c.ID, user, c.Addr)
	b.groups.add(c.Hub, c.ID, user, groups)
	done = true
	return groups, nil
}

// replyStrings returns the strings of a script's reply.
func replyStrings(vs []any) []string {
	var out []string
	for _, v := range vs {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Locate returns the address of the node holding the connection ("" when
// it has none): connection → node (P:{h:H}:node) → address
// (P:{h:H}:nodeaddr). It returns bus.ErrConnectionNotFound when the
// connection is not registered, and an error wrapping bus.ErrUnavailable
// when Redis cannot be reached. It works on a Stateless Bus too.
func (b *Bus) Locate(ctx context.Context, hub, connID string) (string, error) {
	if err := checkName("hub", hub); err != nil {
		return "", fmt.Errorf("locate connection: %w", err)
	}
	if err := bus.CheckNames("connection id", connID); err != nil {
		return "", fmt.Errorf("locate connection: %w", err)
	}
	if err := b.enter(ctx); err != nil {
		return "", fmt.Errorf("locate connection %q in hub %q: %w", connID, hub, err)
	}
	hk := b.keys.hub(hub)
	addr, err := scriptLocate.Run(ctx, b.rdb, []string{hk.channel}, hk.base, connID).Text()
	switch {
	case errors.Is(err, redis.Nil):
		return "", fmt.Errorf("locate connection %q in hub %q: %w", connID, hub, bus.ErrConnectionNotFound)
	case err != nil:
		return "", fmt.Errorf("locate connection %q in hub %q: %w", connID, hub, unavailable(err))
	}
	return addr, nil
}

// trackHub adds t's hub to this incarnation's hub set unless it is there:
// the set tells whoever reaps the node where its connections are. nodeMu
// must be held.
func (b *Bus) trackHub(ctx context.Context, hub string, t *hubTrack) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tracked {
		return nil
	}
	if err := b.rdb.SAdd(ctx, b.keys.nodeHubs(b.node), hub).Err(); err != nil {
		return unavailable(err)
	}
	t.tracked = true
	return nil
}

// dropHub gives back a reference taken by local.hold. The last one takes
// the hub out of this incarnation's hub set (when untrack: not after a
// failed removal, whose orphan the reaper may still have to find there)
// and forgets it, so a node keeps the hubs it holds, not every hub it ever
// held. A Register of the hub arriving meanwhile waits on t.mu and adds it
// again after. nodeMu must be held.
func (b *Bus) dropHub(ctx context.Context, hub string, t *hubTrack, untrack bool) {
	if !b.local.release(t) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !b.local.unheld(t) {
		return // held again: it stays in the set
	}
	if t.tracked && untrack {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unsubscribeTimeout)
		err := b.rdb.SRem(ctx, b.keys.nodeHubs(b.node), hub).Err()
		cancel()
		if err != nil {
			b.log.Debug("redisbus: remove hub from the node's hub set", "hub", hub, "err", err)
			return // kept: a later drop or a new incarnation retries
		}
		t.tracked = false
	}
	b.local.forget(hub, t)
}

// Unregister forgets the connection and takes it out of every group;
// nothing is published. When this node holds it, the node's subscription
// to the hub ends with the hub's last local connection. Unknown
// connections are not an error. If Redis cannot be reached it returns an
// error wrapping bus.ErrUnavailable, and a gateway node retries the
// removal with its heartbeat.
func (b *Bus) Unregister(ctx context.Context, hub, connID string) error {
	if err := checkName("hub", hub); err != nil {
		return fmt.Errorf("unregister connection: %w", err)
	}
	if err := bus.CheckNames("connection id", connID); err != nil {
		return fmt.Errorf("unregister connection: %w", err)
	}
	if err := b.unregister(ctx, hub, connID); err != nil {
		return fmt.Errorf("unregister connection %q in hub %q: %w", connID, hub, err)
	}
	return nil
}

func (b *Bus) unregister(ctx context.Context, hub, connID string) error {
	_, err := b.drop(ctx, hub, connID, false)
	return err
}

// drop forgets the connection, in Redis unless another node holds it
// (when own, unless a node other than this one holds it), and reports
// whether Redis forgot it. This node stops tracking it either way.
func (b *Bus) drop(ctx context.Context, hub, connID string, own bool) (bool, error) {
	if err := b.enter(ctx); err != nil {
		return false, err
	}
	b.nodeMu.RLock()
	defer b.nodeMu.RUnlock()
	hk := b.keys.hub(hub)
	t := b.local.remove(hub, connID)
	held := t != nil
	b.groups.remove(hub, connID)
	only := "" // any node: whoever asks knows the connection is gone
	if held || own {
		only = b.node
	}
	if held {
		defer b.sub.release(ctx, hk.channel)
	}
	removed, err := b.runUnregister(ctx, hk, connID, only)
	if held {
		defer b.dropHub(ctx, hub, t, err == nil)
	}
	if err != nil {
		if held {
			b.local.addOrphan(orphan{hub: hub, conn: connID, node: only})
		}
		return false, unavailable(err)
	}
	return removed, nil
}

// unregisterChunk is how many groups one unregister script call leaves:
// a connection in more groups takes several calls, each short.
const unregisterChunk = 256

// runUnregister runs the unregister script until the connection is gone,
// unregisterChunk groups at a time, and reports whether it was removed.
func (b *Bus) runUnregister(ctx context.Context, hk hubKeys, connID, only string) (bool, error) {
	for {
		n, err := scriptUnregister.Run(ctx, b.pipe, []string{hk.channel}, hk.base, connID, only, unregisterChunk).Int()
		if err != nil || n != -1 {
			return n == 1, err
		}
	}
}

// retryOrphans removes the connections whose Register or Unregister failed
// midway, keeping those that still fail for the next heartbeat.
func (b *Bus) retryOrphans(ctx context.Context) {
	for _, o := range b.local.takeOrphans() {
		hk := b.keys.hub(o.hub)
		_, err := b.runUnregister(ctx, hk, o.conn, o.node)
		if err != nil && !errors.Is(err, context.Canceled) {
			b.local.addOrphan(o)
		}
	}
}
