package diag_test

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/testsupport"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// logBuf collects a tracer's JSON log.
type logBuf struct{ testsupport.Buffer }

func (l *logBuf) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func newTracer(cfg diag.Config) (*diag.Tracer, *logBuf) {
	buf := &logBuf{}
	cfg.Logger = slog.New(slog.NewJSONHandler(buf, nil))
	cfg.Node = "n1"
	return diag.New(cfg), buf
}

func TestParseMessagingMode(t *testing.T) {
	for in, want := range map[string]diag.MessagingMode{"": diag.MessagingOff, "off": diag.MessagingOff,
		"ALL": diag.MessagingAll, "diagnostic": diag.MessagingDiagnostic} {
		if got, err := diag.ParseMessagingMode(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := diag.ParseMessagingMode("some"); err == nil {
		t.Error("bad mode accepted")
	}
}

// Each category is logged only when on; messaging in diagnostic mode only
// for diagnostic clients. Records are JSON with category and event name.
func TestCategories(t *testing.T) {
	var nilTracer *diag.Tracer
	if nilTracer.Connectivity() || nilTracer.HTTP() || nilTracer.MessagingAny() || nilTracer.Messaging(true) {
		t.Fatal("nil tracer wants events")
	}
	nilTracer.Emit(diag.Event{}) // no panic

	off, offLogs := newTracer(diag.Config{})
	if off.Connectivity() || off.HTTP() || off.MessagingAny() {
		t.Fatal("all-off tracer wants events")
	}
	off.Emit(diag.Event{Category: diag.Connectivity, Name: diag.ConnectionStarted})
	if n := len(offLogs.records(t)); n != 0 {
		t.Fatalf("all-off tracer logged %d records", n)
	}

	tr, logs := newTracer(diag.Config{Connectivity: true, Messaging: diag.MessagingDiagnostic})
	tr.Emit(diag.Event{Category: diag.Connectivity, Name: diag.ConnectionAborted, Hub: "chat", ConnectionID: "c1", Reason: "Connection ping timeout"})
	tr.Emit(diag.Event{Category: diag.Messaging, Name: diag.MessageDelivered, ConnectionID: "c1", TraceID: "t1"})
	tr.Emit(diag.Event{Category: diag.Messaging, Name: diag.MessageDelivered, ConnectionID: "c2", TraceID: "t1", Diagnostic: true})
	tr.Emit(diag.Event{Category: diag.HTTP, Name: diag.HTTPRequest, Path: "/x"})
	recs := logs.records(t)
	if len(recs) != 2 {
		t.Fatalf("records: %v", recs)
	}
	wantFields(t, recs[0], map[string]any{"msg": "ConnectionAborted", "operationName": "ConnectionAborted",
		"category": "ConnectivityLogs", "collection": "Connection", "connectionId": "c1", "connectionType": "Client",
		"message": "Connection aborted. Reason: Connection ping timeout", "hubName": "chat", "level": "INFO"})
	wantFields(t, recs[1], map[string]any{"msg": "MessageDelivered", "operationName": "MessageDelivered",
		"category": "MessagingLogs", "collection": "Message", "connectionId": "c2", "messageTracingId": "t1",
		"diagnostic": true, "message": "Queued a message to the connection."})
	for _, r := range recs {
		for _, old := range []string{"hub", "reason", "transport", "remoteAddr"} {
			if _, ok := r[old]; ok {
				t.Errorf("record has the pre-Azure field %q: %v", old, r)
			}
		}
	}
}

// A watcher gets every category while watching, and nothing after cancel;
// watching switches every category on.
func TestWatch(t *testing.T) {
	tr, logs := newTracer(diag.Config{})
	var got []diag.Event
	var mu sync.Mutex
	cancel := tr.Watch(func(e *diag.Event) { mu.Lock(); got = append(got, *e); mu.Unlock() })
	if !tr.Connectivity() || !tr.HTTP() || !tr.Messaging(false) || tr.Watchers() != 1 {
		t.Fatal("watching does not switch categories on")
	}
	tr.Emit(diag.Event{Category: diag.HTTP, Name: diag.HTTPRequest})
	tr.Emit(diag.Event{Category: diag.Messaging, Name: diag.MessageReceived})
	cancel()
	cancel() // idempotent
	tr.Emit(diag.Event{Category: diag.HTTP, Name: diag.HTTPRequest})
	if tr.Connectivity() || tr.Watchers() != 0 {
		t.Fatal("still watching after cancel")
	}
	if len(got) != 2 || got[0].Node != "n1" || got[0].Time.IsZero() {
		t.Fatalf("watched %+v", got)
	}
	if n := len(logs.records(t)); n != 0 {
		t.Fatalf("watching wrote %d log records", n)
	}
}

// Remote watching (a watcher on another node) forwards events; injected
// events reach local watchers only.
func TestRelayHooks(t *testing.T) {
	tr, _ := newTracer(diag.Config{})
	var forwarded []string
	tr.SetForward(func(e *diag.Event) { forwarded = append(forwarded, e.Name) })
	tr.Emit(diag.Event{Category: diag.HTTP, Name: "before"})
	tr.SetRemoteWatching(true)
	if !tr.HTTP() {
		t.Fatal("remote watching does not switch categories on")
	}
	tr.Emit(diag.Event{Category: diag.HTTP, Name: "during"})
	var local []string
	cancel := tr.Watch(func(e *diag.Event) { local = append(local, e.Name) })
	tr.Inject(&diag.Event{Name: "remote"})
	cancel()
	tr.SetRemoteWatching(false)
	tr.Emit(diag.Event{Category: diag.HTTP, Name: "after"})
	if strings.Join(forwarded, ",") != "during" || strings.Join(local, ",") != "remote" {
		t.Fatalf("forwarded %v, local %v", forwarded, local)
	}
}

// The middleware logs method, path without query and status over real
// HTTP, passes hijacking through, and stays out of the way when off.
func TestMiddleware(t *testing.T) {
	tr, logs := newTracer(diag.Config{HTTP: true})
	mux := http.NewServeMux()
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		nc, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
		_ = nc.Close()
	})
	srv := httptest.NewServer(diag.Middleware(tr, mux))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/teapot?hub=chat&access_token=secret")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	nc, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = nc.Write([]byte("GET /hijack HTTP/1.1\r\nHost: x\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n"))
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(nc).ReadString('\n')
	nc.Close()
	if err != nil || !strings.Contains(line, "101") {
		t.Fatalf("hijacked response %q %v", line, err)
	}
	testsupport.Until(5*time.Second, func() bool { return len(logs.records(t)) >= 2 })
	recs := logs.records(t)
	if len(recs) != 2 {
		t.Fatalf("records %v", recs)
	}
	r := recs[0]
	wantFields(t, r, map[string]any{"operationName": "HttpRequest", "path": "/teapot", "status": float64(418),
		"hubName": "chat", "httpMethod": "GET", "callerIpAddress": "127.0.0.1", "category": "HttpRequestLogs"})
	if strings.Contains(logs.String(), "secret") {
		t.Error("the query's token was logged")
	}
	if recs[1]["status"] != float64(101) {
		t.Errorf("hijack record %v", recs[1])
	}
	if h := diag.Middleware(nil, mux); h != http.Handler(mux) {
		t.Error("nil tracer wraps the handler")
	}
}

// wantFields fails unless record r has each of want's fields with its value.
func wantFields(t *testing.T, r map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if r[k] != v {
			t.Errorf("%s = %#v, want %#v in %v", k, r[k], v, r)
		}
	}
}

// REST records name their hub from the path; the name is bounded.
func TestMiddlewareHubFromPath(t *testing.T) {
	tr, logs := newTracer(diag.Config{HTTP: true})
	h := diag.Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	long := strings.Repeat("h", 500)
	for _, target := range []string{"/api/v1/hubs/chat/users/u1", "/api/hubs/news", "/api/v1/hubs/" + long + "/groups/g"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", target, nil))
	}
	recs := logs.records(t)
	if len(recs) != 3 || recs[0]["hubName"] != "chat" || recs[1]["hubName"] != "news" || recs[2]["hubName"] != long[:128] {
		t.Fatalf("records %v", recs)
	}
}

// Upstream failures are Info records like every resource log (the
// upstream client writes the one warning); their reason is in the message.
func TestUpstreamFailedLevel(t *testing.T) {
	tr, logs := newTracer(diag.Config{Messaging: diag.MessagingAll})
	tr.Emit(diag.Event{Category: diag.Messaging, Name: diag.UpstreamFailed, ConnectionID: "c1", Status: 500, Reason: "status code 500", Scope: "client"})
	tr.Emit(diag.Event{Category: diag.Messaging, Name: diag.GroupJoined, ConnectionID: "c1", Group: "g", TraceID: "t"})
	recs := logs.records(t)
	if len(recs) != 2 {
		t.Fatalf("records %v", recs)
	}
	wantFields(t, recs[0], map[string]any{"level": "INFO", "message": "The upstream call failed. Reason: status code 500",
		"status": float64(500), "messageType": "InvocationMessage"})
	wantFields(t, recs[1], map[string]any{"level": "INFO", "groupName": "g", "messageType": "JoinGroupWithAckMessage"})
}
