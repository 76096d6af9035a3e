package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/testsupport"
)

// upgradeStatus tries the WebSocket upgrade of a negotiated connection
// with a plain HTTP request and returns the status.
func (h *harness) upgradeStatus(t *testing.T, hub string, nr hubproto.NegotiateResponse, tok string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+"/client/?hub="+hub+"&id="+url.QueryEscape(nr.ConnectionToken), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The node holds at most MaxDiagnosticConnections diagnostic clients; the
// next gets 429, ordinary clients are not limited, and a slot is freed
// when a diagnostic connection ends.
func TestDiagnosticClientLimit(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxDiagnosticConnections = 2 })
	dc := map[string]any{ClaimDiagnostic: "true"}
	// Negotiated before any connects: the connect enforces the limit.
	nr3, tok3 := negotiatedWith(t, h, "chat", dc)
	var first *client
	for i := range 2 {
		nr, tok := negotiatedWith(t, h, "chat", dc)
		c := h.dial("chat", nr.ConnectionToken, tok)
		c.handshake(`{"protocol":"json","version":1}`)
		if got := c.readText(); got != "{}\x1e" {
			t.Fatalf("diagnostic client %d handshake %q", i, got)
		}
		if i == 0 {
			first = c
		}
	}
	if got := h.gw.DiagnosticConnections(); got != 2 {
		t.Fatalf("diagnostic connections = %d", got)
	}
	if code := h.upgradeStatus(t, "chat", nr3, tok3); code != http.StatusTooManyRequests {
		t.Fatalf("third diagnostic client: %d, want 429", code)
	}
	h.connect("chat", "") // not diagnostic: not limited
	_ = first.nc.Close()
	testsupport.EventuallyTrue(t, 5*time.Second, "diagnostic slot released", func() bool { return h.gw.DiagnosticConnections() == 1 })
	nr, tok := negotiatedWith(t, h, "chat", dc)
	c := h.dial("chat", nr.ConnectionToken, tok)
	c.handshake(`{"protocol":"json","version":1}`)
	if got := c.readText(); got != "{}\x1e" {
		t.Fatalf("diagnostic client after a slot was freed: %q", got)
	}
}

func negotiatedWith(t *testing.T, h *harness, hub string, extra map[string]any) (hubproto.NegotiateResponse, string) {
	t.Helper()
	tok := h.clientToken(hub, "", extra)
	_, body := h.negotiate("hub="+hub+"&negotiateVersion=1", tok)
	var nr hubproto.NegotiateResponse
	if err := json.Unmarshal(body, &nr); err != nil {
		t.Fatal(err)
	}
	return nr, tok
}

// events collects what a live trace watcher gets.
type events struct {
	mu  sync.Mutex
	all []diag.Event
}

func (e *events) add(ev *diag.Event) { e.mu.Lock(); e.all = append(e.all, *ev); e.mu.Unlock() }

func (e *events) wait(t *testing.T, match func(diag.Event) bool) diag.Event {
	t.Helper()
	var found diag.Event
	testsupport.Eventually(t, 5*time.Second, "event", func() error {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, ev := range e.all {
			if match(ev) {
				found = ev
				return nil
			}
		}
		return fmt.Errorf("not seen; have %+v", e.all)
	})
	return found
}

// Connectivity and messaging events carry ids, reasons, the client address
// and the tracing id;
// in diagnostic mode only diagnostic clients' deliveries are logged.
func TestTraceEvents(t *testing.T) {
	tr := diag.New(diag.Config{Messaging: diag.MessagingDiagnostic})
	h := newHarness(t, func(c *Config) { c.Tracer = tr })
	if tr.MessagingAny() != true || tr.Messaging(false) || !tr.Messaging(true) || tr.Connectivity() {
		t.Fatal("diagnostic mode answers")
	}
	var got events
	stop := tr.Watch(got.add)
	defer stop()
	plain := h.connect("chat", "alice")
	nr, tok := negotiatedWith(t, h, "chat", map[string]any{ClaimDiagnostic: "true", "asrs.s.uid": "bob"})
	dc := h.dial("chat", nr.ConnectionToken, tok)
	dc.id = nr.ConnectionID
	dc.handshake(`{"protocol":"json","version":1}`)
	_ = dc.readText()
	got.wait(t, func(e diag.Event) bool {
		return e.Name == diag.ConnectionStarted && e.ConnectionID == dc.id && e.Diagnostic && e.UserID == "bob" && e.Transport == "WebSockets" &&
			e.RemoteAddr == "127.0.0.1" // the client address, as Azure's callerIpAddress
	})
	env := sendEnv("chat", bus.ScopeAll, "", "news", `["x"]`)
	env.TraceID = "trace-42"
	publish(t, h.bus, env)
	plain.expectInvocation("news", `["x"]`)
	dc.expectInvocation("news", `["x"]`)
	for _, id := range []string{plain.id, dc.id} {
		got.wait(t, func(e diag.Event) bool {
			return e.Name == diag.MessageDelivered && e.ConnectionID == id && e.TraceID == "trace-42" && e.Method == "news" && e.Scope == "all" &&
				e.RemoteAddr == "127.0.0.1" && e.Group == ""
		})
	}
	publish(t, h.bus, &bus.Envelope{Kind: bus.KindClose, Hub: "chat", Scope: bus.ScopeConnection, ID: plain.id, Reason: "bye"})
	got.wait(t, func(e diag.Event) bool {
		return e.Name == diag.ConnectionAborted && e.ConnectionID == plain.id && e.Reason == "bye" && e.ReasonLabel == CloseAppClosed &&
			e.RemoteAddr == "127.0.0.1"
	})
	_ = dc.nc.Close()
	got.wait(t, func(e diag.Event) bool {
		return (e.Name == diag.ConnectionEnded || e.Name == diag.ConnectionAborted) && e.ConnectionID == dc.id
	})
}

// A full node refuses a diagnostic client's negotiate with 429 too, which
// clients report with the status.
func TestDiagnosticNegotiateAtLimit(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxDiagnosticConnections = 1 })
	dc := map[string]any{ClaimDiagnostic: "true"}
	nr, tok := negotiatedWith(t, h, "chat", dc)
	c := h.dial("chat", nr.ConnectionToken, tok)
	c.handshake(`{"protocol":"json","version":1}`)
	_ = c.readText()
	if code, body := h.negotiate("hub=chat&negotiateVersion=1", h.clientToken("chat", "", dc)); code != http.StatusTooManyRequests {
		t.Fatalf("negotiate at the limit: %d %s", code, body)
	}
	if code, _ := h.negotiate("hub=chat&negotiateVersion=1", h.clientToken("chat", "", nil)); code != http.StatusOK {
		t.Fatalf("ordinary negotiate at the limit: %d", code)
	}
}
