package bench

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	hub         = "bench"
	accessKey   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH" // the emulator's default
	dialWorkers = 64                                             // connections being set up at once
	stall       = 10 * time.Second                               // longest wait without a delivery
)

// broadcastBody is what BenchmarkFanout sends.
var broadcastBody = []byte(`{"target":"news","arguments":["Herald benchmark payload",42]}`)

// launch starts an emulator and a client for it. stop closes the client
// and stops the emulator, reporting a failed shutdown as an error.
func launch(b *testing.B) (child *Child, c *Client, stop func()) {
	b.Helper()
	bin, err := emulatorBinary()
	if err != nil {
		b.Fatal(err)
	}
	child, err = StartChild(bin)
	if err != nil {
		b.Fatal(err)
	}
	c, err = NewClient(child.Addr, hub, accessKey)
	if err != nil {
		_ = child.Stop()
		b.Fatal(err)
	}
	return child, c, func() {
		c.Close()
		if err := child.Stop(); err != nil {
			b.Errorf("emulator: %v\nstderr:\n%s", err, child.Logs())
		}
	}
}

// start is launch with the stop registered as a Cleanup.
func start(b *testing.B) (*Child, *Client) {
	b.Helper()
	child, c, stop := launch(b)
	b.Cleanup(stop)
	return child, c
}

// dial connects n clients; Cleanup closes them (Close earlier is fine).
func dial(b *testing.B, c *Client, n int, h Handler) (*Pool, time.Duration) {
	b.Helper()
	p, took, err := Dial(context.Background(), c, n, dialWorkers, h)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	return p, took
}

func ignore(int, []byte) {}

func rss(b *testing.B, pid int) int64 {
	b.Helper()
	kib, err := RSSKiB(pid)
	if err != nil {
		b.Fatal(err)
	}
	return kib
}

func cpu(b *testing.B, pid int) time.Duration {
	b.Helper()
	d, err := CPUTime(pid)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkIdleMemory connects 10,000 idle clients to a fresh emulator and
// reports its RSS growth per connection (KiB/conn) and the connection
// setup rate (conns/s: both negotiate hops, WebSocket upgrade and
// handshake, 64 at a time). One op is one such round; only the connecting
// is timed.
func BenchmarkIdleMemory(b *testing.B) {
	const conns = 10000
	var r idleTotals
	rounds := 0
	for b.Loop() {
		b.StopTimer()
		idleRound(b, conns, &r, nil)
		rounds++
		b.StartTimer()
	}
	total := float64(rounds * conns)
	report(b, r.kib/float64(rounds), "KiB/conn")
	report(b, total/r.took.Seconds(), "conns/s")
	report(b, float64(r.gwCPU.Microseconds())/total, "gw-cpu-us/conn")
	report(b, float64(r.drvCPU.Microseconds())/total, "drv-cpu-us/conn")
}

// idleRound runs one round on its own emulator with the timer stopped
// except while connecting, and adds its figures to r. With acks the
// clients are stateful (Client.Acker).
func idleRound(b *testing.B, conns int, r *idleTotals, acks *Acker) {
	child, c, stop := launch(b)
	defer stop()
	c.Acker = acks
	// Warm up: HTTP keep-alive connections, pools and code paths.
	warm, _ := dial(b, c, 100, ignore)
	warm.Close()
	time.Sleep(500 * time.Millisecond) // let the server tear them down
	before := rss(b, child.PID())

	gw0, drv0 := cpu(b, child.PID()), cpu(b, os.Getpid())
	b.StartTimer()
	p, took := dial(b, c, conns, ignore)
	b.StopTimer()
	defer p.Close()
	r.gwCPU += cpu(b, child.PID()) - gw0
	r.drvCPU += cpu(b, os.Getpid()) - drv0
	r.took += took

	time.Sleep(time.Second) // let the last handshakes settle
	after := rss(b, child.PID())
	if ended := p.Ended(); ended > 0 {
		b.Fatalf("%d connections closed while idle\nstderr:\n%s", ended, child.Logs())
	}
	r.kib += float64(after-before) / float64(conns)
}

// idleTotals sums BenchmarkIdleMemory's rounds.
type idleTotals struct {
	kib           float64 // KiB/conn, summed over rounds
	took          time.Duration
	gwCPU, drvCPU time.Duration
}

// BenchmarkNegotiate runs both negotiate hops (app negotiate, then client
// negotiate) per op on 8 goroutines and reports negotiations/s.
func BenchmarkNegotiate(b *testing.B) {
	child, c := start(b)
	benchNegotiate(b, c, child.PID(), "gw-cpu-us/op")
}

// benchNegotiate runs c's both negotiate hops per op on 8 goroutines
// against the server process pid and reports negotiations/s, the server's
// CPU per op under cpuUnit and this process's as drv-cpu-us/op.
func benchNegotiate(b *testing.B, c *Client, pid int, cpuUnit string) {
	const workers = 8
	jobs := make(chan int, workers)
	var (
		wg       sync.WaitGroup
		firstErr atomic.Pointer[error]
	)
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				if _, err := c.Negotiate(context.Background(), fmt.Sprintf("u%d", i)); err != nil {
					firstErr.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	stopWorkers := sync.OnceFunc(func() { close(jobs); wg.Wait() })
	b.Cleanup(stopWorkers)

	gw0, drv0 := cpu(b, pid), cpu(b, os.Getpid())
	begin, ops := time.Now(), 0
	for b.Loop() {
		if err := firstErr.Load(); err != nil {
			stopWorkers()
			b.Fatal(*err)
		}
		jobs <- ops
		ops++
	}
	b.StartTimer() // the last ops in flight are part of the work
	stopWorkers()
	elapsed := time.Since(begin)
	if err := firstErr.Load(); err != nil {
		b.Fatal(*err)
	}
	gw, drv := cpu(b, pid)-gw0, cpu(b, os.Getpid())-drv0
	report(b, float64(ops)/elapsed.Seconds(), "negotiations/s")
	report(b, float64(gw.Microseconds())/float64(ops), cpuUnit)
	report(b, float64(drv.Microseconds())/float64(ops), "drv-cpu-us/op")
}

// BenchmarkFanout connects N clients, then one op is one REST broadcast to
// all of them; every client must receive every message (exact count, else
// the benchmark fails). At most 200 broadcasts (and about 200,000
// deliveries) are in flight, well inside the gateway's 1024-frame
// per-connection queue; the drain after the last op is timed. It reports
// deliveries/s and the emulator's CPU seconds per million deliveries
// (gw-cpu-s/1M; drv-cpu-s/1M is this process: REST sender and clients).
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchFanout(b, n, JSON) })
	}
}

// BenchmarkFanoutMsgpack is BenchmarkFanout with MessagePack clients: the
// REST broadcast's JSON arguments are converted once per message and the
// same binary frame goes to every client.
func BenchmarkFanoutMsgpack(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchFanout(b, n, MessagePack) })
	}
}

func benchFanout(b *testing.B, n int, proto Protocol) {
	// At most 200 broadcasts and about 200,000 deliveries in flight: the
	// per-connection queues (1024 frames) never overflow, and the drain
	// after the last op stays short however many connections there are.
	window := int64(max(1, min(200, 200_000/n)))
	child, c := start(b)
	c.Protocol = proto
	tally := NewTally()
	per := make([]atomic.Int64, n)
	p, _ := dial(b, c, n, func(i int, payload []byte) {
		if IsInvocation(payload) {
			per[i].Add(1)
			tally.Add()
		}
	})
	ctx := context.Background()
	waitFor := func(want int64) {
		if err := tally.WaitFor(want, stall); err != nil {
			b.Fatalf("%v (%d connections closed by the server)\nstderr:\n%s", err, p.Ended(), child.Logs())
		}
	}

	gw0, drv0 := cpu(b, child.PID()), cpu(b, os.Getpid())
	begin, sent := time.Now(), int64(0)
	for b.Loop() {
		if err := c.Broadcast(ctx, broadcastBody); err != nil {
			b.Fatal(err)
		}
		sent++
		if sent > window {
			waitFor((sent - window) * int64(n))
		}
	}
	b.StartTimer() // draining is part of the work
	waitFor(sent * int64(n))
	b.StopTimer()
	elapsed := time.Since(begin)
	gw, drv := cpu(b, child.PID())-gw0, cpu(b, os.Getpid())-drv0

	if got, want := tally.Load(), sent*int64(n); got != want {
		b.Fatalf("%d deliveries, want %d", got, want)
	}
	for i := range per {
		if got := per[i].Load(); got != sent {
			b.Fatalf("connection %d got %d messages, want %d", i, got, sent)
		}
	}
	deliveries := float64(sent) * float64(n)
	report(b, deliveries/elapsed.Seconds(), "deliveries/s")
	report(b, gw.Seconds()/deliveries*1e6, "gw-cpu-s/1M")
	report(b, drv.Seconds()/deliveries*1e6, "drv-cpu-s/1M")
}
