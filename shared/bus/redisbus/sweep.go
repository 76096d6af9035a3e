package redisbus

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Batch sizes of the sweeper's scripts, which keep each script short.
const (
	dueLimit    = 50  // hubs with due expiries per sweep
	expireLimit = 100 // memberships expired per script
	claimLimit  = 10  // dead nodes claimed per reap
	dropLimit   = 500 // connections of a dead node dropped per script
	maxRounds   = 100 // scripts per hub per sweep
)

// sweepLoop removes expired user-group memberships every SweepInterval and
// reaps dead nodes every HeartbeatInterval. It returns when ctx is done.
func (b *Bus) sweepLoop(ctx context.Context) {
	defer b.wg.Done()
	sweep := time.NewTicker(b.cfg.SweepInterval)
	defer sweep.Stop()
	reap := time.NewTicker(b.cfg.HeartbeatInterval)
	defer reap.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			b.sweepExpired(ctx)
		case <-reap.C:
			b.reapDead(ctx)
		}
	}
}

// sweepExpired expires the due memberships of every hub the expiry index
// lists as due. Several nodes may sweep one hub at once: expire.lua pops
// each membership atomically, so its removal is delivered once.
func (b *Bus) sweepExpired(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.HeartbeatInterval)
	defer cancel()
	index := []string{b.keys.expiryDue(), b.keys.expiryVersion()}
	due, err := scriptDue.Run(ctx, b.rdb, index, dueLimit).StringSlice()
	if err != nil {
		b.log.Debug("redisbus: expiry sweep failed", "err", err)
		return
	}
	for i := 0; i+1 < len(due); i += 2 {
		hub, version := due[i], due[i+1]
		next, err := b.expireHub(ctx, hub)
		if err != nil {
			b.log.Debug("redisbus: expiry sweep failed", "hub", hub, "err", err)
			continue
		}
		if err := scriptResched.Run(ctx, b.rdb, index, hub, version, next).Err(); err != nil {
			b.log.Debug("redisbus: expiry sweep failed", "hub", hub, "err", err)
		}
	}
}

// expireHub expires the due memberships of hub and returns its next
// expiry (server milliseconds) or -1.
func (b *Bus) expireHub(ctx context.Context, hub string) (int64, error) {
	hk := b.keys.hub(hub)
	var next int64 = -1
	for range maxRounds {
		res, err := scriptExpire.Run(ctx, b.rdb, []string{hk.channel}, hk.base, hub, expireLimit).Int64Slice()
		if err != nil {
			return 0, err
		}
		if res[0] > 0 {
			b.log.Debug("redisbus: user-group memberships expired", "hub", hub, "count", res[0])
		}
		next = res[1]
		if res[0] < expireLimit {
			break
		}
	}
	return next, nil
}

// reapDead claims the nodes whose heartbeat ran out and removes their
// connections from presence and membership. User-level memberships stay:
// they belong to users, not connections.
func (b *Bus) reapDead(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.NodeTTL)
	defer cancel()
	nodes, err := scriptClaim.Run(ctx, b.rdb, []string{b.keys.nodes(), b.keys.reaping()},
		b.cfg.NodeTTL.Milliseconds(), claimLimit).StringSlice()
	if err != nil {
		b.log.Debug("redisbus: reaping dead nodes failed", "err", err)
		return
	}
	for _, node := range nodes {
		if err := b.reapNode(ctx, node); err != nil {
			b.log.Warn("redisbus: reaping a dead node failed; retrying later", "dead", node, "err", err)
			continue
		}
		b.log.Info("redisbus: reaped a dead node", "dead", node)
	}
}

// reapNode drops every connection node held, hub by hub, then ends the
// node's reaping.
func (b *Bus) reapNode(ctx context.Context, node string) error {
	hubsKey := b.keys.nodeHubs(node)
	hubs, err := b.rdb.SMembers(ctx, hubsKey).Result()
	if err != nil {
		return err
	}
	for _, hub := range hubs {
		hk := b.keys.hub(hub)
		for range maxRounds {
			left, err := scriptDropNode.Run(ctx, b.rdb, []string{hk.channel}, hk.base, node, dropLimit).Int()
			if err != nil {
				return err
			}
			if left == 0 {
				break
			}
		}
		if err := b.rdb.SRem(ctx, hubsKey, hub).Err(); err != nil {
			return err
		}
	}
	if err := b.rdb.Del(ctx, b.keys.quota(node)).Err(); err != nil {
		return err
	}
	if err := b.rdb.SRem(ctx, b.keys.quotaNodes(), node).Err(); err != nil {
		return err
	}
	return scriptReaped.Run(ctx, b.rdb, []string{b.keys.reaping(), hubsKey}, node).Err()
}

// goodbye marks this node dead, so LiveNodes stops counting it at once,
// and reaps it itself. Called by Close after the goroutines stopped.
func (b *Bus) goodbye(ctx context.Context) error {
	node := b.NodeID()
	if err := b.rdb.ZAdd(ctx, b.keys.nodes(), redis.Z{Score: 0, Member: node}).Err(); err != nil {
		return err
	}
	if err := b.reapNode(ctx, node); err != nil {
		return err
	}
	if err := b.rdb.ZRem(ctx, b.keys.nodes(), node).Err(); err != nil {
		return err
	}
	// A reaped node leaves this set at another node's next heartbeat
	// (beat.lua); one that says goodbye leaves it now.
	if err := b.rdb.SRem(ctx, b.keys.perNodeAddr(), node).Err(); err != nil {
		return err
	}
	return scriptLastOut.Run(ctx, b.rdb, []string{b.keys.nodes(), b.keys.epoch()}).Err()
}
