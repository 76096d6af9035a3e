package tests

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/gateway"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/token"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// closeWant is how one connection's end must show: the connectivity event
// (resource log record and live trace event), its reason (in its message)
// and the close label (reasonLabel, and the reason of
// herald_connections_closed_total).
type closeWant struct{ event, reason, label string }

var (
	wantEnded = closeWant{diag.ConnectionEnded, "", gateway.CloseClientClosed}
	wantLost  = closeWant{diag.ConnectionAborted, gateway.ReasonConnectionLost, gateway.CloseConnectionLost}
)

// wantAborted is a ConnectionAborted with reason and label.
func wantAborted(reason, label string) closeWant {
	return closeWant{diag.ConnectionAborted, reason, label}
}

var allTransports = []jsclient.Transport{jsclient.WebSockets, jsclient.ServerSentEvents, jsclient.LongPolling}

// closeEnv is an emulator whose connection ends are read three ways: its
// connectivity resource log, its live trace stream and its metrics
// registry. It counts the labels it expects, for the metric check.
type closeEnv struct {
	*env
	logs *resourceLogs
	live *liveEnds
	reg  *prometheus.Registry

	mu     sync.Mutex
	labels map[string]int // expected herald_connections_closed_total by reason
}

func newCloseEnv(t *testing.T, configure ...func(*node.Config)) *closeEnv {
	t.Helper()
	traced, logs := withResourceLogs(diag.Config{Connectivity: true})
	reg := prometheus.NewRegistry()
	e := newEnv(t, append(configure, traced, func(c *node.Config) { c.Registry = reg })...)
	return &closeEnv{env: e, logs: logs, live: collectLiveEnds(t, e.srv.URL()), reg: reg, labels: map[string]int{}}
}

// open connects a client of driver d over transport tr; keep-alive pings
// every 300 ms keep it alive under short client timeouts (keepAliveMs 0:
// the client's default, 15 s).
func (ce *closeEnv) open(t *testing.T, d *jsclient.Driver, name string, tr jsclient.Transport, accessToken string, keepAliveMs int) string {
	t.Helper()
	url := ce.clientURL()
	if accessToken != "" {
		url = ce.srv.URL() + "/client/?hub=" + hub
	}
	return d.ConnectWait(t, jsclient.ConnectOptions{Name: name, URL: url, Transport: tr, AccessToken: accessToken,
		Methods: []string{recv}, KeepAliveMs: keepAliveMs}, wait)
}

// expect waits for connection id's end and checks its log record and live
// trace event against w.
func (ce *closeEnv) expect(t *testing.T, id string, tr jsclient.Transport, w closeWant, timeout time.Duration) {
	t.Helper()
	ce.mu.Lock()
	ce.labels[w.label]++
	ce.mu.Unlock()
	var rec map[string]any
	var ev diag.Event
	what := string(tr) + " connection " + id + " logged and traced as " + w.event
	ok := func() bool {
		recs := ce.logs.find(t, "connectionId", id)
		rec = nil
		for _, r := range recs {
			if n := r["msg"]; n == diag.ConnectionEnded || n == diag.ConnectionAborted {
				rec = r
			}
		}
		var found bool
		ev, found = ce.live.end(id)
		return rec != nil && found
	}
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: no record within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	message := "Connection ended."
	if w.event == diag.ConnectionAborted {
		message = "Connection aborted. Reason: " + w.reason
	}
	if rec["msg"] != w.event || rec["message"] != message || rec["reasonLabel"] != w.label || rec["transportType"] != string(tr) {
		t.Errorf("%s: log record %v, want %s %q reasonLabel %s", what, rec, w.event, message, w.label)
	}
	if ev.Name != w.event || ev.Message != message || ev.ReasonLabel != w.label || ev.Transport != string(tr) {
		t.Errorf("%s: live trace event %+v, want %s %q reasonLabel %s", what, ev, w.event, message, w.label)
	}
	// One end per connection, in either view.
	time.Sleep(50 * time.Millisecond)
	n := 0
	for _, r := range ce.logs.find(t, "connectionId", id) {
		if m := r["msg"]; m == diag.ConnectionEnded || m == diag.ConnectionAborted {
			n++
		}
	}
	if n != 1 || ce.live.ends(id) != 1 {
		t.Errorf("%s: %d log records and %d live trace events of its end, want 1", what, n, ce.live.ends(id))
	}
}

// checkMetrics compares herald_connections_closed_total with the labels
// expect counted: every connection of the emulator ended once, as expected.
func (ce *closeEnv) checkMetrics(t *testing.T) {
	t.Helper()
	mfs, err := ce.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, mf := range mfs {
		if mf.GetName() != "herald_connections_closed_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "reason" {
					got[lp.GetValue()] += int(m.GetCounter().GetValue())
				}
			}
		}
	}
	for label, n := range got {
		if n == 0 {
			delete(got, label)
		}
	}
	ce.mu.Lock()
	defer ce.mu.Unlock()
	if len(got) != len(ce.labels) {
		t.Errorf("herald_connections_closed_total by reason: %v, want %v", got, ce.labels)
		return
	}
	for label, n := range ce.labels {
		if got[label] != n {
			t.Errorf("herald_connections_closed_total by reason: %v, want %v", got, ce.labels)
			return
		}
	}
}

// liveEnds collects an emulator's live trace stream (/livetrace/events).
type liveEnds struct {
	mu  sync.Mutex
	all []diag.Event
}

func collectLiveEnds(t *testing.T, base string) *liveEnds {
	t.Helper()
	l := &liveEnds{}
	done := make(chan struct{})
	t.Cleanup(func() { <-done }) // runs after liveStream's Cleanup closed the stream
	ch := liveStream(t, base)
	go func() {
		defer close(done)
		for e := range ch {
			l.mu.Lock()
			l.all = append(l.all, e)
			l.mu.Unlock()
		}
	}()
	return l
}

// end returns the last end event of connection id.
func (l *liveEnds) end(id string) (diag.Event, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.all) - 1; i >= 0; i-- {
		if e := l.all[i]; e.ConnectionID == id && (e.Name == diag.ConnectionEnded || e.Name == diag.ConnectionAborted) {
			return e, true
		}
	}
	return diag.Event{}, false
}

// ends counts the end events of connection id.
func (l *liveEnds) ends(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.all {
		if e.ConnectionID == id && (e.Name == diag.ConnectionEnded || e.Name == diag.ConnectionAborted) {
			n++
		}
	}
	return n
}

// Every cause of a connection's end, on every transport, with the official
// client: the resource log, the live trace and herald_connections_closed_total
// agree, ConnectionEnded for a client that closed and ConnectionAborted with
// the reason for anything else (docs/diagnostics.md, "Why a connection
// ended"). Timeouts are short on the emulators so the slow causes are quick.
func TestCloseClassificationPerTransport(t *testing.T) {
	t.Parallel()
	shortTimeouts := func(c *node.Config) {
		c.ClientTimeout, c.KeepAliveInterval, c.LongPollTimeout = 2*time.Second, 500*time.Millisecond, time.Second
	}
	fast := newCloseEnv(t, shortTimeouts)
	reload := newCloseEnv(t, shortTimeouts)
	slow := newCloseEnv(t, func(c *node.Config) {
		// Time to fill a frozen client's socket buffers before its ping
		// timeout, even on a busy machine; a small queue overflows soon after.
		c.ClientTimeout, c.KeepAliveInterval, c.LongPollTimeout = 12*time.Second, 500*time.Millisecond, time.Second
		c.QueueMessages, c.QueueBytes = 8, 256<<10
	})
	// Default timeouts: the client sends no ping before it stops. The
	// official client drops its Close message when a send (a ping) is in
	// flight as it stops; over Server-Sent Events that stop is then a lost
	// stream.
	calm := newCloseEnv(t)
	// A Long Polling client is lost when its pending poll is cut: keep one
	// pending (no keep-alive answers it) when the client is killed.
	lost := newCloseEnv(t, func(c *node.Config) { c.ClientTimeout = 2 * time.Second })
	ctx := context.Background()
	iss, err := token.NewIssuer(token.IssuerConfig{Key: node.DevAccessKey})
	if err != nil {
		t.Fatal(err)
	}

	// each runs act on one connection per transport (of driver d, or a
	// fresh driver per cause when d is nil), then expects want per transport.
	type cause struct {
		name string
		env  *closeEnv
		// own: the cause needs a driver of its own (it is killed or frozen).
		own     bool
		token   func(t *testing.T) string
		act     func(t *testing.T, ce *closeEnv, d *jsclient.Driver, names []string, ids []string)
		want    func(tr jsclient.Transport) closeWant
		timeout time.Duration
	}
	same := func(w closeWant) func(jsclient.Transport) closeWant {
		return func(jsclient.Transport) closeWant { return w }
	}
	each := func(f func(d *jsclient.Driver, name string) error) func(*testing.T, *closeEnv, *jsclient.Driver, []string, []string) {
		return func(t *testing.T, _ *closeEnv, d *jsclient.Driver, names, _ []string) {
			for _, n := range names {
				if err := f(d, n); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	causes := []cause{
		{name: "client stop", env: calm, act: each((*jsclient.Driver).Stop), want: same(wantEnded)},
		{name: "client Close message", env: fast, act: each((*jsclient.Driver).SendClose), want: same(wantEnded)},
		{
			// What clients before 8.0 do on stop(): a WebSocket close frame,
			// a Long Polling DELETE, and a closed EventSource, which the
			// gateway cannot tell from a lost stream.
			name: "client stop without Close message", env: fast, act: each((*jsclient.Driver).StopTransport),
			want: func(tr jsclient.Transport) closeWant {
				if tr == jsclient.ServerSentEvents {
					return wantLost
				}
				return wantEnded
			},
		},
		{name: "socket lost", env: lost, own: true, want: same(wantLost),
			act: func(t *testing.T, _ *closeEnv, d *jsclient.Driver, _, _ []string) {
				if err := d.Kill(); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "ping timeout", env: fast, own: true, want: same(wantAborted(gateway.ReasonPingTimeout, gateway.ClosePingTimeout)),
			act: func(t *testing.T, _ *closeEnv, d *jsclient.Driver, _, _ []string) {
				if err := d.Freeze(); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "app close", env: fast, want: same(wantAborted(gateway.ReasonAppClosed, gateway.CloseAppClosed)),
			act: func(t *testing.T, ce *closeEnv, _ *jsclient.Driver, _, ids []string) {
				for _, id := range ids {
					status(t, "close "+id, 200)(ce.rest.CloseConnection(ctx, hub, id, ""))
				}
			}},
		{name: "token expired", env: fast, want: same(wantAborted(gateway.ReasonTokenExpired, gateway.CloseTokenExpired)),
			token: func(t *testing.T) string {
				soon := strconv.FormatInt(time.Now().Add(3*time.Second).Unix(), 10)
				tok, err := iss.Issue(fast.srv.URL()+"/client/?hub="+hub, map[string]any{"asrs.s.uid": "alice", "asrs.s.coae": "true", "asrs.s.aeo": soon}, 0)
				if err != nil {
					t.Fatal(err)
				}
				return tok
			},
			act: func(*testing.T, *closeEnv, *jsclient.Driver, []string, []string) {}},
		{name: "service reloading", env: reload, want: same(wantAborted(gateway.ReasonServiceReloading, gateway.CloseServiceReload)),
			act: func(t *testing.T, ce *closeEnv, _ *jsclient.Driver, _, _ []string) {
				if err := ce.stop(); err != nil {
					t.Error(err)
				}
			}},
		{name: "slow client", env: slow, own: true, timeout: 3 * wait, want: same(wantAborted(gateway.ReasonSlowClient, gateway.CloseSlowClient)),
			act: func(t *testing.T, ce *closeEnv, d *jsclient.Driver, _, ids []string) {
				if err := d.Freeze(); err != nil {
					t.Fatal(err)
				}
				// Fill the sockets, then the queues: until all three are closed.
				big := strings.Repeat("x", 200<<10)
				deadline := time.Now().Add(2 * wait)
				for time.Now().Before(deadline) {
					left := 0
					for _, id := range ids {
						if _, ended := ce.live.end(id); !ended {
							left++
						}
					}
					if left == 0 {
						return
					}
					status(t, "flood", 202)(ce.rest.SendToAll(ctx, hub, recv, []any{big}))
				}
			}},
	}
	t.Run("causes", func(t *testing.T) {
		for _, c := range causes {
			t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
				t.Parallel()
				d := c.env.js
				if c.own {
					d = jsclient.Start(t)
				}
				var names, ids []string
				for _, tr := range allTransports {
					name := c.name + "/" + string(tr)
					tok := ""
					if c.token != nil {
						tok = c.token(t)
					}
					keepAlive := 300
					if c.env == calm {
						keepAlive = 0
					}
					names = append(names, name)
					ids = append(ids, c.env.open(t, d, name, tr, tok, keepAlive))
				}
				c.act(t, c.env, d, names, ids)
				timeout := c.timeout
				if timeout == 0 {
					timeout = wait
				}
				for i, tr := range allTransports {
					c.env.expect(t, ids[i], tr, c.want(tr), timeout)
				}
			})
		}
	})
	for _, ce := range []*closeEnv{fast, reload, slow, calm, lost} {
		ce.checkMetrics(t)
	}
}
