package redisbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/redis/go-redis/v9"
)

// unsubscribeTimeout bounds an SUNSUBSCRIBE sent when a hub's last local
// connection leaves.
const unsubscribeTimeout = time.Second

// pingPrefix starts the payload of the PINGs the subscriber sends on its
// connection; a number follows.
const pingPrefix = "herald-redisbus:"

// subscriber owns one pub/sub connection (a redis.PubSub), its reader
// goroutine and the hub subscriptions made on it: on one Redis server, all
// of the node's hubs; on a Redis Cluster, one hub (see shards).
//
// A hub is subscribed while the node holds connections in it (refs > 0).
// A subscription counts as confirmed once a PING sent after its SSUBSCRIBE
// comes back on the connection: Redis answers commands on a connection in
// order, so by then the SSUBSCRIBE took effect. PINGs carry increasing
// numbers; hubSub.need is the first number that confirms a hub. When the
// connection fails every hub needs confirming again; the reader replaces
// the PubSub, subscribes every hub and sends a PING, retrying with backoff
// and jitter until Redis answers.
type subscriber struct {
	rdb    redis.UniversalClient
	log    *slog.Logger
	health time.Duration // ping after this long without traffic
	hs     *handlerSet   // the node's handlers, shared by its subscribers
	// pin is the one hub channel of a subscriber on a Redis Cluster ("" on
	// one server): every new connection subscribes it first, so that the
	// ClusterClient connects to the shard owning its slot.
	pin string

	kick chan struct{} // wakes the reader from its backoff; capacity 1
	done chan struct{} // closed when the reader returns

	mu        sync.Mutex
	ps        *redis.PubSub
	hubs      map[string]*hubSub // by channel
	sent      uint64             // number of the last PING written
	connected bool               // a PING came back since the last failure
	stale     bool               // ps must be replaced before use
	lastErr   error              // why the connection last failed
	broken    chan struct{}      // closed (and replaced) on each failure
	closed    bool
	// unsubs counts the SUNSUBSCRIBEs sent on ps per channel whose answer
	// has not come back: any other sunsubscribe is the server's (a
	// Cluster node that lost the channel's slot).
	unsubs map[string]int
}

// hubSub is the subscription to one hub's channel.
type hubSub struct {
	refs      int           // local connections and Registers in flight
	need      uint64        // PING number that confirms it
	confirmed bool          // subscribed on the current connection
	ready     chan struct{} // closed once confirmed
}

func newSubscriber(rdb redis.UniversalClient, log *slog.Logger, health time.Duration, hs *handlerSet, pin string) *subscriber {
	return &subscriber{
		rdb:    rdb,
		log:    log,
		health: health,
		hs:     hs,
		pin:    pin,
		unsubs: make(map[string]int),
		kick:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		ps:     rdb.SSubscribe(context.Background()), // no channel: no I/O yet
		hubs:   make(map[string]*hubSub),
		stale:  true,
		broken: make(chan struct{}),
	}
}

// acquire takes a reference on channel's subscription and returns once it
// is confirmed. On error the reference is released.
func (s *subscriber) acquire(ctx context.Context, channel string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return bus.ErrClosed
	}
	h := s.hubs[channel]
	if h == nil {
		h = &hubSub{need: s.sent + 1, ready: make(chan struct{})}
		s.hubs[channel] = h
		if !s.stale {
			// SSUBSCRIBE then PING: the PING's answer confirms it.
			err := s.ps.SSubscribe(ctx, channel)
			if err == nil {
				err = s.pingLocked(ctx)
			}
			if err != nil {
				h.refs++
				s.mu.Unlock()
				s.release(ctx, channel)
				return unavailable(err)
			}
		}
		// Otherwise the reader subscribes every hub when it replaces the
		// failed PubSub.
	}
	h.refs++
	if h.confirmed {
		s.mu.Unlock()
		return nil
	}
	ready, broken, connected := h.ready, s.broken, s.connected
	s.mu.Unlock()
	if !connected {
		s.wake()
	}
	select {
	case <-ready:
		return nil
	case <-broken:
		err := s.failure()
		s.release(ctx, channel)
		return err
	case <-ctx.Done():
		s.release(ctx, channel)
		return unavailable(ctx.Err())
	case <-s.done:
		s.release(ctx, channel)
		return bus.ErrClosed
	}
}

// release drops a reference on channel's subscription and unsubscribes
// when it was the last one.
func (s *subscriber) release(ctx context.Context, channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hubs[channel]
	if h == nil {
		return
	}
	if h.refs--; h.refs > 0 {
		return
	}
	delete(s.hubs, channel)
	if s.closed || s.stale {
		return // the PubSub's replacement subscribes only the hubs left
	}
	// An old PING answer can never confirm a later subscription to the
	// channel: that one needs a PING written after it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unsubscribeTimeout)
	defer cancel()
	s.unsubs[channel]++
	if err := s.ps.SUnsubscribe(ctx, channel); err != nil {
		s.log.Debug("redisbus: unsubscribe", "channel", channel, "err", err)
	}
}

// pingLocked writes the next numbered PING. s.mu must be held.
func (s *subscriber) pingLocked(ctx context.Context) error {
	s.sent++
	return s.ps.Ping(ctx, pingPrefix+strconv.FormatUint(s.sent, 10))
}

// wake cuts the reader's backoff short.
func (s *subscriber) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// failure returns the error for a Register whose subscription failed:
// bus.ErrClosed, or ErrUnavailable with the connection's last failure.
func (s *subscriber) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return bus.ErrClosed
	case s.lastErr == nil:
		return unavailable(errors.New("subscription connection failed"))
	}
	return unavailable(s.lastErr)
}

// stop ends the reader and every subscription without waiting; <-s.done
// tells when the reader has returned.
func (s *subscriber) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	_ = s.ps.Close()
	close(s.broken)
}

// Subscribe makes h receive, in bus order, every envelope of every hub in
// which this node holds a connection, from the moment Register returns
// until the hub's last local connection is unregistered (see
// bus.Subscriber). Handlers run one at a time on the node's reader
// goroutine and must not block or call Register (which waits for the
// reader), Subscription.Close or Close. It
// returns bus.ErrInvalidArgument for a nil h and ErrStateless on a
// Stateless Bus.
func (b *Bus) Subscribe(ctx context.Context, h bus.Handler) (bus.Subscription, error) {
	if h == nil {
		return nil, fmt.Errorf("subscribe: %w: nil handler", bus.ErrInvalidArgument)
	}
	if err := b.enter(ctx); err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	if err := b.gateway(); err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	sub, err := b.sub.hs.add(h)
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	return sub, nil
}
