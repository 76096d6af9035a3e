package gateway

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/testsupport"
)

// withLog sends the gateway's log to l.
func withLog(l *testsupport.Buffer) func(*Config) {
	return func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(l, nil)) }
}

// Over the connection quota, negotiate and connect answer 429 "Connection
// count reaches limit", the log says so and the limit metric counts each
// refusal; a closed connection frees its slot.
func TestConnectionQuota(t *testing.T) {
	logs, m := &testsupport.Buffer{}, &limitCounter{}
	h := newHarness(t, func(c *Config) { withLog(logs)(c); c.MaxConnections = 2; c.Metrics = m })
	first := h.connect("chat", "a")
	pending, tok := negotiated(t, h, "chat", "b") // negotiated while there is room
	h.connect("other", "c")

	code, body := h.negotiate("hub=chat&negotiateVersion=1", h.clientToken("chat", "d", nil))
	if code != http.StatusTooManyRequests || string(body) != ReasonConnectionLimit {
		t.Fatalf("negotiate over the limit: %d %q", code, body)
	}
	code, text := get(t, http.MethodGet, h.srv.URL+"/client/?hub=chat&id="+url.QueryEscape(pending.ConnectionToken), tok)
	if code != http.StatusTooManyRequests || text != ReasonConnectionLimit {
		t.Fatalf("Long Polling open over the limit: %d %s", code, text)
	}
	sse := &httpClient{t: t, base: h.srv.URL, tok: tok, path: "/client/?hub=chat&id=" + url.QueryEscape(pending.ConnectionToken)}
	sse.want("Server-Sent Events open over the limit", "GET", "", "", http.StatusTooManyRequests, ReasonConnectionLimit, "Accept", "text/event-stream")
	if err := dialStatus(h, "chat", pending.ConnectionToken, tok); !strings.Contains(err, "429") {
		t.Fatalf("connect over the limit: %s", err)
	}
	if !strings.Contains(logs.String(), ReasonConnectionLimit) {
		t.Errorf("log lacks %q:\n%s", ReasonConnectionLimit, logs)
	}
	if n := m.count(LimitConnections); n != 4 { // negotiate, Long Polling, SSE, WebSocket
		t.Errorf("herald_limit_refusals_total{limit=%q} counted %d refusals, want 4", LimitConnections, n)
	}

	_ = first.nc.Close()
	waitFor(t, func() bool {
		code, _ := h.negotiate("hub=chat&negotiateVersion=1", h.clientToken("chat", "d", nil))
		return code == http.StatusOK
	})
	h.connect("chat", "d")
}

// An open Server-Sent Events or Long Polling connection holds a slot of
// the connection quota from its first request until it ends, like a
// WebSocket.
func TestHTTPTransportsHoldQuotaSlots(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxConnections = 1 })
	full := func(what string) {
		t.Helper()
		if code, body := h.negotiate("hub=chat&negotiateVersion=1", h.clientToken("chat", "x", nil)); code != http.StatusTooManyRequests {
			t.Fatalf("negotiate while %s is open: %d %s", what, code, body)
		}
	}
	freed := func() { // the slot comes back once the connection has ended
		t.Helper()
		waitFor(t, func() bool {
			code, _ := h.negotiate("hub=chat&negotiateVersion=1", h.clientToken("chat", "x", nil))
			return code == http.StatusOK
		})
	}

	lp := h.pollConn(t, "chat", "a")
	full("a Long Polling connection")
	lp.want("stop", "DELETE", "", "", http.StatusAccepted, "*")
	freed()

	sse := h.httpConn(t, "chat", "b", nil)
	resp := sse.do("GET", "", "", "Accept", "text/event-stream")
	br := bufio.NewReader(resp.Body)
	expectLines(t, br, ":")
	full("an event stream before its handshake")
	sse.want("handshake", "POST", "", jsonHandshake, http.StatusOK, "")
	expectLines(t, br, "data: {}\x1e", "")
	full("a Server-Sent Events connection")
	_ = resp.Body.Close()
	freed()
}

func TestUserConnectionQuota(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxUserConnections = 1 })
	h.connect("chat", "alice")
	if code, body := h.negotiate("hub=chat&negotiateVersion=1", h.clientToken("chat", "alice", nil)); code != http.StatusTooManyRequests {
		t.Fatalf("second alice: %d %s", code, body)
	}
	h.connect("chat", "bob")
	h.connect("other", "alice") // per hub
	h.connect("chat", "")       // anonymous connections have no user quota
	h.connect("chat", "")
}

// Over the negotiate rate, negotiate answers 429 with Retry-After, logs
// and counts the refusal.
func TestNegotiateRate(t *testing.T) {
	logs, m := &testsupport.Buffer{}, &limitCounter{}
	h := newHarness(t, func(c *Config) { withLog(logs)(c); c.NegotiateRate = 3; c.Metrics = m })
	tok := h.clientToken("chat", "", nil)
	for range 20 {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/client/negotiate?hub=chat&negotiateVersion=1", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			if ra := resp.Header.Get("Retry-After"); ra != "1" {
				t.Fatalf("Retry-After %q, want 1", ra)
			}
			if !strings.Contains(logs.String(), ReasonNegotiateLimit) {
				t.Errorf("log lacks %q", ReasonNegotiateLimit)
			}
			if n := m.count(LimitNegotiateRate); n != 1 {
				t.Errorf("herald_limit_refusals_total{limit=%q} counted %d refusals, want 1", LimitNegotiateRate, n)
			}
			return
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("negotiate: %d", resp.StatusCode)
		}
	}
	t.Fatal("20 negotiates at 3 per second were all accepted")
}

func TestQuotasNeedACountingBus(t *testing.T) {
	_, err := New(Config{Keys: []string{testKey}, Bus: registryOnly{}, GatewayTuning: config.GatewayTuning{MaxConnections: 1}})
	if err == nil || !strings.Contains(err.Error(), "bus.Quotas") {
		t.Fatalf("New = %v", err)
	}
}

// registryOnly is a gateway Bus that cannot count quotas.
type registryOnly struct{ Bus }

// dialStatus attempts a WebSocket connect and returns the error text ("" on
// success, when the connection is closed at once).
func dialStatus(h *harness, hub, connToken, tok string) string {
	u := "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/client/?hub=" + hub + "&id=" + url.QueryEscape(connToken)
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"Authorization": {"Bearer " + tok}}), Timeout: 5 * time.Second}
	nc, _, _, err := d.Dial(context.Background(), u)
	if err != nil {
		return err.Error()
	}
	_ = nc.Close()
	return ""
}

func TestUserIDLengthLimit(t *testing.T) {
	h := newHarness(t, nil)
	long := strings.Repeat("u", maxUserLen+1)
	if code, body := h.negotiate("hub=chat&negotiateVersion=1", h.clientToken("chat", long, nil)); code != http.StatusUnauthorized {
		t.Fatalf("negotiate with a %d-character user id: %d %s", len(long), code, body)
	}
	h.connect("chat", long[1:])
}
