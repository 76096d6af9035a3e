package redisbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/redis/go-redis/v9"
)

// ErrStateless is returned by Register and Subscribe on a Bus configured
// with Config.Stateless: only gateway nodes hold connections.
var ErrStateless = errors.New("redisbus: stateless bus holds no connections")

// goodbyeTimeout bounds the Redis work Close does for a gateway node.
const goodbyeTimeout = 2 * time.Second

// Bus is the Redis implementation of bus.Bus: one node of a deployment.
// Its methods are safe for concurrent use. A gateway node runs three
// goroutines, and one per Redis server (per master on a Redis Cluster)
// once it has sent a per-connection command there, all stopped and waited
// for by Close: the subscription reader, the heartbeat, the sweeper and
// the batcher's lanes. A Stateless Bus runs none.
type Bus struct {
	cfg  Config
	rdb  redis.UniversalClient
	log  *slog.Logger
	keys keys

	closed atomic.Bool
	killed bool               // set by the tests' kill: Close leaves Redis alone
	cancel context.CancelFunc // stops the goroutines
	wg     sync.WaitGroup     // the heartbeat, the sweeper and pipe's lanes

	pipe *batcher // per-connection commands; one at a time when Stateless

	sub *shards // nil when Stateless

	cluster bool          // on a Redis Cluster: the scripts do not read the epoch
	beaten  chan struct{} // closed once the first heartbeat was tried
	// legacyAddrs: the last heartbeat found a live node of the version that
	// kept an address per connection; the scripts that add a connection
	// then record its address that way too (set_addr in prelude.lua).
	legacyAddrs atomic.Bool

	refreshLoaded atomic.Bool // scriptRefresh is loaded (see refreshServed)

	// nodeMu is held shared by Register and Unregister for their whole
	// run and exclusively by resync, which changes node.
	nodeMu sync.RWMutex
	node   string // this incarnation's id in Redis

	local  local       // connections registered through this Bus
	groups memberships // their connection-level groups, for a resync
	counts quotaCounts // this node's connection quota counts

	live *liveCache // LiveNodes' recent count; nil unless Stateless
}

var _ bus.Bus = (*Bus)(nil)

// New returns a running Bus configured by cfg. It does not contact Redis:
// a gateway node connects in the background and retries until Redis
// answers. Close it to stop its goroutines.
func New(cfg Config) (*Bus, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	b := &Bus{
		cfg:    cfg,
		rdb:    cfg.Client,
		log:    cfg.Logger.With("node", cfg.NodeID),
		keys:   keys{prefix: cfg.KeyPrefix},
		node:   incarnation(cfg.NodeID),
		beaten: make(chan struct{}),
	}
	_, b.cluster = cfg.Client.(*redis.ClusterClient)
	b.local.init()
	b.groups.init()
	if cfg.Stateless {
		b.pipe = newBatcher(b.rdb, nil, nil)
		close(b.beaten)
		b.live = &liveCache{ttl: liveCacheTTL}
		return b, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.sub = newShards(ctx, b.rdb, b.log, cfg.HeartbeatInterval, b.groups.apply)
	b.pipe = newBatcher(b.rdb, ctx.Done(), &b.wg)
	b.wg.Add(2)
	go b.heartbeatLoop(ctx)
	go b.sweepLoop(ctx)
	return b, nil
}

// incarnation returns a fresh Redis id for node id.
func incarnation(id string) string { return id + "~" + randomID(4) }

// NodeID returns the id this node currently has in Redis: Config.NodeID
// with a suffix that changes each time the node has to re-register its
// connections (see the package documentation).
func (b *Bus) NodeID() string {
	b.nodeMu.RLock()
	defer b.nodeMu.RUnlock()
	return b.node
}

// Ping reports whether Redis answers: nil, an error wrapping
// bus.ErrUnavailable, or bus.ErrClosed after Close. On a Redis Cluster it
// asks one node (the client picks it); a shard that is down shows in the
// calls on the hubs it holds.
func (b *Bus) Ping(ctx context.Context) error {
	if err := b.enter(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	if err := b.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping: %w", b.failed(err))
	}
	return nil
}

// Close stops every subscription and goroutine, waiting for in-flight
// Handler calls, then, for a gateway node, marks the node dead in Redis and
// removes the connections still registered through it (a gateway
// unregisters its connections before closing the bus, so normally there
// are none). If Redis is unreachable, live nodes reap them after NodeTTL.
// Close does not close Config.Client. Later calls, Close included, return
// bus.ErrClosed.
func (b *Bus) Close() error {
	if !b.closed.CompareAndSwap(false, true) {
		return fmt.Errorf("close: %w", bus.ErrClosed)
	}
	if b.cfg.Stateless {
		return nil
	}
	b.pipe.shut() // no batcher lane joins wg after this
	b.cancel()
	b.sub.close()
	b.wg.Wait()
	if b.killed {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), goodbyeTimeout)
	defer cancel()
	if err := b.goodbye(ctx); err != nil {
		b.log.Warn("redisbus: could not remove this node from Redis; live nodes will reap it", "err", err)
	}
	return nil
}

// enter fails with bus.ErrClosed after Close and with ctx's error when it
// is done.
func (b *Bus) enter(ctx context.Context) error {
	if b.closed.Load() {
		return bus.ErrClosed
	}
	return ctx.Err()
}

// started waits until a gateway node tried its first heartbeat, which
// starts the deployment's epoch (see beat.lua), so that the node's first
// calls do not find it missing. It returns at once on a Stateless Bus.
func (b *Bus) started(ctx context.Context) error {
	select {
	case <-b.beaten:
		return nil
	case <-ctx.Done():
		return unavailable(ctx.Err())
	}
}

// gateway fails with ErrStateless on a Stateless Bus.
func (b *Bus) gateway() error {
	if b.cfg.Stateless {
		return ErrStateless
	}
	return nil
}

// unavailable wraps a failed Redis call: the operation may not have been
// applied. The original error (a context error, a network error) stays
// visible to errors.Is.
func unavailable(err error) error {
	return fmt.Errorf("%w: %w", bus.ErrUnavailable, err)
}
