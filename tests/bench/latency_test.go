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
	const (
		conns = 1000
		rate  = 20 // broadcasts per second
		sends = 60 // per op: 3 s
	)
	child, c := start(b)
	tally := NewTally()
	samples := make([][]time.Duration, conns) // each appended by its reader only
	var bad atomic.Int64
	p, _ := dial(b, c, conns, func(i int, payload []byte) {
		if !isInvocation(payload) {
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
			if err := c.Broadcast(ctx, body); err != nil {
				b.Fatal(err)
			}
		}
		tick.Stop()
		total += sends
		if err := tally.WaitFor(total*conns, stall); err != nil {
			b.Fatalf("%v (%d connections closed by the server)\nstderr:\n%s", err, p.Ended(), child.Logs())
		}
	}
	p.Close() // joins the readers: samples are complete and ours
	if n := bad.Load(); n > 0 {
		b.Fatalf("%d messages without a timestamp argument", n)
	}
	all := slices.Concat(samples...)
	if int64(len(all)) != total*conns {
		b.Fatalf("%d deliveries, want %d", len(all), total*conns)
	}
	slices.Sort(all)
	ms := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))]) / 1e6 }
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(ms(1), "max-ms")
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
