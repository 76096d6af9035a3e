package redisbus_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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

// BenchmarkConnectParallel measures a connection's Redis work on a
// gateway node, claim, Register and Unregister, with 32 connecting
// concurrently per core, as a busy gateway does; cpu-us/op is this
// process's CPU (the bus, go-redis), not Redis's.
func BenchmarkConnectParallel(b *testing.B) {
	d := newDeployment(b, newClient(b, ""))
	gw := d.node(redisbus.Config{})
	ctx := b.Context()
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(32)
	cpu0 := processCPU(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprint("c", n.Add(1))
			if err := gw.ClaimConnection(ctx, "chat", id, time.Minute); err != nil {
				b.Error(err)
				return
			}
			if _, err := gw.Register(ctx, bus.Conn{Hub: "chat", ID: id, User: "u" + id}); err != nil {
				b.Error(err)
				return
			}
			if err := gw.Unregister(ctx, "chat", id); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
}

// processCPU returns the CPU time (user and system) this process used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
