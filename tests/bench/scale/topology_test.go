package scale

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/tests/bench"
	"github.com/heraldrt/herald/tests/internal/mgmt"
	"github.com/heraldrt/herald/tests/internal/proc"
)

// hub is the hub every client connects to.
const hub = "scale"

// topology is the running system under test: Redis, the gateways, the
// functions process, the REST client on it, and the load drivers.
type topology struct {
	redisAddrs []string // every redis-server (each master of a cluster)
	redisPIDs  []int
	gateways   []*proc.Child
	functions  *proc.Child
	rest       *mgmt.Client
	drivers    []*driverProc
}

// binaries builds ./gateway and ./local into a temporary directory, at
// once.
func binaries(t *testing.T) (gateway, local string) {
	t.Helper()
	dir := t.TempDir()
	var wg sync.WaitGroup
	var gwErr, localErr error
	wg.Go(func() { gateway, gwErr = proc.BuildPackage(dir, "herald-gateway", proc.GatewayPackage) })
	wg.Go(func() { local, localErr = proc.Build(dir) })
	wg.Wait()
	if gwErr != nil || localErr != nil {
		t.Fatalf("build: %v %v", gwErr, localErr)
	}
	return gateway, local
}

// startTopology starts Redis (a server, or a cluster with o.Cluster), the
// gateways and the functions process; Cleanup stops them in reverse.
// Drivers are started by startDrivers.
func startTopology(t *testing.T, o options) *topology {
	t.Helper()
	begun := time.Now()
	gwBin, localBin := binaries(t)
	t.Logf("built in %v", time.Since(begun))
	tp := &topology{}
	var redisURL string
	if o.Cluster {
		c := redistest.StartCluster(t)
		redisURL, tp.redisAddrs = c.URL(), c.Addrs()
	} else {
		s := redistest.Start(t)
		redisURL, tp.redisAddrs = s.URL(), []string{s.Addr()}
	}
	for _, a := range tp.redisAddrs {
		v, err := redisInfo(a, "server", "process_id")
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("redis %s: process_id %q", a, v)
		}
		tp.redisPIDs = append(tp.redisPIDs, pid)
	}
	t.Logf("redis in %v", time.Since(begun))
	for i := range o.Gateways {
		gw, err := startGateway(gwBin, redisURL, i+1)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := gw.Stop(); err != nil {
				t.Errorf("gateway %d: %v\n%s", i+1, err, tail(gw.Logs()))
			}
		})
		tp.gateways = append(tp.gateways, gw)
	}
	fn, err := proc.Start(localBin, "--role", "functions", "--redis", redisURL, "--addr", "127.0.0.1:0",
		"--client-url", tp.gateways[0].URL()+"/", "--log-level", "error")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := fn.Stop(); err != nil {
			t.Errorf("functions: %v\n%s", err, tail(fn.Logs()))
		}
	})
	tp.functions = fn
	t.Logf("processes in %v", time.Since(begun))
	cs := regexp.MustCompile(`Endpoint=\S+`).FindString(fn.Stdout())
	if tp.rest, err = mgmt.New(cs); err != nil {
		t.Fatalf("functions connection string %q: %v", cs, err)
	}
	t.Cleanup(tp.rest.Close)
	return tp
}

// startGateway runs gateway n, the gateway binary, configured by its
// environment as a container is, on a free port of 127.0.0.1, with no
// per-address limit (every client comes from a few loopback addresses)
// and no proxy in front.
func startGateway(bin, redisURL string, n int) (*proc.Child, error) {
	var err error
	for range 3 { // a free port may be taken before the gateway binds it
		var port int
		if port, err = freePort(); err != nil {
			return nil, err
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		var gw *proc.Child
		gw, err = proc.StartEnv(bin, []string{
			"REDIS_URL=" + redisURL,
			"HERALD_ADDR=" + addr,
			"HERALD_INTERNAL_URL=http://" + addr,
			"HERALD_ACCESS_KEYS=" + node.DevAccessKey,
			"HERALD_NODE_ID=gw" + strconv.Itoa(n),
			"HERALD_LOG_LEVEL=info", // the "gateway listening" line
			"HERALD_LOG_FORMAT=text",
			"HERALD_MAX_ADDRESS_CONNECTIONS=0",
			"HERALD_FORWARDED_HOPS=0",
			"HERALD_SHUTDOWN_TIMEOUT=5s",
		})
		if err == nil {
			return gw, nil
		}
	}
	return nil, fmt.Errorf("gateway %d: %w", n, err)
}

// startDrivers starts o.Drivers load drivers, each from its own source
// address (127.0.0.2, 127.0.0.3, …) with an even share of the users, and
// stops them first at Cleanup.
func (tp *topology) startDrivers(t *testing.T, o options) {
	t.Helper()
	// Runs after the drivers have stopped (Cleanup is last in, first
	// out): the gateways get to unregister every closed connection
	// before they are stopped.
	t.Cleanup(func() { tp.awaitUnregistered(t, time.Minute) })
	gws := make([]string, len(tp.gateways))
	for i, gw := range tp.gateways {
		gws[i] = gw.Addr
	}
	first := 0
	for i := range o.Drivers {
		count := o.Conns / o.Drivers
		if i < o.Conns%o.Drivers {
			count++
		}
		d, err := startDriver(DriverConfig{
			Functions: tp.functions.Addr, Gateways: gws, Hub: hub, AccessKey: node.DevAccessKey,
			Source: fmt.Sprintf("127.0.0.%d", 2+i), First: first, Count: count,
			Workers:        max(1, o.DialWorkers/o.Drivers),
			ConnectTimeout: o.ConnectTimeout,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := d.stop(); err != nil {
				t.Error(err)
			}
		})
		tp.drivers = append(tp.drivers, d)
		first += count
	}
}

// awaitUnregistered waits up to timeout until Redis records no
// connection of the hub.
func (tp *topology) awaitUnregistered(t *testing.T, timeout time.Duration) {
	t.Helper()
	key := "herald:{h:" + hub + "}:conns"
	deadline := time.Now().Add(timeout)
	for {
		left := 0
		for _, a := range tp.redisAddrs {
			v, err := redisCommands(a, "HLEN "+key)
			if err == nil && len(v[0]) == 1 { // a cluster's other masters answer MOVED
				n, _ := strconv.Atoi(v[0][0])
				left += n
			}
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d connections still registered in Redis %v after the clients closed", left, timeout)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// driversRSS is the load drivers' resident memory, KiB, added up.
func (tp *topology) driversRSS(t *testing.T) int64 {
	t.Helper()
	pids := make([]int, len(tp.drivers))
	for i, d := range tp.drivers {
		pids[i] = d.pid()
	}
	return rssSum(t, pids...)
}

// delivered is the Invocation records every driver has received so far
// (from their latest count events).
func (tp *topology) delivered() int64 {
	var n int64
	for _, d := range tp.drivers {
		n += d.delivered.Load()
	}
	return n
}

// usage is CPU time by kind of process.
type usage struct {
	gateways, functions, redis, drivers, harness time.Duration
}

func (u usage) sub(v usage) usage {
	return usage{u.gateways - v.gateways, u.functions - v.functions, u.redis - v.redis, u.drivers - v.drivers, u.harness - v.harness}
}

// cpu reads every process's CPU time so far from /proc.
func (tp *topology) cpu(t *testing.T) usage {
	t.Helper()
	sum := func(pids ...int) time.Duration {
		var total time.Duration
		for _, pid := range pids {
			d, err := bench.CPUTime(pid)
			if err != nil {
				t.Fatal(err)
			}
			total += d
		}
		return total
	}
	var u usage
	for _, gw := range tp.gateways {
		u.gateways += sum(gw.PID())
	}
	for _, d := range tp.drivers {
		u.drivers += sum(d.pid())
	}
	u.functions = sum(tp.functions.PID())
	u.redis = sum(tp.redisPIDs...)
	u.harness = sum(os.Getpid())
	return u
}

// gatewaysRSS is the gateways' resident memory, KiB, added up.
func (tp *topology) gatewaysRSS(t *testing.T) int64 {
	t.Helper()
	pids := make([]int, len(tp.gateways))
	for i, gw := range tp.gateways {
		pids[i] = gw.PID()
	}
	return rssSum(t, pids...)
}

// rssSum is the resident memory of processes pids, KiB, added up.
func rssSum(t *testing.T, pids ...int) int64 {
	t.Helper()
	var total int64
	for _, pid := range pids {
		kib, err := bench.RSSKiB(pid)
		if err != nil {
			t.Fatal(err)
		}
		total += kib
	}
	return total
}

// redisMemory is used_memory of every Redis server, bytes, added up.
func (tp *topology) redisMemory(t *testing.T) int64 {
	t.Helper()
	var total int64
	for _, a := range tp.redisAddrs {
		v, err := redisInfo(a, "memory", "used_memory")
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("redis %s: used_memory %q", a, v)
		}
		total += n
	}
	return total
}

// fileLimit is the soft "Max open files" of process pid.
func fileLimit(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return "?"
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				return f[0]
			}
		}
	}
	return "?"
}

// redisInfo returns field of INFO section from the Redis server at addr.
func redisInfo(addr, section, field string) (string, error) {
	answers, err := redisCommands(addr, "INFO "+section)
	if err != nil {
		return "", err
	}
	for _, b := range answers[0] {
		for line := range strings.Lines(b) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
				return v, nil
			}
		}
	}
	return "", fmt.Errorf("redis %s: INFO %s has no %s", addr, section, field)
}

// redisCommands sends inline commands (no argument may contain a space)
// to the Redis server at addr over one connection, pipelined, and
// returns each answer: a bulk string's contents or an integer's digits
// as one value, an array of them as its values, nil as none. An error
// answer is an error.
func redisCommands(addr string, cmds ...string) ([][]string, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("redis %s: %w", addr, err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	w := bufio.NewWriter(nc)
	for _, c := range cmds {
		_, _ = w.WriteString(c + "\r\n")
	}
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("redis %s: %w", addr, err)
	}
	r := bufio.NewReader(nc)
	out := make([][]string, len(cmds))
	for i, c := range cmds {
		if out[i], err = redisAnswer(r); err != nil {
			return nil, fmt.Errorf("redis %s: %s: %w", addr, c, err)
		}
	}
	return out, nil
}

// redisAnswer reads one answer: an array of values, or one value.
func redisAnswer(r *bufio.Reader) ([]string, error) {
	head, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	head = strings.TrimSpace(head)
	n, ok := strings.CutPrefix(head, "*")
	if !ok {
		return redisValue(r, head)
	}
	count, err := strconv.Atoi(n)
	if err != nil {
		return nil, fmt.Errorf("answered %q", head)
	}
	var out []string
	for range count {
		if head, err = r.ReadString('\n'); err != nil {
			return nil, err
		}
		v, err := redisValue(r, strings.TrimSpace(head))
		if err != nil {
			return nil, err
		}
		out = append(out, v...)
	}
	return out, nil
}

// redisValue reads the value whose first line is head: an integer, a
// bulk string (up to 16 MiB) or nil.
func redisValue(r *bufio.Reader, head string) ([]string, error) {
	switch {
	case head == "$-1" || head == "_":
		return nil, nil
	case strings.HasPrefix(head, ":"):
		return []string{head[1:]}, nil
	case strings.HasPrefix(head, "$"):
		size, err := strconv.Atoi(head[1:])
		if err != nil || size < 0 || size > 16<<20 {
			return nil, fmt.Errorf("answered %q", head)
		}
		body := make([]byte, size+2) // and CRLF
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, err
		}
		return []string{string(body[:size])}, nil
	}
	return nil, fmt.Errorf("answered %q", head)
}

// keyBytes is MEMORY USAGE of every key matching pattern, every element
// counted, added up over the Redis servers.
func (tp *topology) keyBytes(t *testing.T, pattern string) int64 {
	t.Helper()
	var total int64
	for _, a := range tp.redisAddrs {
		answers, err := redisCommands(a, "KEYS "+pattern)
		if err != nil {
			t.Fatal(err)
		}
		keys := answers[0]
		for len(keys) > 0 {
			batch := keys[:min(len(keys), 10_000)]
			keys = keys[len(batch):]
			cmds := make([]string, len(batch))
			for i, k := range batch {
				cmds[i] = "MEMORY USAGE " + k + " SAMPLES 0"
			}
			sizes, err := redisCommands(a, cmds...)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range sizes {
				if len(v) != 1 {
					continue // gone meanwhile
				}
				n, err := strconv.ParseInt(v[0], 10, 64)
				if err != nil {
					t.Fatalf("redis %s: MEMORY USAGE %s: %q", a, batch[i], v)
				}
				total += n
			}
		}
	}
	return total
}

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tail is the last 4 KiB of a process's logs.
func tail(s string) string {
	if len(s) > 4<<10 {
		return "…" + s[len(s)-4<<10:]
	}
	return s
}
