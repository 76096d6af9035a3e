package scale

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

// stall is how long a wait for deliveries may see no progress.
const stall = 20 * time.Second

// TestScale is make bench-scale: it needs -scale (or BENCH_SCALE=1) and
// prints the table of docs/bench-scale.md.
func TestScale(t *testing.T) {
	if !*runScale {
		t.Skip("the scale benchmark: run it with make bench-scale (-scale)")
	}
	o, notes := flagOpts.resolved()
	r := run(t, o)
	r.notes = append(notes, r.notes...)
	r.print(os.Stdout)
}

// TestScaleSmoke runs the scale benchmark's harness at a few hundred
// connections on two gateways and two load drivers, so that it keeps
// working: every phase must deliver every message exactly where it was
// sent.
func TestScaleSmoke(t *testing.T) {
	testsupport.SkipServer(t, "redis-server")
	o, _ := options{
		Conns: 200, Gateways: 2, Drivers: 2, DialWorkers: 16,
		ConnectTimeout: 30 * time.Second, Settle: 200 * time.Millisecond,
		FanoutDeliveries: 2000, LatencyRate: 2000, LatencyDuration: 500 * time.Millisecond,
		Groups: 20, GroupSize: 5, SendRate: 200, SendDuration: 500 * time.Millisecond,
		Budget: time.Minute,
	}.resolved()
	r := run(t, o)
	if r.conns != o.Conns {
		t.Fatalf("%d of %d connections", r.conns, o.Conns)
	}
	var sb strings.Builder
	r.print(&sb)
	t.Logf("report:\n%s", sb.String())
	if !strings.Contains(sb.String(), "| User sends |") {
		t.Errorf("report has no user sends row:\n%s", sb.String())
	}
}

// results are the rows of the report.
type results struct {
	conns int
	notes []string
	rows  [][2]string
}

func (r *results) add(measure, format string, args ...any) {
	r.rows = append(r.rows, [2]string{measure, fmt.Sprintf(format, args...)})
}

// print writes the report as a Markdown table, the notes below it.
func (r *results) print(w interface{ Write([]byte) (int, error) }) {
	fmt.Fprintln(w, "| Measure | Value |")
	fmt.Fprintln(w, "|---|---|")
	for _, row := range r.rows {
		fmt.Fprintf(w, "| %s | %s |\n", row[0], row[1])
	}
	for _, n := range r.notes {
		fmt.Fprintln(w, "\n*", n)
	}
}

// run starts everything, runs the phases in turn and returns the report.
func run(t *testing.T, o options) *results {
	begun := time.Now()
	tp := startTopology(t, o)
	tp.startDrivers(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), o.Budget)
	defer cancel()
	r := &results{}
	topo := "one Redis server"
	if o.Cluster {
		topo = "Redis Cluster, 3 masters"
	}
	r.add("Topology", "%s; %d gateway processes (gateway binary), 1 functions process, %d load drivers (127.0.0.2–127.0.0.%d)",
		topo, o.Gateways, o.Drivers, 1+o.Drivers)
	r.add("File limit per process", "gateways %s, drivers %d", fileLimit(tp.gateways[0].PID()), tp.drivers[0].fdLimit)
	p := &phases{t: t, ctx: ctx, o: o, tp: tp, r: r}
	t.Logf("started in %v", time.Since(begun))
	for _, phase := range []func(){p.connect, p.fanout, p.latency, p.groups, p.users} {
		phase()
		if r.conns == 0 {
			t.Fatal("no connection")
		}
		t.Logf("%s at %v", r.rows[len(r.rows)-1][0], time.Since(begun))
	}
	return r
}

// phases runs the measurements on one topology.
type phases struct {
	t         *testing.T
	ctx       context.Context
	o         options
	tp        *topology
	r         *results
	connected []int // the users whose connection is open, ascending
}

// connect connects every driver's users at once and reports the setup
// rate, its CPU per connection and the idle memory per 1,000
// connections.
func (p *phases) connect() {
	t, tp, r := p.t, p.tp, p.r
	rss0, mem0, drv0 := tp.gatewaysRSS(t), tp.redisMemory(t), tp.driversRSS(t)
	cpu0, start := tp.cpu(t), time.Now()
	for _, d := range tp.drivers {
		if err := d.send(cmdConnect); err != nil {
			t.Fatal(err)
		}
	}
	var stopped []string
	for _, d := range tp.drivers {
		e, err := d.await("connected", p.o.ConnectTimeout+time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		r.conns += e.Conns
		if e.Error != "" {
			stopped = append(stopped, fmt.Sprintf("%s at %d of %d: %s", d.cfg.Source, e.Conns, d.cfg.Count, e.Error))
		}
	}
	took := time.Since(start)
	cpu := tp.cpu(t).sub(cpu0)
	time.Sleep(p.o.Settle)
	rss1, mem1, drv1 := tp.gatewaysRSS(t), tp.redisMemory(t), tp.driversRSS(t)
	n := float64(r.conns)
	r.add("Connections open", "%d of %d", r.conns, p.o.Conns)
	for _, s := range stopped {
		r.notes = append(r.notes, "connecting stopped from "+s)
	}
	r.add("Connect rate (app negotiate, client negotiate, WebSocket, handshake)", "%.0f/s (%d in %.1f s)", n/took.Seconds(), r.conns, took.Seconds())
	r.add("CPU per connection setup", "gateways %s, functions %s, Redis %s (drivers %s)",
		perConn(cpu.gateways, n), perConn(cpu.functions, n), perConn(cpu.redis, n), perConn(cpu.drivers, n))
	r.add("Idle memory per 1,000 connections", "gateways' RSS %.1f MiB (%.1f KiB/conn); Redis used_memory %.0f KiB (%.0f B/conn); drivers' RSS %.1f MiB",
		float64(rss1-rss0)/1024/n*1000, float64(rss1-rss0)/n, float64(mem1-mem0)/1024/n*1000, float64(mem1-mem0)/n, float64(drv1-drv0)/1024/n*1000)
	p.redisBreakdown(mem1-mem0, n)
	for _, d := range tp.drivers {
		e, err := d.stats(true)
		if err != nil {
			t.Fatal(err)
		}
		if e.Ended > 0 {
			t.Errorf("driver %s: %d connections closed while idle", d.cfg.Source, e.Ended)
		}
		for i, c := range e.PerConn {
			if c >= 0 {
				p.connected = append(p.connected, d.cfg.First+i)
			}
		}
	}
}

// perUser returns a count per user (connected or not), v for each
// connected one.
func (p *phases) perUser(v int64) []int64 {
	out := make([]int64, p.o.Conns)
	for _, u := range p.connected {
		out[u] = v
	}
	return out
}

// redisBreakdown reports how Redis's growth by grown bytes for n idle
// connections splits over the hub's connection records (docs: the key
// layout in shared/bus/redisbus/doc.go).
func (p *phases) redisBreakdown(grown int64, n float64) {
	base := "herald:{h:" + hub + "}:"
	var total int64
	bytes := func(pattern string) float64 {
		b := p.tp.keyBytes(p.t, base+pattern)
		total += b
		return float64(b) / n
	}
	conns, node, addrs, sets, users := bytes("conns"), bytes("node"), bytes("nodeaddr"), bytes("n:*"), bytes("u:*")
	p.r.add("Redis bytes per connection by record (MEMORY USAGE)", "conns hash %.0f, node hash %.0f, node address hash %.1f, per-node sets %.0f, per-user sets %.0f, the rest (keyspace entries, allocator) %.0f",
		conns, node, addrs, sets, users, float64(grown-total)/n)
}

// perConn formats CPU time per connection in microseconds.
func perConn(d time.Duration, n float64) string {
	return fmt.Sprintf("%.0f µs", float64(d.Microseconds())/n)
}

// reset zeroes the drivers' per-connection counts and histograms.
func (p *phases) reset() {
	for _, d := range p.tp.drivers {
		if err := d.send(cmdReset); err != nil {
			p.t.Fatal(err)
		}
		if _, err := d.stats(false); err != nil { // the reset is done once it answers
			p.t.Fatal(err)
		}
	}
}

// histogram asks every driver for stats and returns the latencies
// measured since the last reset, merged.
func (p *phases) histogram() Merged {
	m := Merged{}
	for _, d := range p.tp.drivers {
		e, err := d.stats(false)
		if err != nil {
			p.t.Fatal(err)
		}
		m.Add(e.Hist)
	}
	return m
}

// waitDelivered waits until the drivers have received want records in
// all; it fails when none arrive for stall or the budget ends.
func (p *phases) waitDelivered(want int64) error {
	last, since := p.tp.delivered(), time.Now()
	for {
		n := p.tp.delivered()
		if n >= want {
			return nil
		}
		if n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > stall {
			return fmt.Errorf("%d of %d deliveries, none for %v", n, want, stall)
		}
		if p.ctx.Err() != nil {
			return fmt.Errorf("budget of %v spent: %d of %d deliveries", p.o.Budget, n, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// check checks that user i got exactly perUser[i] since the last reset,
// after waitDelivered returned waitErr; it fails the test naming the
// first users that did not, their gateway, and the gateways' warnings.
func (p *phases) check(name string, waitErr error, perUser []int64) {
	t := p.t
	var wrong []string
	missing := 0
	for _, d := range p.tp.drivers {
		e, err := d.stats(true)
		if err != nil {
			t.Fatal(err)
		}
		if e.Ended > 0 {
			t.Errorf("%s: driver %s: %d connections ended", name, d.cfg.Source, e.Ended)
		}
		for i, got := range e.PerConn {
			u := d.cfg.First + i
			if got < 0 || got == perUser[u] {
				continue
			}
			missing++
			if len(wrong) < 10 {
				wrong = append(wrong, fmt.Sprintf("u%d (gateway %d): %d, want %d", u, 1+u%len(p.tp.gateways), got, perUser[u]))
			}
		}
	}
	if waitErr == nil && missing == 0 {
		return
	}
	var logs strings.Builder
	for i, gw := range p.tp.gateways {
		for line := range strings.Lines(gw.Logs()) {
			if !strings.Contains(line, "level=INFO") {
				fmt.Fprintf(&logs, "gateway %d: %s", i+1, line)
			}
		}
	}
	// Not fatal: the later phases still run and the table is printed.
	t.Errorf("%s: %v; %d users got a wrong count: %s\ngateway warnings:\n%s", name, waitErr, missing, strings.Join(wrong, "; "), tail(logs.String()))
	p.r.notes = append(p.r.notes, fmt.Sprintf("%s: %v; %d users got a wrong count, first: %s", name, waitErr, missing, strings.Join(wrong, "; ")))
}

// fanout sends broadcasts to every connection back to back, a few in
// flight, and reports deliveries per second and CPU per million
// deliveries by kind of process.
func (p *phases) fanout() {
	t, tp, n := p.t, p.tp, int64(p.r.conns)
	broadcasts := max(int64(p.o.FanoutDeliveries)/n, 3)
	window := min(max(400_000/n, 2), 100)
	p.reset()
	base := tp.delivered()
	cpu0, start := tp.cpu(t), time.Now()
	for i := range broadcasts {
		for i-(tp.delivered()-base)/n >= window {
			if p.ctx.Err() != nil {
				t.Fatalf("budget of %v spent in the fan-out", p.o.Budget)
			}
			time.Sleep(time.Millisecond)
		}
		p.send("", "", time.Now())
	}
	err := p.waitDelivered(base + broadcasts*n)
	took := time.Since(start)
	cpu := tp.cpu(t).sub(cpu0)
	p.check("fan-out", err, p.perUser(broadcasts))
	m := float64(broadcasts*n) / 1e6
	p.r.add("Broadcast fan-out to all", "%d broadcasts × %d connections in %.1f s (up to %d in flight): %.0f deliveries/s",
		broadcasts, n, took.Seconds(), window, float64(broadcasts*n)/took.Seconds())
	p.r.add("CPU-s per 1M deliveries", "gateways %.2f, functions %.3f, Redis %.3f (drivers %.2f)",
		cpu.gateways.Seconds()/m, cpu.functions.Seconds()/m, cpu.redis.Seconds()/m, cpu.drivers.Seconds()/m)
}

// latency broadcasts at a fixed offered rate of deliveries and reports
// the delivery latency the drivers measured (send time in the message).
func (p *phases) latency() {
	tp, n := p.tp, int64(p.r.conns)
	interval := max(time.Duration(float64(time.Second)*float64(n)/float64(p.o.LatencyRate)), 20*time.Millisecond)
	count := max(int64(p.o.LatencyDuration/interval), 3)
	p.reset()
	base := tp.delivered()
	cpu0, start := tp.cpu(p.t), time.Now()
	for i := range count {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		p.send("", "", time.Now())
	}
	err := p.waitDelivered(base + count*n)
	took := time.Since(start)
	cpu := tp.cpu(p.t).sub(cpu0)
	p.check("latency", err, p.perUser(count))
	m, mil := p.histogram(), float64(count*n)/1e6
	p.r.add("Broadcast latency at a fixed rate", "%.0f deliveries/s offered (a broadcast every %v, %d in all, delivered in %.1f s): p50 %s, p99 %s, max %s; CPU-s per 1M deliveries: gateways %.2f, functions %.3f, Redis %.3f (drivers %.2f)",
		float64(n)/interval.Seconds(), interval.Round(time.Millisecond), count, took.Seconds(), ms(m.Quantile(0.5)), ms(m.Quantile(0.99)), ms(m.Quantile(1)),
		cpu.gateways.Seconds()/mil, cpu.functions.Seconds()/mil, cpu.redis.Seconds()/mil, cpu.drivers.Seconds()/mil)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// groups adds users to groups through the REST API, then sends to the
// groups at a fixed offered rate.
func (p *phases) groups() {
	t, o := p.t, p.o
	size := min(o.GroupSize, len(p.connected))
	groups := max(1, min(o.Groups, len(p.connected)/size))
	stride := len(p.connected) / size // member k of group g: open connection g + k·stride, spread over drivers and gateways
	cpu0, start := p.tp.cpu(t), time.Now()
	joins := groups * size
	p.paced(joins, 0, func(i int) {
		g, k := i%groups, i/groups
		user := "u" + strconv.Itoa(p.connected[g+k*stride])
		resp, err := p.tp.rest.AddUserToGroup(p.ctx, hub, user, groupName(g))
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%v", resp)
		}
		if err != nil {
			t.Errorf("join %s to %s: %v", user, groupName(g), err)
		}
	})
	took := time.Since(start)
	cpu := p.tp.cpu(t).sub(cpu0)
	k := float64(joins) / 1000
	p.r.add("Group joins (REST, users to groups)", "%d users into %d groups: %.0f/s; CPU-ms per 1,000: gateways %.0f, functions %.0f, Redis %.0f",
		joins, groups, float64(joins)/took.Seconds(), ms1k(cpu.gateways, k), ms1k(cpu.functions, k), ms1k(cpu.redis, k))
	p.targeted("Group sends", func(i int) []int {
		members := make([]int, size)
		for k := range members {
			members[k] = p.connected[i%groups+k*stride]
		}
		return members
	}, func(i int) { p.send(groupName(i%groups), "", time.Now()) })
}

// users sends to single users (one connection each) at a fixed offered
// rate.
func (p *phases) users() {
	n := len(p.connected)
	user := func(i int) int { return p.connected[(i*7919)%n] } // spread over users, gateways and drivers
	p.targeted("User sends", func(i int) []int { return []int{user(i)} }, func(i int) {
		p.send("", "u"+strconv.Itoa(user(i)), time.Now())
	})
}

func groupName(g int) string { return "g" + strconv.Itoa(g) }

func ms1k(d time.Duration, thousands float64) float64 {
	return float64(d.Milliseconds()) / thousands
}

// targeted sends o.SendRate messages per second for o.SendDuration
// (send(i) sends the i-th), where message i reaches the users to(i),
// waits for every delivery and checks them, and reports the rate
// reached, CPU per 1,000 sends and the delivery latency.
func (p *phases) targeted(name string, to func(i int) []int, send func(i int)) {
	t, tp, o := p.t, p.tp, p.o
	sends := max(int(float64(o.SendRate)*o.SendDuration.Seconds()), 10)
	perUser := make([]int64, o.Conns)
	var total int64
	for i := range sends {
		for _, u := range to(i) {
			perUser[u]++
			total++
		}
	}
	p.reset()
	base := tp.delivered()
	cpu0, start := tp.cpu(t), time.Now()
	p.paced(sends, o.SendRate, send)
	sent := time.Since(start)
	err := p.waitDelivered(base + total)
	took := time.Since(start)
	cpu := tp.cpu(t).sub(cpu0)
	p.check(name, err, perUser)
	m := p.histogram()
	k := float64(sends) / 1000
	p.r.add(name, "%d sends, %d offered/s, %.0f/s reached (all delivered in %.1f s): p50 %s, p99 %s; CPU-ms per 1,000 sends: gateways %.0f, functions %.0f, Redis %.0f (drivers %.0f)",
		sends, o.SendRate, float64(sends)/sent.Seconds(), took.Seconds(), ms(m.Quantile(0.5)), ms(m.Quantile(0.99)),
		ms1k(cpu.gateways, k), ms1k(cpu.functions, k), ms1k(cpu.redis, k), ms1k(cpu.drivers, k))
}

// restWorkers is how many REST calls the harness makes at once.
const restWorkers = 16

// paced calls do(0) … do(n-1) on restWorkers goroutines, starting call i
// no earlier than i/rate seconds after the start (rate 0: at once), and
// returns when all have returned.
func (p *phases) paced(n, rate int, do func(i int)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range restWorkers {
		wg.Go(func() {
			for i := range jobs {
				do(i)
			}
		})
	}
	start := time.Now()
	for i := range n {
		if p.ctx.Err() != nil {
			break
		}
		if rate > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if p.ctx.Err() != nil {
		p.t.Fatalf("budget of %v spent", p.o.Budget)
	}
}

// send posts one message carrying its send time, to a group, to a user,
// or (both empty) to everyone, and expects 202.
func (p *phases) send(group, user string, at time.Time) {
	var resp *mgmt.Response
	var err error
	switch {
	case group != "":
		resp, err = p.tp.rest.SendToGroup(p.ctx, hub, group, "m", Payload(at))
	case user != "":
		resp, err = p.tp.rest.SendToUser(p.ctx, hub, user, "m", Payload(at))
	default:
		resp, err = p.tp.rest.SendToAll(p.ctx, hub, "m", Payload(at))
	}
	if err == nil && resp.StatusCode != http.StatusAccepted {
		err = fmt.Errorf("%v", resp)
	}
	if err != nil {
		p.t.Errorf("send (group %q, user %q): %v", group, user, err)
	}
}
