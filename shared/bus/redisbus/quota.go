package redisbus

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/redis/go-redis/v9"
)

// Connection quotas: each gateway node counts its connections in a hash of
// its own in the {nodes} slot (field "t" the total, field "<hub>\x00<user>"
// per user), and an acquisition sums the hashes of the live nodes and adds
// one in the same script, so the limit holds across nodes. A node that
// dies stops counting when its heartbeat runs out; its hash is deleted
// when it is reaped. A set lists the nodes that have counts. The node also keeps its counts in memory to write
// them again under a new incarnation (see resync).

// quotaCounts is a node's own counts, by hash field.
type quotaCounts struct {
	mu     sync.Mutex
	fields map[string]int
	// dirty counts the heartbeats that still write the counts again after
	// a call failed and Redis may disagree with fields (a release that did
	// not arrive, an acquisition applied after its caller gave up). More
	// than one, because a command that timed out may still be applied
	// after the first rewrite.
	dirty int
}

// repairBeats is how many heartbeats rewrite the counts after a failure.
const repairBeats = 3

func (q *quotaCounts) markDirty() {
	q.mu.Lock()
	q.dirty = repairBeats
	q.mu.Unlock()
}

func (q *quotaCounts) takeDirty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.dirty == 0 {
		return false
	}
	q.dirty--
	return true
}

func (q *quotaCounts) add(field string, d int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fields == nil {
		q.fields = map[string]int{}
	}
	if q.fields[field] += d; q.fields[field] <= 0 {
		delete(q.fields, field)
	}
}

// snapshot returns field/value pairs for HSET.
func (q *quotaCounts) snapshot() []any {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]any, 0, 2*len(q.fields))
	for f, n := range q.fields {
		out = append(out, f, n)
	}
	return out
}

func userField(hub, user string) string {
	if user == "" {
		return ""
	}
	return hub + "\x00" + user
}

// AcquireConnection counts a connection of user in hub on this node unless
// the live nodes together hold lim already (see bus.Quotas). It returns
// ErrStateless on a Stateless Bus.
func (b *Bus) AcquireConnection(ctx context.Context, hub, user string, lim bus.ConnLimits) error {
	if err := checkName("hub", hub); err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	if err := b.enter(ctx); err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	if err := b.gateway(); err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	b.nodeMu.RLock()
	defer b.nodeMu.RUnlock()
	if err := b.quota(ctx, hub, user, lim, true); err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	b.counts.add("t", 1)
	if f := userField(hub, user); f != "" {
		b.counts.add(f, 1)
	}
	return nil
}

// CheckConnection reports whether AcquireConnection would fail now.
func (b *Bus) CheckConnection(ctx context.Context, hub, user string, lim bus.ConnLimits) error {
	if err := b.enter(ctx); err != nil {
		return fmt.Errorf("check connection quota: %w", err)
	}
	b.nodeMu.RLock()
	defer b.nodeMu.RUnlock()
	if err := b.quota(ctx, hub, user, lim, false); err != nil {
		return fmt.Errorf("check connection quota: %w", err)
	}
	return nil
}

// quota runs the quota script; nodeMu must be held (shared).
func (b *Bus) quota(ctx context.Context, hub, user string, lim bus.ConnLimits, acquire bool) error {
	if lim.Max <= 0 && lim.PerUser <= 0 && !acquire {
		return nil
	}
	res, err := scriptQuota.Run(ctx, b.pipe, []string{b.keys.nodes(), b.keys.quotaNodes()}, b.keys.quotaPrefix(), b.node,
		userField(hub, user), max(lim.Max, 0), max(lim.PerUser, 0), flag(acquire)).Int64Slice()
	if err != nil {
		if acquire {
			b.counts.markDirty() // the script may still run
		}
		return b.failed(err)
	}
	switch res[0] {
	case 1:
		return fmt.Errorf("%w: %d connections, limit %d", bus.ErrLimitReached, res[1], lim.Max)
	case 2:
		return fmt.Errorf("%w: user has %d connections in the hub, limit %d", bus.ErrLimitReached, res[1], lim.PerUser)
	}
	return nil
}

// ReleaseConnection undoes one AcquireConnection of this node.
func (b *Bus) ReleaseConnection(ctx context.Context, hub, user string) error {
	if err := b.enter(ctx); err != nil {
		return fmt.Errorf("release connection: %w", err)
	}
	if err := b.gateway(); err != nil {
		return fmt.Errorf("release connection: %w", err)
	}
	b.nodeMu.RLock()
	defer b.nodeMu.RUnlock()
	f := userField(hub, user)
	b.counts.add("t", -1)
	if f != "" {
		b.counts.add(f, -1)
	}
	if err := scriptUnquota.Run(ctx, b.pipe, []string{b.keys.quota(b.node)}, b.keys.quota(b.node), f).Err(); err != nil {
		// The in-memory counts are right: the heartbeat writes them again.
		b.counts.markDirty()
		return fmt.Errorf("release connection: %w", b.failed(err))
	}
	return nil
}

// TakeNegotiate counts a negotiate in the current second of the Redis
// clock, shared by every node (see bus.Quotas).
func (b *Bus) TakeNegotiate(ctx context.Context, perSecond int) (time.Duration, error) {
	if err := b.enter(ctx); err != nil {
		return 0, fmt.Errorf("take negotiate: %w", err)
	}
	if perSecond <= 0 {
		return 0, nil
	}
	res, err := scriptNegotiate.Run(ctx, b.rdb, []string{b.keys.negotiatePrefix()}, b.keys.negotiatePrefix(), strconv.Itoa(perSecond)).Int64Slice()
	if err != nil {
		return 0, fmt.Errorf("take negotiate: %w", b.failed(err))
	}
	if res[0] == 0 {
		return time.Duration(res[1]) * time.Millisecond,
			fmt.Errorf("take negotiate: %w: %d negotiates per second", bus.ErrLimitReached, perSecond)
	}
	return 0, nil
}

// writeQuota records this node's counts under incarnation node (resync).
func (b *Bus) writeQuota(ctx context.Context, node string) error {
	pairs := b.counts.snapshot()
	if len(pairs) == 0 {
		return nil
	}
	if err := b.rdb.SAdd(ctx, b.keys.quotaNodes(), node).Err(); err != nil {
		return err
	}
	return b.rdb.HSet(ctx, b.keys.quota(node), pairs...).Err()
}

// repairQuota writes this node's counts again, replacing what Redis has,
// after a call that may have left the two out of step. Acquisitions and
// releases wait meanwhile (nodeMu), so none is lost. On failure it tries
// again at the next heartbeat.
func (b *Bus) repairQuota(ctx context.Context) {
	if !b.counts.takeDirty() {
		return
	}
	b.nodeMu.Lock()
	defer b.nodeMu.Unlock()
	key := b.keys.quota(b.node)
	pairs := b.counts.snapshot()
	_, err := b.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		if len(pairs) > 0 {
			p.SAdd(ctx, b.keys.quotaNodes(), b.node)
			p.HSet(ctx, key, pairs...)
		}
		return nil
	})
	if err != nil {
		b.counts.markDirty()
		b.log.Debug("redisbus: rewriting quota counts failed; retrying", "err", err)
	}
}
