package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkStatefulIdleMemory is BenchmarkIdleMemory's round four times
// per op, with plain clients and with stateful ones (useStatefulReconnect,
// handshake version 2) in the order plain, stateful, stateful, plain, each
// on a fresh emulator, so that a drift in the machine's load falls on both
// alike. It reports both KiB/conn and gw-cpu-us/conn and the ratio of
// KiB/conn, stateful ÷ plain.
func BenchmarkStatefulIdleMemory(b *testing.B) {
	const conns = 10000
	var plain, stateful idleTotals
	acks := NewAcker(AckDelay)
	defer acks.Close()
	ops := 0
	for b.Loop() {
		b.StopTimer()
		for k := range 4 {
			r, a, name := &plain, (*Acker)(nil), "plain"
			if k == 1 || k == 2 {
				r, a, name = &stateful, acks, "stateful"
			}
			kib := r.kib
			idleRound(b, conns, r, a)
			b.Logf("%s round: %.2f KiB/conn", name, r.kib-kib)
		}
		ops++
		b.StartTimer()
	}
	n := float64(2 * ops) // rounds of each kind
	report(b, plain.kib/n, "plain-KiB/conn")
	report(b, stateful.kib/n, "stateful-KiB/conn")
	report(b, stateful.kib/plain.kib, "stateful÷plain-KiB")
	report(b, float64(plain.gwCPU.Microseconds())/n/conns, "plain-gw-cpu-us/conn")
	report(b, float64(stateful.gwCPU.Microseconds())/n/conns, "stateful-gw-cpu-us/conn")
}

// statefulRate is the broadcasts per second of BenchmarkStatefulFanout, and
// statefulBurst how long each of its windows sends: at 1,000 clients,
// 100,000 deliveries a second, and each client acknowledges about 100
// messages (≈7 KB) a second.
const (
	statefulRate  = 100
	statefulBurst = 3 * time.Second
)

// BenchmarkStatefulFanout measures what stateful reconnect's bookkeeping
// costs the fan-out: three servers run side by side, an emulator with
// plain clients, one with stateful clients that acknowledge as the
// official clients do (Acker), and the raw floor, each with N clients. One
// op is one window on each, in an order that rotates every op: 300
// broadcasts of broadcastBody at 100/s, every delivery awaited, then
// AckDelay and a little more so that the last Acks are handled. It reports
// each server's CPU-seconds per million deliveries over its windows
// (plain-, stateful-gw-cpu-s/1M, floor-cpu-s/1M), stateful ÷ plain, the
// Acks sent and the most messages one Ack covered.
func BenchmarkStatefulFanout(b *testing.B) {
	for _, n := range []int{1000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchStatefulFanout(b, n) })
	}
}

// pacedServer is one server of BenchmarkStatefulFanout and its clients.
type pacedServer struct {
	name       string
	pid        int
	c          *Client
	body       []byte
	tally      *Tally
	per        []atomic.Int64
	pool       *Pool
	logs       func() string
	cpu        time.Duration
	deliveries int64
}

// counter returns a Handler that counts invocations into s.
func (s *pacedServer) counter(n int) Handler {
	s.tally, s.per = NewTally(), make([]atomic.Int64, n)
	return func(i int, payload []byte) {
		if IsInvocation(payload) {
			s.per[i].Add(1)
			s.tally.Add()
		}
	}
}

func benchStatefulFanout(b *testing.B, n int) {
	acks := NewAcker(AckDelay)
	b.Cleanup(acks.Close) // after the pools close
	servers := make([]*pacedServer, 0, 3)
	for _, a := range []*Acker{nil, acks} {
		s := &pacedServer{name: "plain", body: broadcastBody}
		if a != nil {
			s.name = "stateful"
		}
		child, c := start(b)
		c.Acker = a
		s.pid, s.c, s.logs = child.PID(), c, child.Logs
		s.pool, _ = dial(b, c, n, s.counter(n))
		servers = append(servers, s)
	}
	floor := &pacedServer{name: "floor", body: floorRecord}
	child, c, p := startFloor(b, n, floor.counter(n))
	floor.pid, floor.c, floor.pool, floor.logs = child.PID(), c, p, child.Logs
	servers = append(servers, floor)

	ops := 0
	for b.Loop() {
		for k := range servers {
			servers[(ops+k)%len(servers)].window(b, n)
		}
		ops++
	}
	sent := int64(ops) * statefulRate * int64(statefulBurst/time.Second)
	for _, s := range servers {
		for i := range s.per {
			if got := s.per[i].Load(); got != sent {
				b.Fatalf("%s: connection %d got %d messages, want %d", s.name, i, got, sent)
			}
		}
	}
	if acks.Acks() < int64(ops*n) {
		b.Fatalf("%d Acks from %d stateful clients over %d windows: they do not acknowledge", acks.Acks(), n, ops)
	}
	perM := func(s *pacedServer) float64 { return s.cpu.Seconds() / float64(s.deliveries) * 1e6 }
	report(b, perM(servers[0]), "plain-gw-cpu-s/1M")
	report(b, perM(servers[1]), "stateful-gw-cpu-s/1M")
	report(b, perM(servers[1])/perM(servers[0]), "stateful÷plain-cpu")
	report(b, perM(floor), "floor-cpu-s/1M")
	report(b, float64(acks.Acks()), "acks")
	report(b, float64(acks.MaxCovered()), "max-msgs/ack")
}

// window sends statefulRate broadcasts a second for statefulBurst, waits
// for every delivery and for the last Acks, and adds the server's CPU time
// and deliveries to s.
func (s *pacedServer) window(b *testing.B, n int) {
	ctx := context.Background()
	count := statefulRate * int64(statefulBurst/time.Second)
	base := s.tally.Load()
	cpu0 := cpu(b, s.pid)
	tick := time.NewTicker(time.Second / statefulRate)
	defer tick.Stop()
	for range count {
		<-tick.C
		if err := s.c.Broadcast(ctx, s.body); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.tally.WaitFor(base+count*int64(n), stall); err != nil {
		b.Fatalf("%s: %v (%d connections closed by the server)\nstderr:\n%s", s.name, err, s.pool.Ended(), s.logs())
	}
	time.Sleep(AckDelay + 300*time.Millisecond) // the last Acks are sent and handled
	used := cpu(b, s.pid) - cpu0
	s.cpu += used
	s.deliveries += count * int64(n)
	if s.pool.Ended() > 0 {
		b.Fatalf("%s: %d connections closed by the server\nstderr:\n%s", s.name, s.pool.Ended(), s.logs())
	}
	b.Logf("%s window: %.3f CPU-s/1M", s.name, used.Seconds()/float64(count*int64(n))*1e6)
}

// The summary's rows for stateful reconnect: its idle memory and its
// fan-out CPU, each beside its floor and as a ratio to plain connections
// measured in the same run.
func init() {
	const fan = "BenchmarkStatefulFanout/conns=1000 "
	targets = append(targets,
		target{name: "Idle memory per conn, stateful reconnect", value: metric("BenchmarkStatefulIdleMemory stateful-KiB/conn"),
			limit: 12, unit: "KiB", floor: metric("BenchmarkSetupFloor KiB/conn")},
		target{name: "Idle memory, stateful ÷ plain", value: metric("BenchmarkStatefulIdleMemory stateful÷plain-KiB"),
			limit: 1.1, unit: "×"},
		target{name: "Fan-out 100 msg/s, 1,000 stateful clients", value: metric(fan + "stateful-gw-cpu-s/1M"),
			limit: 1, unit: "× floor", floor: metric(fan + "floor-cpu-s/1M"), perFloor: true},
		target{name: "Fan-out 100 msg/s, stateful ÷ plain", value: metric(fan + "stateful÷plain-cpu"),
			limit: 1.1, unit: "×"},
	)
}
