package scale

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/heraldrt/herald/tests/bench"
)

// DriverEnv names the environment variable that makes this package's test
// binary a load driver (TestMain checks it): its value is a DriverConfig
// as JSON.
const DriverEnv = "HERALD_SCALE_DRIVER"

// countInterval is how often a driver reports its delivery count while it
// changes.
const countInterval = 20 * time.Millisecond

// connectAttempts is how often a driver tries one connection before it
// stops connecting.
const connectAttempts = 3

// DriverConfig is what the harness hands a load driver.
type DriverConfig struct {
	// Functions is the functions process (app negotiate), "127.0.0.1:PORT".
	Functions string `json:"functions"`
	// Gateways are the gateway processes; user u<i> connects to
	// Gateways[i mod len(Gateways)].
	Gateways []string `json:"gateways"`
	// Hub is the hub every client connects to.
	Hub string `json:"hub"`
	// AccessKey signs nothing the driver sends (REST is the harness's);
	// bench.NewClient wants one.
	AccessKey string `json:"accessKey"`
	// Source is the loopback address the WebSockets are opened from.
	Source string `json:"source"`
	// First and Count are the users of this driver: u<First> …
	// u<First+Count-1>, one connection each.
	First int `json:"first"`
	Count int `json:"count"`
	// Workers is how many connections are set up at once.
	Workers int `json:"workers"`
	// ConnectTimeout bounds the connecting.
	ConnectTimeout time.Duration `json:"connectTimeout"`
}

// Event is one JSON line a driver writes on its standard output.
type Event struct {
	// Kind is "ready" (started; FDLimit set), "connected" (answer to
	// connect: Conns, Seconds, Error), "count" (Delivered, while it
	// changes) or "stats" (answer to stats).
	Kind string `json:"kind"`
	// FDLimit is the driver's RLIMIT_NOFILE after raising it.
	FDLimit uint64 `json:"fdLimit,omitempty"`
	// Conns is the number of open connections.
	Conns int `json:"conns,omitempty"`
	// Seconds is how long connecting took.
	Seconds float64 `json:"seconds,omitempty"`
	// Error is why connecting stopped short.
	Error string `json:"error,omitempty"`
	// Delivered is the Invocation records received since the start.
	Delivered int64 `json:"delivered,omitempty"`
	// Ended is the connections the server closed or that failed.
	Ended int64 `json:"ended,omitempty"`
	// MinPerConn and MaxPerConn are the fewest and most Invocation
	// records one open connection received since the last reset.
	MinPerConn int64 `json:"minPerConn,omitempty"`
	MaxPerConn int64 `json:"maxPerConn,omitempty"`
	// Hist is the delivery latencies since the last reset
	// (Histogram.Buckets).
	Hist [][2]int64 `json:"hist,omitempty"`
	// PerConn is, in a stats event answering counts, the Invocation
	// records each user of the driver received since the last reset (-1:
	// not connected).
	PerConn []int64 `json:"perConn,omitempty"`
}

// Driver commands, one per line on a driver's standard input; end of
// input (or close) closes the connections and ends the driver.
const (
	cmdConnect = "connect" // connect every user; answered by a connected event
	cmdReset   = "reset"   // zero the per-connection counts and the histogram
	cmdStats   = "stats"   // answered by a stats event
	cmdCounts  = "counts"  // answered by a stats event with PerConn
	cmdClose   = "close"
)

// driver is one load-driver process's state.
type driver struct {
	cfg       DriverConfig
	out       *json.Encoder
	outMu     sync.Mutex
	delivered atomic.Int64
	perConn   []atomic.Int64
	open      []atomic.Bool
	hist      Histogram
	pool      *bench.Pool
}

// RunDriver runs a load driver configured by the JSON cfg: it raises its
// file limit to the hard limit, then follows the commands on in and
// writes events to out until close or the end of in. It returns the
// process's exit code.
func RunDriver(cfg []byte, in io.Reader, out io.Writer) int {
	d := &driver{out: json.NewEncoder(out)}
	if err := json.Unmarshal(cfg, &d.cfg); err != nil {
		_ = d.emit(Event{Kind: "ready", Error: fmt.Sprintf("config: %v", err)})
		return 2
	}
	d.perConn = make([]atomic.Int64, d.cfg.Count)
	d.open = make([]atomic.Bool, d.cfg.Count)
	if err := d.emit(Event{Kind: "ready", FDLimit: raiseFileLimit()}); err != nil {
		return 1
	}
	stop := make(chan struct{})
	var counter sync.WaitGroup
	counter.Go(func() { d.reportCounts(stop) })
	defer func() {
		close(stop)
		counter.Wait()
		if d.pool != nil {
			d.pool.Close()
		}
	}()
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		var err error
		switch sc.Text() {
		case cmdConnect:
			err = d.connect()
		case cmdReset:
			d.reset()
		case cmdStats:
			err = d.emit(d.stats(false))
		case cmdCounts:
			err = d.emit(d.stats(true))
		case cmdClose:
			return 0
		}
		if err != nil {
			return 1
		}
	}
	return 0
}

// raiseFileLimit sets the soft RLIMIT_NOFILE to the hard one (the Go
// runtime does so at start on Linux too) and returns the soft limit.
func raiseFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return lim.Cur
}

func (d *driver) emit(e Event) error {
	d.outMu.Lock()
	defer d.outMu.Unlock()
	return d.out.Encode(e)
}

// connect opens one connection per user, at most Workers at a time, each
// tried connectAttempts times, and reports what it reached.
func (d *driver) connect() error {
	c, err := bench.NewClient(d.cfg.Functions, d.cfg.Hub, d.cfg.AccessKey)
	if err != nil {
		return d.emit(Event{Kind: "connected", Error: err.Error()})
	}
	defer c.Close()
	c.Sources = []string{d.cfg.Source}
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.ConnectTimeout)
	defer cancel()
	p, took, err := bench.DialUpTo(ctx, d.cfg.Count, d.cfg.Workers, func(ctx context.Context, i int) (*bench.Conn, error) {
		user := d.cfg.First + i
		gw := d.cfg.Gateways[user%len(d.cfg.Gateways)]
		var err error
		for range connectAttempts {
			var conn *bench.Conn
			if conn, err = c.ConnectVia(ctx, "u"+strconv.Itoa(user), gw); err == nil {
				d.open[i].Store(true)
				return conn, nil
			}
			if ctx.Err() != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		return nil, err
	}, d.handle)
	d.pool = p
	e := Event{Kind: "connected", Conns: p.Len(), Seconds: took.Seconds()}
	if err != nil {
		e.Error = err.Error()
	}
	return d.emit(e)
}

// handle counts an Invocation record for connection i and its latency,
// from the send time (unix nanoseconds) in its first argument.
func (d *driver) handle(i int, payload []byte) {
	if !bench.IsInvocation(payload) {
		return
	}
	now := time.Now().UnixNano()
	d.delivered.Add(1)
	d.perConn[i].Add(1)
	if sent, ok := SentAt(payload); ok {
		d.hist.Observe(time.Duration(now - sent))
	}
}

// argumentsPrefix starts the arguments of a JSON Invocation record whose
// first argument is a string.
var argumentsPrefix = []byte(`"arguments":["`)

// SentAt returns the send time carried by a JSON Invocation record whose
// first argument is a string of unix nanoseconds (Payload).
func SentAt(record []byte) (int64, bool) {
	i := bytes.Index(record, argumentsPrefix)
	if i < 0 {
		return 0, false
	}
	rest := record[i+len(argumentsPrefix):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	return n, err == nil
}

// Payload is the argument list of a message sent at t: its send time in
// unix nanoseconds, as a string (SentAt reads it back).
func Payload(t time.Time) []any { return []any{strconv.FormatInt(t.UnixNano(), 10)} }

// reset zeroes the per-connection counts and the histogram; the
// delivery total keeps counting (the harness takes differences).
func (d *driver) reset() {
	for i := range d.perConn {
		d.perConn[i].Store(0)
	}
	d.hist.Reset()
}

// stats reports the counts and the histogram, with every user's count
// when perConn is set.
func (d *driver) stats(perConn bool) Event {
	e := Event{Kind: "stats", Delivered: d.delivered.Load(), Hist: d.hist.Buckets(), MinPerConn: -1}
	if d.pool != nil {
		e.Conns, e.Ended = d.pool.Len(), d.pool.Ended()
	}
	if perConn {
		e.PerConn = make([]int64, len(d.perConn))
	}
	for i := range d.perConn {
		if !d.open[i].Load() {
			if perConn {
				e.PerConn[i] = -1
			}
			continue
		}
		n := d.perConn[i].Load()
		if perConn {
			e.PerConn[i] = n
		}
		if e.MinPerConn < 0 || n < e.MinPerConn {
			e.MinPerConn = n
		}
		e.MaxPerConn = max(e.MaxPerConn, n)
	}
	e.MinPerConn = max(e.MinPerConn, 0)
	return e
}

// reportCounts writes a count event every countInterval while the
// delivery count changes, until stop is closed.
func (d *driver) reportCounts(stop <-chan struct{}) {
	t := time.NewTicker(countInterval)
	defer t.Stop()
	last := int64(-1)
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if n := d.delivered.Load(); n != last {
			last = n
			if d.emit(Event{Kind: "count", Delivered: n}) != nil {
				return
			}
		}
	}
}
