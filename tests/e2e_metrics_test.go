package tests

import (
	"context"
	"net/http"
	"testing"

	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// GET /metrics counts what official clients and REST calls did:
// connections by hub, transport and protocol, REST requests by route and
// status, messages in and out by kind, bytes, closes by reason.
func TestMetricsCountTraffic(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	url := e.srv.AdminURL() + "/metrics"
	id1 := e.connect(t, "c1", "alice")
	e.connectWith(t, jsclient.MessagePack, "c2", "bob")

	m := scrape(t, url)
	if got := metric(m, "herald_connections", "hub", hub, "transport", "WebSockets", "protocol", "json"); got != 1 {
		t.Errorf("json connections = %v, want 1", got)
	}
	if got := metric(m, "herald_connections", "hub", hub, "transport", "WebSockets", "protocol", "messagepack"); got != 1 {
		t.Errorf("messagepack connections = %v, want 1", got)
	}
	if got := metric(m, "herald_connections_opened_total", "transport", "WebSockets"); got != 2 {
		t.Errorf("opened = %v, want 2", got)
	}

	text := e.payload("metrics")
	status(t, "send to all", http.StatusAccepted)(e.rest.SendToAll(ctx, hub, recv, []any{text}))
	e.expectRecv(t, "c1", text)
	e.expectRecv(t, "c2", text)
	text = e.payload("to-alice")
	status(t, "send to user", http.StatusAccepted)(e.rest.SendToUser(ctx, hub, "alice", recv, []any{text}))
	e.expectRecv(t, "c1", text)
	notFound(t, "unknown connection", "Warning.Connection.NotExisted")(e.rest.ConnectionExists(ctx, hub, "nobody"))

	m = scrape(t, url)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"herald_messages_received_total", []string{"kind", "all"}, 1},
		{"herald_messages_received_total", []string{"kind", "user"}, 1},
		{"herald_messages_sent_total", []string{"kind", "all"}, 2},
		{"herald_messages_sent_total", []string{"kind", "user"}, 1},
		{"herald_rest_request_duration_seconds_count", []string{"route", "sendAll", "method", "POST", "code", "202"}, 1},
		{"herald_rest_request_duration_seconds_count", []string{"route", "sendUser", "code", "202"}, 1},
		{"herald_rest_request_duration_seconds_count", []string{"route", "connectionExists", "code", "404"}, 1},
		{"herald_bus_publish_duration_seconds_count", nil, 2},
		{"herald_bus_publish_errors_total", nil, 0},
	} {
		if got := metric(m, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := metric(m, "herald_messages_sent_bytes_total"); got <= 0 {
		t.Errorf("sent bytes = %v", got)
	}

	status(t, "close c1", http.StatusOK)(e.rest.CloseConnection(ctx, hub, id1, "bye"))
	e.js.Expect(t, "c1", jsclient.KindClosed, wait)
	eventually(t, "c1 counted as closed by the app", func() bool {
		m := scrape(t, url)
		return metric(m, "herald_connections_closed_total", "reason", "app_closed") == 1 &&
			metric(m, "herald_connections", "hub", hub, "protocol", "json") == 0
	})
	if err := e.js.Stop("c2"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "c2 counted as closed by the client", func() bool {
		return metric(scrape(t, url), "herald_connections_closed_total", "reason", "client_closed") == 1
	})
}
