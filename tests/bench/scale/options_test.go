package scale

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

// perProcessConns is the most connections one process (a gateway or a
// load driver) is given: under the 20,000 files one process may hold on
// the test machines, with room for its listeners, Redis and HTTP
// connections.
const perProcessConns = 18_500

// options are a run's settings: TestScale takes them from the flags
// (each with a BENCH_SCALE_* variable as its default), TestScaleSmoke
// sets its own.
type options struct {
	Conns       int  // concurrent WebSocket connections in total
	Gateways    int  // gateway processes (raised so none holds more than perProcessConns)
	Drivers     int  // load-driver processes (0: enough for perProcessConns each)
	DialWorkers int  // connections set up at once, over all drivers
	Cluster     bool // a 3-master Redis Cluster instead of one server

	ConnectTimeout   time.Duration // bound of the connecting
	Settle           time.Duration // wait before reading idle memory (past the connect window)
	FanoutDeliveries int           // deliveries of the fan-out phase (at least 3 broadcasts)
	LatencyRate      int           // deliveries per second offered in the latency phase
	LatencyDuration  time.Duration // length of the latency phase
	Groups           int           // groups of the group phase
	GroupSize        int           // users per group
	SendRate         int           // group (and user) sends per second offered
	SendDuration     time.Duration // length of the group phase and of the user phase
	Budget           time.Duration // the whole run, after the processes have started
}

var (
	runScale = flag.Bool("scale", envBool("BENCH_SCALE"), "run TestScale, the full scale benchmark (make bench-scale)")
	flagOpts = options{}
)

func init() {
	f := &flagOpts
	flag.IntVar(&f.Conns, "conns", envInt("BENCH_SCALE_CONNS", 100_000), "concurrent WebSocket connections in total")
	flag.IntVar(&f.Gateways, "gateways", envInt("BENCH_SCALE_GATEWAYS", 5), "gateway processes (raised so that none holds more than 18,500 connections)")
	flag.IntVar(&f.Drivers, "drivers", envInt("BENCH_SCALE_DRIVERS", 0), "load-driver processes (0: one per 18,500 connections)")
	flag.IntVar(&f.DialWorkers, "dial-workers", envInt("BENCH_SCALE_DIAL_WORKERS", 64), "connections set up at once, over all drivers")
	flag.BoolVar(&f.Cluster, "cluster", envBool("BENCH_SCALE_CLUSTER"), "a 3-master Redis Cluster instead of one Redis server")
	flag.DurationVar(&f.ConnectTimeout, "connect-timeout", envDuration("BENCH_SCALE_CONNECT_TIMEOUT", 5*time.Minute), "bound of the connecting")
	flag.DurationVar(&f.Settle, "settle", 17*time.Second, "wait before reading idle memory (longer than the gateways' 15 s connect window, whose single-use token records expire in Redis)")
	flag.IntVar(&f.FanoutDeliveries, "fanout-deliveries", 2_000_000, "deliveries of the fan-out phase (at least 3 broadcasts)")
	flag.IntVar(&f.LatencyRate, "latency-rate", 20_000, "deliveries per second offered in the latency phase")
	flag.DurationVar(&f.LatencyDuration, "latency-duration", 15*time.Second, "length of the latency phase")
	flag.IntVar(&f.Groups, "groups", 1000, "groups of the group phase")
	flag.IntVar(&f.GroupSize, "group-size", 10, "users per group")
	flag.IntVar(&f.SendRate, "send-rate", 500, "group sends and user sends per second offered")
	flag.DurationVar(&f.SendDuration, "send-duration", 5*time.Second, "length of the group phase and of the user phase")
	flag.DurationVar(&f.Budget, "budget", envDuration("BENCH_SCALE_BUDGET", 9*time.Minute), "bound of the whole run after start-up")
}

// resolved fills in the derived settings: enough gateways and drivers for
// perProcessConns each, and a group count that fits the connections. It
// returns notes on what it changed.
func (o options) resolved() (options, []string) {
	var notes []string
	need := (o.Conns + perProcessConns - 1) / perProcessConns
	if o.Gateways < need {
		notes = append(notes, fmt.Sprintf("gateways raised from %d to %d: one process holds at most %d connections here (file limit %s)",
			o.Gateways, need, perProcessConns, fileLimit(os.Getpid())))
		o.Gateways = need
	}
	if o.Drivers <= 0 {
		o.Drivers = max(need, 2)
	}
	o.Drivers = min(o.Drivers, 250) // 127.0.0.2 … 127.0.0.251
	o.Groups = max(1, min(o.Groups, o.Conns/max(o.GroupSize, 1)))
	return o, notes
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}
