package albstand

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HealthCheck is a target group's health check. Interval and Timeout are the times the
// stand-in uses (the template's, possibly scaled down).
type HealthCheck struct {
	Path               string
	Interval, Timeout  time.Duration
	Healthy, Unhealthy int    // consecutive results that change the state
	Matcher            string // status codes, "200" or "200-299" or "200,204"
}

// matches reports whether status passes the matcher.
func (h HealthCheck) matches(status int) bool {
	for _, part := range strings.Split(h.Matcher, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		if !isRange {
			hi = lo
		}
		l, err1 := strconv.Atoi(lo)
		u, err2 := strconv.Atoi(hi)
		if err1 == nil && err2 == nil && status >= l && status <= u {
			return true
		}
	}
	return false
}

// State is a target's health state, as DescribeTargetHealth names them.
type State string

// Target states.
const (
	Initial   State = "initial"
	Healthy   State = "healthy"
	Unhealthy State = "unhealthy"
	Draining  State = "draining"
)

// Event is a change of a target's state.
type Event struct {
	At     time.Time
	Target string
	From   State
	To     State
	Reason string
}

// Group is an IP target group.
type Group struct {
	name         string
	hc           HealthCheck
	deregDelay   time.Duration
	sticky       bool
	stickyCookie string
	log          *slog.Logger
	mu           sync.Mutex
	targets      []*Target
	next         int
	events       []Event
	wg           sync.WaitGroup // health-check loops
	checker      *http.Client
	closed       bool
}

// NewGroup returns an empty target group with the health check hc, the deregistration
// delay and lb_cookie stickiness when sticky.
func NewGroup(log *slog.Logger, name string, hc HealthCheck, deregDelay time.Duration, sticky bool) *Group {
	return &Group{name: name, hc: hc, deregDelay: deregDelay, sticky: sticky, stickyCookie: "AWSALB", log: log,
		checker: &http.Client{Timeout: hc.Timeout, Transport: &http.Transport{DisableKeepAlives: true}}}
}

// Target is a registered target.
type Target struct {
	ID    string // host:port
	g     *Group
	proxy *httputil.ReverseProxy
	stop  chan struct{} // ends the health-check loop
	// under g.mu
	state     State
	ok, fails int
	conns     map[net.Conn]struct{}
	idle      chan struct{} // closed (and replaced) whenever conns drops to zero
}

// Register adds the target at addr (host:port): it starts in the initial state and is
// health-checked until it is deregistered.
func (g *Group) Register(addr string) *Target {
	t := &Target{ID: addr, g: g, stop: make(chan struct{}), state: Initial, conns: map[net.Conn]struct{}{}, idle: make(chan struct{})}
	base, _ := url.Parse("http://" + addr)
	transport := &http.Transport{
		DisableKeepAlives: true, // one connection per request: counting them counts requests and WebSockets
		DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, a)
			if err != nil {
				return nil, err
			}
			return t.track(c), nil
		},
	}
	t.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(base)
			pr.Out.Host = pr.In.Host // the ALB keeps the Host header
			pr.SetXForwarded()
			pr.Out.Header.Set("X-Forwarded-Proto", "http")
		},
		Transport: transport,
		ErrorLog:  slog.NewLogLogger(g.log.Handler(), slog.LevelDebug),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			g.log.Info("target failed a request", "group", g.name, "target", addr, "err", err)
			w.WriteHeader(http.StatusBadGateway)
		},
		ModifyResponse: func(resp *http.Response) error {
			if g.sticky {
				resp.Header.Add("Set-Cookie", (&http.Cookie{Name: g.stickyCookie, Value: addr, Path: "/"}).String())
			}
			return nil
		},
	}
	g.mu.Lock()
	g.targets = append(g.targets, t)
	g.mu.Unlock()
	g.wg.Add(1)
	go g.checkLoop(t)
	return t
}

// trackedConn removes itself from its target's connections when closed.
type trackedConn struct {
	net.Conn
	t    *Target
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.t.untrack(c) })
	return c.Conn.Close()
}

func (t *Target) track(c net.Conn) net.Conn {
	tc := &trackedConn{Conn: c, t: t}
	t.g.mu.Lock()
	t.conns[tc] = struct{}{}
	t.g.mu.Unlock()
	return tc
}

func (t *Target) untrack(c net.Conn) {
	t.g.mu.Lock()
	defer t.g.mu.Unlock()
	delete(t.conns, c)
	if len(t.conns) == 0 {
		close(t.idle)
		t.idle = make(chan struct{})
	}
}

// Connections returns how many connections (requests in flight and WebSockets) the load
// balancer holds to t.
func (t *Target) Connections() int {
	t.g.mu.Lock()
	defer t.g.mu.Unlock()
	return len(t.conns)
}

// State returns t's health state.
func (t *Target) State() State {
	t.g.mu.Lock()
	defer t.g.mu.Unlock()
	return t.state
}

func (g *Group) setState(t *Target, to State, reason string) {
	if t.state == to {
		return
	}
	g.events = append(g.events, Event{At: time.Now(), Target: t.ID, From: t.state, To: to, Reason: reason})
	g.log.Info("target state", "group", g.name, "target", t.ID, "from", t.state, "to", to, "reason", reason)
	t.state = to
}

// checkLoop health-checks t every interval until it is deregistered.
func (g *Group) checkLoop(t *Target) {
	defer g.wg.Done()
	tick := time.NewTicker(g.hc.Interval)
	defer tick.Stop()
	for {
		status, err := g.check(t)
		g.mu.Lock()
		if t.state != Draining {
			if err == nil && g.hc.matches(status) {
				t.ok, t.fails = t.ok+1, 0
				if t.state != Healthy && t.ok >= g.hc.Healthy {
					g.setState(t, Healthy, fmt.Sprintf("%d consecutive checks passed", t.ok))
				}
			} else {
				t.ok, t.fails = 0, t.fails+1
				if t.state != Unhealthy && t.fails >= g.hc.Unhealthy {
					reason := fmt.Sprintf("Target.ResponseCodeMismatch %d", status)
					if err != nil {
						reason = "Target.Timeout/FailedHealthChecks: " + err.Error()
					}
					g.setState(t, Unhealthy, reason)
				}
			}
		}
		g.mu.Unlock()
		select {
		case <-t.stop:
			return
		case <-tick.C:
		}
	}
}

func (g *Group) check(t *Target) (int, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+t.ID+g.hc.Path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", "ELB-HealthChecker/2.0")
	resp, err := g.checker.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// pick returns the target for a new request: the sticky one when it may take requests,
// else the next healthy one in turn; when none is healthy, the ALB fails open to every
// registered target that is not draining.
func (g *Group) pick(r *http.Request) *Target {
	g.mu.Lock()
	defer g.mu.Unlock()
	var candidates []*Target
	for _, t := range g.targets {
		if t.state == Healthy {
			candidates = append(candidates, t)
		}
	}
	if len(candidates) == 0 {
		for _, t := range g.targets {
			if t.state != Draining {
				candidates = append(candidates, t)
			}
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	if g.sticky {
		if c, err := r.Cookie(g.stickyCookie); err == nil {
			for _, t := range candidates {
				if t.ID == c.Value {
					return t
				}
			}
		}
	}
	g.next++
	return candidates[g.next%len(candidates)]
}

func (g *Group) serve(w http.ResponseWriter, r *http.Request) {
	t := g.pick(r)
	if t == nil {
		http.Error(w, "503 Service Temporarily Unavailable", http.StatusServiceUnavailable)
		return
	}
	t.proxy.ServeHTTP(w, r)
}

// Drain is the outcome of a deregistration.
type Drain struct {
	Took        time.Duration // from deregistration to the end of draining
	EndedEarly  bool          // every connection had ended before the delay
	Cut         int           // connections the load balancer closed at the end of the delay
	Connections int           // connections when the target was deregistered
}

// Deregister stops routing new requests to t, waits until its connections have ended
// or the deregistration delay has passed, closes what is left and removes it.
func (g *Group) Deregister(t *Target) Drain {
	start := time.Now()
	g.mu.Lock()
	g.setState(t, Draining, "Target.DeregistrationInProgress")
	d := Drain{Connections: len(t.conns)}
	g.mu.Unlock()
	timer := time.NewTimer(g.deregDelay)
	defer timer.Stop()
	for {
		g.mu.Lock()
		n, idle := len(t.conns), t.idle
		g.mu.Unlock()
		if n == 0 {
			d.EndedEarly = true
			break
		}
		select {
		case <-idle:
			continue
		case <-timer.C:
		}
		g.mu.Lock()
		for c := range t.conns {
			d.Cut++
			_ = c.(*trackedConn).Conn.Close()
		}
		g.mu.Unlock()
		break
	}
	d.Took = time.Since(start)
	g.remove(t)
	return d
}

func (g *Group) remove(t *Target) {
	g.mu.Lock()
	for i, x := range g.targets {
		if x == t {
			g.targets = append(g.targets[:i], g.targets[i+1:]...)
			close(t.stop)
			break
		}
	}
	g.mu.Unlock()
}

// Events returns every state change so far.
func (g *Group) Events() []Event {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Event(nil), g.events...)
}

// Replacements counts the targets that became unhealthy: ECS replaces the task of each
// (after the service's grace period).
func (g *Group) Replacements() []Event {
	var out []Event
	for _, e := range g.Events() {
		if e.To == Unhealthy {
			out = append(out, e)
		}
	}
	return out
}

// WaitHealthy waits until t is healthy or timeout passes.
func (g *Group) WaitHealthy(t *Target, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for t.State() != Healthy {
		if time.Now().After(deadline) {
			return fmt.Errorf("albstand: target %s still %s after %v", t.ID, t.State(), timeout)
		}
		time.Sleep(g.hc.Interval / 4)
	}
	return nil
}

func (g *Group) close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	for _, t := range g.targets {
		close(t.stop)
		for c := range t.conns {
			_ = c.(*trackedConn).Conn.Close()
		}
	}
	g.targets = nil
	g.mu.Unlock()
	g.wg.Wait()
	g.checker.CloseIdleConnections()
}
