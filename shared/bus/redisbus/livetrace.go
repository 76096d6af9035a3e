package redisbus

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Live trace relay (shared/livetrace.Relay): events of every node reach a
// watcher on any node. A node with watchers refreshes a flag key; every
// node polls it and, while it is set, publishes its events on one plain
// (not sharded) pub/sub channel the watching nodes subscribe to. No key
// or message is written while nobody watches.

func (k keys) traceEvents() string   { return k.prefix + ":{livetrace}:events" }
func (k keys) traceWatching() string { return k.prefix + ":{livetrace}:watching" }

// PublishTrace publishes one encoded live trace event.
func (b *Bus) PublishTrace(ctx context.Context, payload []byte) error {
	if err := b.rdb.Publish(ctx, b.keys.traceEvents(), payload).Err(); err != nil {
		return fmt.Errorf("redisbus: publish trace: %w", err)
	}
	return nil
}

// MarkTraceWatched records that this node has live trace watchers, for
// ttl.
func (b *Bus) MarkTraceWatched(ctx context.Context, ttl time.Duration) error {
	if err := b.rdb.Set(ctx, b.keys.traceWatching(), b.cfg.NodeID, ttl).Err(); err != nil {
		return fmt.Errorf("redisbus: mark trace watched: %w", err)
	}
	return nil
}

// TraceWatched reports whether a node recorded watchers within their ttl.
func (b *Bus) TraceWatched(ctx context.Context) (bool, error) {
	n, err := b.rdb.Exists(ctx, b.keys.traceWatching()).Result()
	if err != nil {
		return false, fmt.Errorf("redisbus: trace watched: %w", err)
	}
	return n > 0, nil
}

// SubscribeTrace calls deliver with every event published on the live
// trace channel, on one goroutine, until stop is called (stop waits for
// it). It returns once the subscription is confirmed.
func (b *Bus) SubscribeTrace(ctx context.Context, deliver func([]byte)) (stop func() error, err error) {
	ps := b.rdb.Subscribe(ctx, b.keys.traceEvents())
	if _, err := ps.Receive(ctx); err != nil {
		_ = ps.Close()
		return nil, fmt.Errorf("redisbus: subscribe trace: %w", err)
	}
	ch := ps.Channel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for m := range ch {
			deliver([]byte(m.Payload))
		}
	}()
	var once sync.Once
	return func() error {
		var cerr error
		once.Do(func() {
			cerr = ps.Close() // closes ch: the goroutine ends
			wg.Wait()
		})
		return cerr
	}, nil
}
