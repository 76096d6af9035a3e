package bench

import (
	"context"
	"os"
	"testing"
	"time"
)

// BenchmarkSetupFloor is BenchmarkIdleMemory against the floor server
// (tests/bench/floor): a fresh floor per round, 100 connections opened and
// closed to warm up, then 10,000 idle clients connected 64 at a time, each
// with a bare WebSocket upgrade and the SignalR JSON handshake ("{}\x1e"
// back), no negotiate, token or bus. It reports the same figures under
// floor names: floor-cpu-us/conn (the floor's CPU per connection setup,
// beside BenchmarkIdleMemory's gw-cpu-us/conn in the summary), conns/s,
// KiB/conn and drv-cpu-us/conn.
func BenchmarkSetupFloor(b *testing.B) {
	const conns = 10000
	var r idleTotals
	rounds := 0
	for b.Loop() {
		b.StopTimer()
		setupFloorRound(b, conns, &r)
		rounds++
		b.StartTimer()
	}
	total := float64(rounds * conns)
	report(b, r.kib/float64(rounds), "KiB/conn")
	report(b, total/r.took.Seconds(), "conns/s")
	report(b, float64(r.gwCPU.Microseconds())/total, "floor-cpu-us/conn")
	report(b, float64(r.drvCPU.Microseconds())/total, "drv-cpu-us/conn")
}

// setupFloorRound is idleRound on its own floor server.
func setupFloorRound(b *testing.B, conns int, r *idleTotals) {
	child, stop := launchFloor(b)
	defer stop()
	target := "ws://" + child.Addr + "/hub"
	connect := func(ctx context.Context, _ int) (*Conn, error) {
		return dialWebSocket(ctx, target, "", JSON, "")
	}
	warm, _, err := DialEach(context.Background(), 100, dialWorkers, connect, ignore)
	if err != nil {
		b.Fatal(err)
	}
	warm.Close()
	time.Sleep(500 * time.Millisecond) // let the server tear them down
	before := rss(b, child.PID())

	srv0, drv0 := cpu(b, child.PID()), cpu(b, os.Getpid())
	b.StartTimer()
	p, took, err := DialEach(context.Background(), conns, dialWorkers, connect, ignore)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	r.gwCPU += cpu(b, child.PID()) - srv0
	r.drvCPU += cpu(b, os.Getpid()) - drv0
	r.took += took

	time.Sleep(time.Second)
	after := rss(b, child.PID())
	if ended := p.Ended(); ended > 0 {
		b.Fatalf("%d connections closed while idle\nstderr:\n%s", ended, child.Logs())
	}
	r.kib += float64(after-before) / float64(conns)
}

// BenchmarkNegotiateFloor is BenchmarkNegotiate against the floor server
// (tests/bench/floor), whose two negotiate routes answer fixed JSON: the
// two HTTP exchanges of a negotiation with no token made or checked. It
// reports negotiations/s and floor-cpu-us/op, which the summary prints
// beside BenchmarkNegotiate's.
func BenchmarkNegotiateFloor(b *testing.B) {
	child, stop := launchFloor(b)
	b.Cleanup(stop)
	c, err := NewClient(child.Addr, hub, accessKey)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	benchNegotiate(b, c, child.PID(), "floor-cpu-us/op")
}
