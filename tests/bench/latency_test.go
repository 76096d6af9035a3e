package bench

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkLatency connects 1,000 clients and broadcasts through the REST
// API at a fixed 20 messages/s (20,000 deliveries/s), each message carrying
// its send time in unix nanoseconds; the clients compute REST send →
// client receive latency. One op is a 3-second window (60 broadcasts). It
// reports the p50 and p99 latency in milliseconds.
func BenchmarkLatency(b *testing.B) {
	child, c := start(b)
	measureLatency(b, func(n int, h Handler) *Pool {
		p, _ := dial(b, c, n, h)
		return p
	}, c.Broadcast, child.Logs)
}

// measureLatency connects 1,000 clients with connect, broadcasts at a
// fixed 20 messages/s (60 per op) carrying the send time, checks that every
// connection got every message, and reports p50, p99 and max latency.
func measureLatency(b *testing.B, connect func(n int, h Handler) *Pool, broadcast func(context.Context, []byte) error, logs func() string) {
	const (
		conns = 1000
		rate  = 20 // broadcasts per second
		sends = 60 // per op: 3 s
	)
	tally := NewTally()
	samples := make([][]time.Duration, conns) // each appended by its reader only
	var bad atomic.Int64
	p := connect(conns, func(i int, payload []byte) {
		if !IsInvocation(payload) {
			return
		}
		now := time.Now().UnixNano()
		sent, err := sentAt(payload)
		if err != nil {
			bad.Add(1)
		}
		samples[i] = append(samples[i], time.Duration(now-sent))
		tally.Add()
	})
	ctx := context.Background()
	var body []byte
	total := int64(0)
	for b.Loop() {
		tick := time.NewTicker(time.Second / rate)
		for range sends {
			<-tick.C
			body = fmt.Appendf(body[:0], `{"target":"news","arguments":["Herald benchmark payload",%d]}`, time.Now().UnixNano())
			if err := broadcast(ctx, body); err != nil {
				tick.Stop()
				b.Fatal(err)
			}
		}
		tick.Stop()
		total += sends
		if err := tally.WaitFor(total*conns, stall); err != nil {
			b.Fatalf("%v (%d connections closed by the server)\n%s", err, p.Ended(), logs())
		}
	}
	p.Close() // joins the readers: samples are complete and ours
	if n := bad.Load(); n > 0 {
		b.Fatalf("%d messages without a timestamp argument", n)
	}
	for i := range samples {
		if got := int64(len(samples[i])); got != total {
			b.Fatalf("connection %d got %d messages, want %d", i, got, total)
		}
	}
	all := slices.Concat(samples...)
	slices.Sort(all)
	ms := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))]) / 1e6 }
	report(b, ms(0.50), "p50-ms")
	report(b, ms(0.99), "p99-ms")
	report(b, ms(1), "max-ms")
}

// sentAt parses the last argument of an invocation record,
// {"type":1,"target":"news","arguments":["…",<unix nanos>]}\x1e.
func sentAt(p []byte) (int64, error) {
	i, j := bytes.LastIndexByte(p, ','), bytes.LastIndexByte(p, ']')
	if i < 0 || j < i {
		return 0, fmt.Errorf("no arguments in %q", p)
	}
	return strconv.ParseInt(string(p[i+1:j]), 10, 64)
}
