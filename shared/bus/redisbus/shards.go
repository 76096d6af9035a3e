package redisbus

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/redis/go-redis/v9"
)

// shards gives each hub channel the subscriber its subscription lives
// on. On one Redis server a node has one subscriber, created with the
// Bus, for all its hubs. On a Redis Cluster a channel can be subscribed
// only on the shard owning its slot, and a connection's SSUBSCRIBE
// commands must keep to that shard: each hub gets a subscriber of its
// own (a ClusterClient PubSub, which connects to the master of the
// channel's slot), started by the hub's first Register and stopped when
// its last local connection leaves. When a slot moves or a master fails
// over, that subscriber alone reconnects, through the refreshed slot map.
type shards struct {
	rdb    redis.UniversalClient
	log    *slog.Logger
	health time.Duration
	perHub bool            // a Redis Cluster
	ctx    context.Context // done when the Bus closes
	hs     handlerSet
	wg     sync.WaitGroup // the readers

	mu     sync.Mutex
	closed bool
	subs   map[string]*shard // by channel; "" for the one subscriber
}

// shard is a subscriber and the acquisitions running on it.
type shard struct {
	s      *subscriber
	cancel context.CancelFunc // stops the reader
	refs   int                // acquire calls not yet matched by release
}

func newShards(ctx context.Context, rdb redis.UniversalClient, log *slog.Logger, health time.Duration, observe func(*bus.Envelope)) *shards {
	_, cluster := rdb.(*redis.ClusterClient)
	r := &shards{rdb: rdb, log: log, health: health, perHub: cluster, ctx: ctx, subs: make(map[string]*shard)}
	r.hs.observe = observe
	if !cluster {
		r.startLocked("") // connects at once, as the node starts
	}
	return r
}

// key returns the subscriber key of channel.
func (r *shards) key(channel string) string {
	if r.perHub {
		return channel
	}
	return ""
}

// startLocked starts a subscriber under key k. r.mu must be held (or r not
// shared yet).
func (r *shards) startLocked(k string) *shard {
	ctx, cancel := context.WithCancel(r.ctx)
	sh := &shard{s: newSubscriber(r.rdb, r.log, r.health, &r.hs, k), cancel: cancel}
	r.subs[k] = sh
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		sh.s.run(ctx)
	}()
	return sh
}

// acquire takes a reference on channel's subscription and returns once it
// is confirmed (see subscriber.acquire).
func (r *shards) acquire(ctx context.Context, channel string) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return bus.ErrClosed
	}
	k := r.key(channel)
	sh := r.subs[k]
	if sh == nil {
		sh = r.startLocked(k)
	}
	sh.refs++
	r.mu.Unlock()
	err := sh.s.acquire(ctx, channel)
	if err != nil {
		r.put(k, sh)
	}
	return err
}

// release drops a reference taken by a successful acquire.
func (r *shards) release(ctx context.Context, channel string) {
	k := r.key(channel)
	r.mu.Lock()
	sh := r.subs[k]
	r.mu.Unlock()
	if sh == nil {
		return // closed
	}
	sh.s.release(ctx, channel)
	r.put(k, sh)
}

// put ends an acquisition of sh; the last one stops a hub's subscriber.
func (r *shards) put(k string, sh *shard) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if sh.refs--; sh.refs > 0 || !r.perHub || r.subs[k] != sh {
		return
	}
	delete(r.subs, k)
	sh.cancel()
	sh.s.stop()
}

// close stops every subscriber and waits for the readers, then drops the
// handlers.
func (r *shards) close() {
	r.mu.Lock()
	r.closed = true
	for k, sh := range r.subs {
		sh.cancel()
		sh.s.stop()
		delete(r.subs, k)
	}
	r.mu.Unlock()
	r.wg.Wait()
	r.hs.close()
}

// handlerSet holds a node's handlers; its subscribers call them one at a
// time.
type handlerSet struct {
	observe  func(*bus.Envelope) // sees every envelope first; set before use
	mu       sync.Mutex          // held while handlers run
	closed   bool
	handlers []*subscription
}

// dispatch hands e to every handler in turn.
func (hs *handlerSet) dispatch(e *bus.Envelope) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.observe != nil {
		hs.observe(e)
	}
	for _, h := range hs.handlers {
		h.h(e)
	}
}

// add adds a handler.
func (hs *handlerSet) add(h bus.Handler) (*subscription, error) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if hs.closed {
		return nil, bus.ErrClosed
	}
	sub := &subscription{hs: hs, h: h}
	hs.handlers = append(hs.handlers, sub)
	return sub, nil
}

// close drops every handler; later adds fail.
func (hs *handlerSet) close() {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	hs.closed, hs.handlers = true, nil
}

// subscription is a bus.Subscription to a Bus.
type subscription struct {
	hs   *handlerSet
	h    bus.Handler
	once sync.Once
}

// Close stops delivery to the handler and waits for an in-flight call to
// return. It is idempotent and always returns nil. A Handler must not call
// it.
func (sub *subscription) Close() error {
	sub.once.Do(func() {
		hs := sub.hs
		hs.mu.Lock()
		defer hs.mu.Unlock()
		for i, x := range hs.handlers {
			if x == sub {
				hs.handlers = append(hs.handlers[:i:i], hs.handlers[i+1:]...)
				break
			}
		}
	})
	return nil
}
