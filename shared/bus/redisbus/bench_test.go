package redisbus_test

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
)

func benchEnvelope(hub string) *bus.Envelope {
	return &bus.Envelope{
		Kind: bus.KindSend, Hub: hub, Scope: bus.ScopeGroup, ID: "room",
		Message: &bus.Message{Target: "newMessage", Arguments: json.RawMessage(`["hello",{"n":1}]`)},
	}
}

// BenchmarkPublish measures one Publish: JSON encoding and an SPUBLISH
// round trip, with one node subscribed to the hub.
func BenchmarkPublish(b *testing.B) {
	ctx := b.Context()
	fn := benchPair(b, func(*bus.Envelope) {})
	e := benchEnvelope("chat")
	b.ReportAllocs()
	for b.Loop() {
		if err := fn.Publish(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishToSubscriber measures the latency from Publish on the
// functions' bus to the gateway node's handler, one message at a time.
func BenchmarkPublishToSubscriber(b *testing.B) {
	ctx := b.Context()
	got := make(chan struct{}, 1)
	fn := benchPair(b, func(*bus.Envelope) { got <- struct{}{} })
	e := benchEnvelope("chat")
	b.ReportAllocs()
	for b.Loop() {
		if err := fn.Publish(ctx, e); err != nil {
			b.Fatal(err)
		}
		<-got
	}
}

// BenchmarkPublishToSubscriberParallel measures throughput from many
// publishers to one gateway node's handler.
func BenchmarkPublishToSubscriberParallel(b *testing.B) {
	ctx := b.Context()
	var mu sync.Mutex
	want, seen := 0, 0
	all := make(chan struct{}, 1)
	fn := benchPair(b, func(*bus.Envelope) {
		mu.Lock()
		defer mu.Unlock()
		if seen++; seen == want {
			all <- struct{}{}
		}
	})
	e := benchEnvelope("chat")
	b.ReportAllocs()
	mu.Lock()
	want, seen = b.N, 0
	mu.Unlock()
	b.ResetTimer()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := fn.Publish(ctx, e); err != nil {
				b.Error(err)
				return
			}
		}
	})
	<-all
}

// benchPair starts a gateway node subscribed with handle and holding
// connection c1 of hub chat, and returns a stateless functions node to
// publish from; both end with the benchmark.
func benchPair(b *testing.B, handle func(*bus.Envelope)) *redisbus.Bus {
	d := newDeployment(b, newClient(b, ""))
	gw := d.node(redisbus.Config{})
	fn := d.node(redisbus.Config{Stateless: true})
	sub, err := gw.Subscribe(b.Context(), handle)
	must(b, err)
	b.Cleanup(func() { _ = sub.Close() })
	_, err = gw.Register(b.Context(), bus.Conn{Hub: "chat", ID: "c1"})
	must(b, err)
	return fn
}
