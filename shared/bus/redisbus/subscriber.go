package redisbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/redis/go-redis/v9"
)

// Reconnection backoff of the subscription connection: full jitter between
// half and all of min(backoffMax, backoffMin·2ⁿ) after the n-th failure.
const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 5 * time.Second
)

// unsubscribeTimeout bounds an SUNSUBSCRIBE sent when a hub's last local
// connection leaves.
const unsubscribeTimeout = time.Second

// pingPrefix starts the payload of the PINGs the subscriber sends on its
// connection; a number follows.
const pingPrefix = "herald-redisbus:"

// errHealth reports a subscription connection that stopped answering.
var errHealth = errors.New("subscription connection did not answer a ping")

// errDropped reports a channel the server unsubscribed (a Redis Cluster
// node does when the channel's slot moves to another shard).
var errDropped = errors.New("server ended the subscription to a channel")

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

// run is the reader goroutine: it receives from the PubSub, hands
// envelopes to the handlers in order, confirms subscriptions, checks the
// connection's health and reconnects. It returns when ctx is done.
func (s *subscriber) run(ctx context.Context) {
	defer close(s.done)
	failures := 0
	up := false     // the connection is set up: receive from it
	pinged := false // a health PING is unanswered
	var ps *redis.PubSub
	for ctx.Err() == nil {
		if !up {
			if failures > 0 && !s.sleep(ctx, backoff(failures)) {
				return
			}
			var err error
			if ps, err = s.reconnect(ctx); err != nil {
				failures++
				s.fail(err)
				continue
			}
			up, pinged = true, false
		}
		msg, err := ps.ReceiveTimeout(ctx, s.health)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if timeout(err) && !pinged {
				pinged = true
				if err = s.ping(ctx); err == nil {
					continue
				}
			} else if timeout(err) {
				err = errHealth
			}
			failures++
			up = false
			s.fail(err)
			continue
		}
		switch m := msg.(type) {
		case *redis.Message:
			s.dispatch(m.Channel, m.Payload)
		case *redis.Subscription:
			if m.Kind == "sunsubscribe" && s.dropped(m.Channel) {
				// The server moved the channel's slot elsewhere: subscribe
				// again, through the cluster's new map.
				failures++
				up = false
				s.fail(fmt.Errorf("%w: %s", errDropped, m.Channel))
			}
		case *redis.Pong:
			if n, ok := strings.CutPrefix(m.Payload, pingPrefix); ok {
				if k, err := strconv.ParseUint(n, 10, 64); err == nil {
					s.confirm(k)
					failures, pinged = 0, false
				}
			}
		}
	}
}

// sleep waits d, or backoffMin once woken by a Register (so that many
// Registers during an outage do not make it dial in a loop); it reports
// false when ctx is done.
func (s *subscriber) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	case <-s.kick:
	}
	if d > backoffMin {
		t.Reset(backoffMin)
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return true
}

// backoff returns the wait before reconnection attempt n ≥ 1.
func backoff(n int) time.Duration {
	d := backoffMax
	if n < 16 {
		d = min(backoffMax, backoffMin<<(n-1))
	}
	return d/2 + rand.N(d/2+1)
}

// timeout reports whether err is a read timeout (no traffic), after which
// the connection is still usable.
func timeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// reconnect gives the reader a working PubSub: a new one when the old
// failed, subscribed to every hub, followed by a PING that confirms them.
func (s *subscriber) reconnect(ctx context.Context) (*redis.PubSub, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, bus.ErrClosed
	}
	if s.stale {
		_ = s.ps.Close()
		if cc, ok := s.rdb.(*redis.ClusterClient); ok && s.lastErr != nil {
			// A failover or resharding may be why: refresh the slot map
			// (in the background) before the next attempt finds the
			// channel's shard.
			cc.ReloadState(ctx)
		}
		s.ps = s.rdb.SSubscribe(ctx)
		s.stale = false
		clear(s.unsubs)
		channels := make([]string, 0, len(s.hubs)+1)
		if s.pin != "" {
			channels = append(channels, s.pin)
		}
		for ch := range s.hubs {
			if ch != s.pin {
				channels = append(channels, ch)
			}
		}
		if len(channels) > 0 {
			// On error the PubSub still remembers the channels and
			// subscribes them when it next connects.
			if err := s.ps.SSubscribe(ctx, channels...); err != nil {
				return nil, err
			}
		}
	}
	if err := s.pingLocked(ctx); err != nil {
		return nil, err
	}
	return s.ps, nil
}

// ping writes a health PING.
func (s *subscriber) ping(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pingLocked(ctx)
}

// fail records a connection failure: every hub needs confirming again,
// the PubSub is replaced before further use, and waiting Registers fail.
func (s *subscriber) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.connected {
		s.log.Warn("redisbus: subscription connection lost; reconnecting", "err", err)
	}
	s.connected, s.stale, s.lastErr = false, true, err
	for _, h := range s.hubs {
		if h.confirmed {
			h.confirmed, h.ready = false, make(chan struct{})
		}
		h.need = s.sent + 1
	}
	close(s.broken)
	s.broken = make(chan struct{})
}

// confirm handles the answer to PING number k.
func (s *subscriber) confirm(k uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.connected && s.lastErr != nil {
		s.log.Info("redisbus: subscription connection restored", "hubs", len(s.hubs))
	}
	s.connected = true
	for _, h := range s.hubs {
		if !h.confirmed && h.need <= k {
			h.confirmed = true
			close(h.ready)
		}
	}
}

// dispatch decodes an envelope and hands it to every handler in turn.
func (s *subscriber) dispatch(channel, payload string) {
	e := new(bus.Envelope)
	if err := json.Unmarshal([]byte(payload), e); err != nil {
		s.log.Warn("redisbus: undecodable envelope", "channel", channel, "err", err)
		return
	}
	s.hs.dispatch(e)
}

// dropped handles a sunsubscribe for channel: it reports whether the
// server sent it on its own while the node still wants the channel.
func (s *subscriber) dropped(channel string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.unsubs[channel]; n > 0 {
		if n == 1 {
			delete(s.unsubs, channel)
		} else {
			s.unsubs[channel] = n - 1
		}
		return false
	}
	return s.hubs[channel] != nil
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
