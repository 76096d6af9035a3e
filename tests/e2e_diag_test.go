package tests

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// resourceLogs is an emulator's JSON resource log, parsed on demand.
type resourceLogs struct{ buf *testsupport.Buffer }

func withResourceLogs(cfg diag.Config) (func(*node.Config), *resourceLogs) {
	l := &resourceLogs{buf: &testsupport.Buffer{}}
	cfg.Logger = slog.New(slog.NewJSONHandler(l.buf, nil))
	return func(c *node.Config) { c.Tracer = diag.New(cfg) }, l
}

// find returns the records whose fields include want (key, value pairs).
func (l *resourceLogs) find(t *testing.T, want ...string) []map[string]any {
	t.Helper()
	var out []map[string]any
next:
	for _, line := range strings.Split(l.buf.String(), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		for i := 0; i+1 < len(want); i += 2 {
			if v, _ := rec[want[i]].(string); v != want[i+1] {
				continue next
			}
		}
		out = append(out, rec)
	}
	return out
}

// One grep for a REST message's tracing id shows its receipt and its
// delivery to each connection; connectivity and HTTP logs record the
// connections and requests.
func TestResourceLogsTraceAMessage(t *testing.T) {
	t.Parallel()
	configure, logs := withResourceLogs(diag.Config{Connectivity: true, Messaging: diag.MessagingAll, HTTP: true})
	e := newEnv(t, configure)
	ctx := context.Background()
	id1 := e.connect(t, "c1", "alice")
	id2 := e.connectWith(t, jsclient.MessagePack, "c2", "bob")

	text := e.payload("traced")
	resp := status(t, "send to all", http.StatusAccepted)(e.rest.SendToAll(ctx, hub, recv, []any{text}))
	trace := resp.Header.Get(httpapi.TraceHeader)
	if trace == "" {
		t.Fatalf("no %s header", httpapi.TraceHeader)
	}
	e.expectRecv(t, "c1", text)
	e.expectRecv(t, "c2", text)
	if got := logs.find(t, "msg", diag.MessageReceived, "messageTracingId", trace, "scope", "all", "method", recv, "category", "MessagingLogs"); len(got) != 1 {
		t.Errorf("MessageReceived records for %s: %v", trace, got)
	}
	for _, id := range []string{id1, id2} {
		eventually(t, "delivery of "+trace+" to "+id+" logged", func() bool {
			return len(logs.find(t, "msg", diag.MessageDelivered, "messageTracingId", trace, "connectionId", id)) == 1
		})
	}
	for _, id := range []string{id1, id2} {
		// Logged just after the handshake response went out.
		eventually(t, "one ConnectionStarted for "+id, func() bool {
			return len(logs.find(t, "msg", diag.ConnectionStarted, "connectionId", id, "category", "ConnectivityLogs", "transportType", "WebSockets")) == 1
		})
	}
	status(t, "close c1", http.StatusOK)(e.rest.CloseConnection(ctx, hub, id1, "kicked"))
	e.js.Expect(t, "c1", jsclient.KindClosed, wait)
	eventually(t, "ConnectionAborted with the reason", func() bool {
		return len(logs.find(t, "msg", diag.ConnectionAborted, "connectionId", id1, "message", "Connection aborted. Reason: kicked", "reasonLabel", "app_closed")) == 1
	})
	if err := e.js.Stop("c2"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ConnectionEnded for a client that stopped", func() bool {
		return len(logs.find(t, "msg", diag.ConnectionEnded, "connectionId", id2)) == 1
	})
	sends := logs.find(t, "msg", diag.HTTPRequest, "category", "HttpRequestLogs", "httpMethod", "POST", "path", "/api/hubs/chat/:send")
	if len(sends) != 1 || sends[0]["status"] != float64(202) {
		t.Errorf("HTTP records of the send: %v", sends)
	}
	if strings.Contains(logs.buf.String(), "access_token") {
		t.Error("a query with an access token was logged")
	}
}

// diag=yes on negotiate makes a diagnostic client; in diagnostic mode only
// its deliveries are logged; over the limit a diagnostic client is refused
// with 429.
func TestDiagnosticClients(t *testing.T) {
	t.Parallel()
	configure, logs := withResourceLogs(diag.Config{Messaging: diag.MessagingDiagnostic})
	e := newEnv(t, configure, func(c *node.Config) { c.Gateway.MaxDiagnosticConnections = 1 })
	ctx := context.Background()
	plain := e.connect(t, "plain", "alice")
	diagnostic := e.js.ConnectWait(t, jsclient.ConnectOptions{
		Name: "diag", URL: e.clientURL() + "&diag=yes", Transport: jsclient.WebSockets, Methods: []string{recv},
	}, wait)

	text := e.payload("partial")
	resp := status(t, "send to all", http.StatusAccepted)(e.rest.SendToAll(ctx, hub, recv, []any{text}))
	trace := resp.Header.Get(httpapi.TraceHeader)
	e.expectRecv(t, "plain", text)
	e.expectRecv(t, "diag", text)
	eventually(t, "delivery to the diagnostic client logged", func() bool {
		return len(logs.find(t, "msg", diag.MessageDelivered, "messageTracingId", trace, "connectionId", diagnostic)) == 1
	})
	if got := logs.find(t, "connectionId", plain); len(got) != 0 {
		t.Errorf("an ordinary client's messages were logged in diagnostic mode: %v", got)
	}
	if got := logs.find(t, "msg", diag.MessageReceived); len(got) != 0 {
		t.Errorf("receipts logged in diagnostic mode: %v", got)
	}

	if err := e.js.Connect(jsclient.ConnectOptions{
		Name: "diag2", URL: e.clientURL() + "&diag=yes", Transport: jsclient.WebSockets, Methods: []string{recv},
	}); err != nil {
		t.Fatal(err)
	}
	ev := e.js.ExpectFunc(t, wait, "diag2 connected or refused", func(ev jsclient.Event) bool {
		return ev.Name == "diag2" && (ev.Kind == jsclient.KindConnected || (ev.Kind == jsclient.KindError && ev.Op == "connect"))
	})
	if ev.Kind != jsclient.KindError || !strings.Contains(ev.Message, "429") {
		t.Fatalf("second diagnostic client: %s", ev.Raw)
	}
	m := scrape(t, e.srv.AdminURL()+"/metrics")
	if got := metric(m, "herald_diagnostic_connections"); got != 1 {
		t.Errorf("herald_diagnostic_connections = %v", got)
	}
}
