package redisbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/redis/go-redis/v9"
)

// Reconnection backoff of the subscription connection: full jitter between
// half and all of min(max, backoffMin·2ⁿ) after the n-th failure, where max
// is backoffMax, or backoffMaxCluster for a hub's connection to a Redis
// Cluster: there, a failover ends while the cluster keeps serving, and
// every second the connection waits past it is a second of the hub's
// messages reaching the other shards' callers but not this node.
const (
	backoffMin        = 100 * time.Millisecond
	backoffMax        = 5 * time.Second
	backoffMaxCluster = time.Second
)

// errHealth reports a subscription connection that stopped answering.
var errHealth = errors.New("subscription connection did not answer a ping")

// errDropped reports a channel the server unsubscribed (a Redis Cluster
// node does when the channel's slot moves to another shard).
var errDropped = errors.New("server ended the subscription to a channel")

// run is the reader goroutine: it receives from the PubSub, hands
// envelopes to the handlers in order, confirms subscriptions, checks the
// connection's health and reconnects. It returns when ctx is done.
func (s *subscriber) run(ctx context.Context) {
	defer close(s.done)
	failures := 0
	up := false      // the connection is set up: receive from it
	pinged := false  // a health PING is unanswered
	stalled := false // Redis did not answer the last check
	suspect := false // Redis answered the last check, this connection did not
	var ps *redis.PubSub
	for ctx.Err() == nil {
		if !up {
			if failures > 0 && !s.sleep(ctx, backoff(failures, s.maxBackoff())) {
				return
			}
			var err error
			if ps, err = s.reconnect(ctx); err != nil {
				failures++
				s.fail(err)
				continue
			}
			up, pinged, suspect = true, false, false
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
				if s.redisStalled(ctx, s.health) {
					if !stalled {
						s.log.Warn("redisbus: Redis does not answer; keeping the subscription connection until it does")
						stalled = true
					}
					continue
				}
				if !suspect {
					// Redis answers elsewhere, perhaps only just (it
					// resumed): the PING's answer may be on its way.
					suspect = true
					continue
				}
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
					failures, pinged, stalled, suspect = 0, false, false, false
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

// backoff returns the wait before reconnection attempt n ≥ 1, at most
// limit.
func backoff(n int, limit time.Duration) time.Duration {
	d := limit
	if n < 16 {
		d = min(limit, backoffMin<<(n-1))
	}
	return d/2 + rand.N(d/2+1)
}

// maxBackoff returns the longest wait between reconnection attempts.
func (s *subscriber) maxBackoff() time.Duration {
	if s.pin != "" {
		return backoffMaxCluster
	}
	return backoffMax
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
			if err := checkPlacement(ctx, cc, s.pin); err != nil {
				return nil, err
			}
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
