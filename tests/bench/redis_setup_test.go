package bench

import (
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/redistest"
)

// BenchmarkRedisSetup is BenchmarkIdleMemory on the scale-out topology: per
// round a fresh redis-server, two gateways and a functions process, 100
// connections opened and closed to warm up, then 10,000 idle clients
// connected 64 at a time, client i on gateway i mod 2: the app negotiate on
// the functions process, then the client negotiate, the WebSocket upgrade,
// the handshake and the connection's Redis registration on a gateway. Only
// the connecting is timed. It reports conns/s and the CPU per connection
// setup of the Herald processes together (srv-cpu-us/conn: both gateways and
// the functions process, the figure beside the setup floor's), of each part
// (gw-cpu-us/conn, fn-cpu-us/conn, redis-cpu-us/conn) and of this process
// (drv-cpu-us/conn).
func BenchmarkRedisSetup(b *testing.B) {
	const conns = 10000
	var t struct {
		took time.Duration
		use  cpuUse
	}
	srv, redisPID := startRedisServer(b)
	rounds := 0
	for b.Loop() {
		b.StopTimer()
		took, use := redisSetupRound(b, conns, srv, redisPID)
		t.took += took
		t.use.gw += use.gw
		t.use.fn += use.fn
		t.use.redis += use.redis
		t.use.drv += use.drv
		rounds++
		b.StartTimer()
	}
	total := float64(rounds * conns)
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / total }
	report(b, total/t.took.Seconds(), "conns/s")
	report(b, per(t.use.gw+t.use.fn), "srv-cpu-us/conn")
	report(b, per(t.use.gw), "gw-cpu-us/conn")
	report(b, per(t.use.fn), "fn-cpu-us/conn")
	report(b, per(t.use.redis), "redis-cpu-us/conn")
	report(b, per(t.use.drv), "drv-cpu-us/conn")
}

// redisSetupRound runs one BenchmarkRedisSetup round on a fresh topology
// on srv (process id redisPID), stopped before it returns, and returns the
// connecting's wall time and the CPU each part used meanwhile.
func redisSetupRound(b *testing.B, conns int, srv *redistest.Server, redisPID int) (time.Duration, cpuUse) {
	r, stop := launchRedis(b, srv, redisPID)
	defer func() {
		if err := stop(); err != nil {
			b.Error(err)
		}
	}()
	warm := r.dial(b, 100, ignore)
	warm.Close()
	time.Sleep(500 * time.Millisecond) // let the servers tear them down
	use0 := r.cpu(b)
	b.StartTimer()
	begin := time.Now()
	p := r.dial(b, conns, ignore)
	took := time.Since(begin)
	b.StopTimer()
	defer p.Close()
	use1 := r.cpu(b)
	time.Sleep(time.Second) // let the last handshakes settle
	if ended := p.Ended(); ended > 0 {
		b.Fatalf("%d connections closed while idle\n%s", ended, r.cluster.Logs())
	}
	return took, cpuUse{gw: use1.gw - use0.gw, fn: use1.fn - use0.fn, redis: use1.redis - use0.redis, drv: use1.drv - use0.drv}
}
