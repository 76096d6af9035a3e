package bench

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/redistest"
)

// The scale-out benchmarks: a throwaway redis-server, two
// gateway processes and one functions process. Clients are split evenly
// across the gateways; REST broadcasts go to the functions process, so
// every delivery crosses Redis (functions → SPUBLISH → both gateways).

// redisTopology is a running two-gateway cluster and the client that
// drives it.
type redisTopology struct {
	cluster  *Cluster
	client   *Client // on the functions process: app negotiate and REST
	redisPID int
}

// startRedis starts redis-server, two gateways and the functions process;
// Cleanup stops them (processes first, then Redis) and fails the benchmark
// on an unclean exit.
func startRedis(b *testing.B) *redisTopology {
	b.Helper()
	srv, pid := startRedisServer(b)
	r, stop := launchRedis(b, srv, pid)
	b.Cleanup(func() {
		if err := stop(); err != nil {
			b.Error(err)
		}
	})
	return r
}

// startRedisServer starts a throwaway redis-server (REDIS_URL is ignored),
// stopped by Cleanup, and returns it with its process id.
func startRedisServer(b *testing.B) (*redistest.Server, int) {
	b.Helper()
	srv := redistest.Start(b)
	pid, err := RedisPID(srv.Addr())
	if err != nil {
		b.Fatal(err)
	}
	return srv, pid
}

// launchRedis starts two gateways and the functions process on srv, whose
// process id is redisPID. stop closes the client and stops the processes,
// reporting an unclean exit with the processes' logs.
func launchRedis(b *testing.B, srv *redistest.Server, redisPID int) (r *redisTopology, stop func() error) {
	b.Helper()
	bin, err := emulatorBinary()
	if err != nil {
		b.Fatal(err)
	}
	cl, err := StartCluster(bin, srv.URL(), 2)
	if err != nil {
		b.Fatal(err)
	}
	c, err := NewClient(cl.Functions.Addr, hub, accessKey)
	if err != nil {
		_ = cl.Stop()
		b.Fatal(err)
	}
	return &redisTopology{cluster: cl, client: c, redisPID: redisPID}, func() error {
		c.Close()
		if err := cl.Stop(); err != nil {
			return fmt.Errorf("cluster: %w\n%s", err, cl.Logs())
		}
		return nil
	}
}

// dial connects n clients, client i on gateway i mod 2 (users "u<i>");
// Cleanup closes them (Close earlier is fine), before the processes stop.
func (r *redisTopology) dial(b *testing.B, n int, h Handler) *Pool {
	b.Helper()
	gws := r.cluster.Gateways
	p, _, err := DialEach(context.Background(), n, dialWorkers, func(ctx context.Context, i int) (*Conn, error) {
		return r.client.ConnectVia(ctx, fmt.Sprintf("u%d", i), gws[i%len(gws)].Addr)
	}, h)
	if err != nil {
		b.Fatalf("%v\n%s", err, r.cluster.Logs())
	}
	b.Cleanup(p.Close)
	return p
}

// cpuUse is the CPU time used so far by each part of the topology.
type cpuUse struct{ gw, fn, redis, drv time.Duration }

func (r *redisTopology) cpu(b *testing.B) cpuUse {
	b.Helper()
	var u cpuUse
	for _, gw := range r.cluster.Gateways {
		u.gw += cpu(b, gw.PID())
	}
	u.fn = cpu(b, r.cluster.Functions.PID())
	u.redis = cpu(b, r.redisPID)
	u.drv = cpu(b, os.Getpid())
	return u
}

// BenchmarkRedisFanout is BenchmarkFanout across Redis: N clients split
// over two gateways, one op is one REST broadcast to the functions process,
// and every client must receive every message (exact count, else the
// benchmark fails). 200 broadcasts (20 at 10,000 connections: about
// 200,000 deliveries) are kept in flight from the start; the drain after
// the last op is timed. It reports deliveries/s
// and CPU seconds per million deliveries of the two gateways together
// (gw-cpu-s/1M), the functions process (fn-cpu-s/1M), redis-server
// (redis-cpu-s/1M) and this process (drv-cpu-s/1M).
func BenchmarkRedisFanout(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchRedisFanout(b, n, JSON) })
	}
}

// BenchmarkRedisFanoutMsgpack is BenchmarkRedisFanout with MessagePack
// clients.
func BenchmarkRedisFanoutMsgpack(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchRedisFanout(b, n, MessagePack) })
	}
}

func benchRedisFanout(b *testing.B, n int, proto Protocol) {
	window := int64(max(1, min(200, 200_000/n)))
	r := startRedis(b)
	r.client.Protocol = proto
	tally := NewTally()
	per := make([]atomic.Int64, n)
	p := r.dial(b, n, func(i int, payload []byte) {
		if IsInvocation(payload) {
			per[i].Add(1)
			tally.Add()
		}
	})
	ctx := context.Background()
	waitFor := func(want int64) {
		if err := tally.WaitFor(want, stall); err != nil {
			b.Fatalf("%v (%d connections closed by the servers)\n%s", err, p.Ended(), r.cluster.Logs())
		}
	}
	broadcast := func() {
		if err := r.client.Broadcast(ctx, broadcastBody); err != nil {
			b.Fatal(err)
		}
	}

	use0 := r.cpu(b)
	begin, sent := time.Now(), int64(0)
	// Fill the window before b.Loop starts its clock: send until window
	// broadcasts are undelivered, so that every op waits for about one
	// broadcast's deliveries from the first one on. Otherwise the first ops
	// cost one REST call each (the functions process only publishes, and
	// the gateways deliver while the window fills), and b.Loop's op-count
	// prediction from them overshoots -benchtime several times over. The
	// fill is part of the measured region (begin, the CPU readings and the
	// delivery count); it is bounded in case the gateways keep up with
	// the REST calls.
	for sent < 20*window && sent*int64(n)-tally.Load() < window*int64(n) {
		broadcast()
		sent++
	}
	for b.Loop() {
		broadcast()
		sent++
		waitFor((sent - window) * int64(n))
	}
	b.StartTimer() // draining is part of the work
	waitFor(sent * int64(n))
	b.StopTimer()
	elapsed := time.Since(begin)
	use := r.cpu(b)

	if got, want := tally.Load(), sent*int64(n); got != want {
		b.Fatalf("%d deliveries, want %d", got, want)
	}
	for i := range per {
		if got := per[i].Load(); got != sent {
			b.Fatalf("connection %d (gateway %d) got %d messages, want %d", i, i%2+1, got, sent)
		}
	}
	perM := func(d time.Duration) float64 { return d.Seconds() / (float64(sent) * float64(n)) * 1e6 }
	report(b, float64(sent)*float64(n)/elapsed.Seconds(), "deliveries/s")
	report(b, perM(use.gw-use0.gw), "gw-cpu-s/1M")
	report(b, perM(use.fn-use0.fn), "fn-cpu-s/1M")
	report(b, perM(use.redis-use0.redis), "redis-cpu-s/1M")
	report(b, perM(use.drv-use0.drv), "drv-cpu-s/1M")
}

// BenchmarkRedisLatency is BenchmarkLatency across Redis: 1,000 clients,
// 500 on each gateway, and REST broadcasts to the functions process at a
// fixed 20 messages/s (20,000 deliveries/s), each carrying its send time in
// unix nanoseconds. One op is a 3-second window (60 broadcasts); every
// delivery must arrive (exact count, else the benchmark fails). It reports
// the p50, p99 and maximum REST send → client receive latency in
// milliseconds.
func BenchmarkRedisLatency(b *testing.B) {
	r := startRedis(b)
	measureLatency(b, func(n int, h Handler) *Pool { return r.dial(b, n, h) }, r.client.Broadcast, r.cluster.Logs)
}
