package tests

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// Server-Sent Events and Long Polling connections of official clients are
// observed like WebSockets: counted in the metrics under their transport,
// recorded in the connectivity logs and shown by the live trace, from
// their start to their end (closed by the application or by the client).
func TestHTTPTransportsObserved(t *testing.T) {
	t.Parallel()
	configure, logs := withResourceLogs(diag.Config{Connectivity: true})
	e := newEnv(t, configure)
	live := &liveEvents{ch: liveStream(t, e.srv.URL())}
	metricsURL := e.srv.AdminURL() + "/metrics"
	kinds := []combo{combos[2], combos[3], combos[4]} // sse-json, lp-json, lp-msgpack
	transport := map[string]string{"sse-json": "ServerSentEvents", "lp-json": "LongPolling", "lp-msgpack": "LongPolling"}
	ids := map[string]string{}
	for _, k := range kinds {
		ids[k.name] = e.js.ConnectWait(t, k.options(e.clientURL(), false), wait)
	}

	m := scrape(t, metricsURL)
	for _, c := range []struct {
		transport, protocol string
		want                float64
	}{{"ServerSentEvents", "json", 1}, {"LongPolling", "json", 1}, {"LongPolling", "messagepack", 1}, {"WebSockets", "json", 0}} {
		if got := metric(m, "herald_connections", "hub", hub, "transport", c.transport, "protocol", c.protocol); got != c.want {
			t.Errorf("herald_connections %s %s = %v, want %v", c.transport, c.protocol, got, c.want)
		}
	}
	if got := metric(m, "herald_connections_opened_total", "transport", "ServerSentEvents"); got != 1 {
		t.Errorf("opened over Server-Sent Events = %v, want 1", got)
	}
	if got := metric(m, "herald_connections_opened_total", "transport", "LongPolling"); got != 2 {
		t.Errorf("opened over Long Polling = %v, want 2", got)
	}
	for _, k := range kinds {
		if got := logs.find(t, "msg", diag.ConnectionStarted, "connectionId", ids[k.name], "transportType", transport[k.name]); len(got) != 1 {
			t.Errorf("ConnectionStarted of %s: %v", k.name, got)
		}
		live.expect(t, diag.ConnectionStarted, ids[k.name], transport[k.name])
	}

	// The application closes the Long Polling JSON client; the Server-Sent Events
	// client stops.
	status(t, "close lp-json", http.StatusOK)(e.rest.CloseConnection(context.Background(), hub, ids["lp-json"], "kicked"))
	e.js.Expect(t, "lp-json", jsclient.KindClosed, wait)
	if err := e.js.Stop("sse-json"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the ends counted", func() bool {
		m := scrape(t, metricsURL)
		return metric(m, "herald_connections_closed_total", "reason", "app_closed") == 1 &&
			metric(m, "herald_connections_closed_total", "reason", "client_closed") == 1 &&
			metric(m, "herald_connections", "hub", hub, "transport", "ServerSentEvents", "protocol", "json") == 0 &&
			metric(m, "herald_connections", "hub", hub, "transport", "LongPolling", "protocol", "json") == 0 &&
			metric(m, "herald_connections", "hub", hub, "transport", "LongPolling", "protocol", "messagepack") == 1
	})
	eventually(t, "the ends logged", func() bool {
		return len(logs.find(t, "msg", diag.ConnectionAborted, "connectionId", ids["lp-json"], "transportType", "LongPolling", "message", "Connection aborted. Reason: kicked", "reasonLabel", "app_closed")) == 1 &&
			len(logs.find(t, "msg", diag.ConnectionEnded, "connectionId", ids["sse-json"], "transportType", "ServerSentEvents")) == 1
	})
	live.expect(t, diag.ConnectionAborted, ids["lp-json"], "LongPolling")
	live.expect(t, diag.ConnectionEnded, ids["sse-json"], "ServerSentEvents")
}

// liveEvents remembers what a live trace stream showed so far.
type liveEvents struct {
	ch   <-chan diag.Event
	seen []diag.Event
}

// expect waits until the live trace has shown the event name of connection
// id, and checks its transport.
func (l *liveEvents) expect(t *testing.T, name, id, transport string) {
	t.Helper()
	timeout := time.After(wait)
	for i := 0; ; {
		for ; i < len(l.seen); i++ {
			if ev := l.seen[i]; ev.Name == name && ev.ConnectionID == id {
				if ev.Transport != transport {
					t.Errorf("live trace %s of %s: transport %q, want %q", name, id, ev.Transport, transport)
				}
				return
			}
		}
		select {
		case ev, ok := <-l.ch:
			if !ok {
				t.Fatalf("live trace stream ended before %s of %s", name, id)
			}
			l.seen = append(l.seen, ev)
		case <-timeout:
			t.Fatalf("live trace: no %s of %s within %v", name, id, wait)
		}
	}
}
