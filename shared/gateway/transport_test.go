package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/hubproto"
)

// httpClient is a plain HTTP client of one Server-Sent Events or Long
// Polling connection.
type httpClient struct {
	t    *testing.T
	base string // the node's URL
	path string // the connection's path and query: /client/?hub=H&id=T
	tok  string
	id   string // public connection id
}

func (h *harness) httpConn(t *testing.T, hub, user string, extra map[string]any) *httpClient {
	t.Helper()
	tok := h.clientToken(hub, user, extra)
	code, body := h.negotiate("hub="+hub+"&negotiateVersion=1", tok)
	if code != 200 {
		t.Fatalf("negotiate: %d %s", code, body)
	}
	var nr hubproto.NegotiateResponse
	if err := json.Unmarshal(body, &nr); err != nil {
		t.Fatal(err)
	}
	return &httpClient{t: t, base: h.srv.URL, tok: tok, id: nr.ConnectionID,
		path: "/client/?hub=" + hub + "&id=" + url.QueryEscape(nr.ConnectionToken)}
}

// do sends one request for the connection to node base ("" = its own).
func (c *httpClient) do(method, base, body string, header ...string) *http.Response {
	c.t.Helper()
	if base == "" {
		base = c.base
	}
	req, err := http.NewRequest(method, base+c.path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.tok)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

// call sends a request and returns its status and whole body.
func (c *httpClient) call(method, base, body string, header ...string) (int, string, http.Header) {
	c.t.Helper()
	resp := c.do(method, base, body, header...)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// want fails unless the request answers code (and body, when not "*").
func (c *httpClient) want(what, method, base, body string, code int, wantBody string, header ...string) http.Header {
	c.t.Helper()
	got, b, hd := c.call(method, base, body, header...)
	if got != code || (wantBody != "*" && b != wantBody) {
		c.t.Fatalf("%s: got %d %q, want %d %q", what, got, b, code, wantBody)
	}
	return hd
}

const jsonHandshake = `{"protocol":"json","version":1}` + "\x1e"

// pollConn opens a Long Polling connection and completes the handshake.
func (h *harness) pollConn(t *testing.T, hub, user string) *httpClient {
	t.Helper()
	c := h.httpConn(t, hub, user, nil)
	c.want("first poll", "GET", "", "", 200, "")
	c.want("handshake", "POST", "", jsonHandshake, 200, "")
	c.want("handshake response", "GET", "", "", 200, "{}\x1e")
	return c
}

func TestLongPolling(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	h := newHarness(t, func(c *Config) { c.Now = func() time.Time { return time.Unix(0, now.Load()) } })
	c := h.httpConn(t, "chat", "alice", nil)
	hd := c.want("first poll", "GET", "", "", 200, "")
	if hd.Get("Cache-Control") != "no-cache, no-store" || hd.Get("Pragma") != "no-cache" {
		t.Errorf("first poll headers %v", hd)
	}
	c.want("handshake", "POST", "", jsonHandshake, 200, "")
	hd = c.want("handshake response", "GET", "", "", 200, "{}\x1e")
	if hd.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("poll Content-Type %q", hd.Get("Content-Type"))
	}
	// A poll waits for the next message; a client message without an
	// upstream is answered through the poll.
	publish(t, h.bus, sendEnv("chat", bus.ScopeUser, "alice", "news", `["hi",1]`))
	c.want("user send", "GET", "", "", 200, `{"type":1,"target":"news","arguments":["hi",1]}`+"\x1e")
	c.want("invocation", "POST", "", `{"type":1,"invocationId":"3","target":"echo","arguments":[]}`+"\x1e", 200, "")
	c.want("completion", "GET", "", "", 200, `{"type":3,"invocationId":"3","error":"`+ErrTextNoUpstream+`"}`+"\x1e")
	// DELETE stops it: 202, then polls find nothing.
	c.want("stop", "DELETE", "", "", 202, "*")
	waitFor(t, func() bool { return h.gw.Connections() == 0 })
	now.Add(int64(time.Minute)) // past the connect window: the token opens nothing new
	c.want("poll after stop", "GET", "", "", 404, "*")
	c.want("send after stop", "POST", "", "{}", 404, "*")
}

func TestLongPollingMessagePack(t *testing.T) {
	h := newHarness(t, nil)
	c := h.httpConn(t, "chat", "", nil)
	c.want("first poll", "GET", "", "", 200, "")
	c.want("handshake", "POST", "", `{"protocol":"messagepack","version":1}`+"\x1e", 200, "")
	c.want("handshake response", "GET", "", "", 200, "{}\x1e")
	publish(t, h.bus, sendEnv("chat", bus.ScopeConnection, c.id, "news", `[1]`))
	_, body, _ := c.call("GET", "", "")
	msgs, rest, err := hubproto.MessagePack.Decode([]byte(body))
	if err != nil || len(rest) != 0 || len(msgs) != 1 || msgs[0].Target != "news" {
		t.Fatalf("poll body %q: %+v %v", body, msgs, err)
	}
	c.want("stop", "DELETE", "", "", 202, "*")
}

func TestLongPollHold(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.LongPollTimeout = 50 * time.Millisecond })
	c := h.pollConn(t, "chat", "")
	c.want("poll timeout", "GET", "", "", 200, "")
	c.want("poll timeout again", "GET", "", "", 200, "")
	c.want("stop", "DELETE", "", "", 202, "*")
}

func TestLongPollSupersede(t *testing.T) {
	h := newHarness(t, nil)
	c := h.pollConn(t, "chat", "")
	first := make(chan int, 1)
	go func() {
		code, _, _ := c.call("GET", "", "")
		first <- code
	}()
	conn := h.gw.idx.get("chat", c.id)
	waitFor(t, func() bool {
		conn.hs.pollMu.Lock()
		defer conn.hs.pollMu.Unlock()
		return conn.hs.poll != nil
	})
	second := make(chan int, 1)
	go func() {
		code, _, _ := c.call("GET", "", "")
		second <- code
	}()
	if code := <-first; code != 204 {
		t.Fatalf("superseded poll: %d, want 204", code)
	}
	c.want("stop", "DELETE", "", "", 202, "*")
	if code := <-second; code != 204 {
		t.Fatalf("poll of a stopped connection: %d, want 204", code)
	}
}

func TestLongPollingClose(t *testing.T) {
	h := newHarness(t, nil)
	c := h.pollConn(t, "chat", "")
	publish(t, h.bus, &bus.Envelope{Kind: bus.KindClose, Hub: "chat", Scope: bus.ScopeConnection, ID: c.id, Reason: "bye"})
	c.want("close message", "GET", "", "", 200, `{"type":7,"error":"bye"}`+"\x1e")
	c.want("poll after close", "GET", "", "", 204, "")
	waitFor(t, func() bool { return h.gw.Connections() == 0 })
}

// Long Polling has no ping timeout, but a client that stops polling is
// cleaned up after ClientTimeout.
func TestLongPollingIdle(t *testing.T) {
	m := &closeLabels{}
	h := newHarness(t, func(c *Config) { c.ClientTimeout = 100 * time.Millisecond; c.Metrics = m })
	h.pollConn(t, "chat", "")
	waitFor(t, func() bool { return h.gw.Connections() == 0 })
	waitFor(t, func() bool { return m.get() == ClosePingTimeout }) // not a client close
}

// closeLabels is a Metrics that keeps the last close label.
type closeLabels struct {
	mu   sync.Mutex
	last string
}

func (m *closeLabels) ConnectionOpened(string, string, string, bool) ConnectionMetrics { return m }
func (m *closeLabels) Delivered(bus.Scope, int, int)                                   {}
func (m *closeLabels) Received(int)                                                    {}
func (m *closeLabels) QueueOverflow()                                                  {}
func (m *closeLabels) Closed(label string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last = label
}

func (m *closeLabels) get() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

func TestServerSentEvents(t *testing.T) {
	h := newHarness(t, nil)
	c := h.httpConn(t, "chat", "bob", nil)
	resp := c.do("GET", "", "", "Accept", "text/event-stream")
	defer resp.Body.Close()
	for k, v := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache, no-store", "Content-Encoding": "identity"} {
		if got := resp.Header.Get(k); resp.StatusCode != 200 || got != v {
			t.Fatalf("event stream: %d, %s %q want %q", resp.StatusCode, k, got, v)
		}
	}
	br := bufio.NewReader(resp.Body)
	expectLines(t, br, ":")
	c.want("handshake", "POST", "", jsonHandshake, 200, "")
	expectLines(t, br, "data: {}\x1e", "")
	publish(t, h.bus, sendEnv("chat", bus.ScopeAll, "", "news", "[\"a\",\n\"b\"]"))
	expectLines(t, br, `data: {"type":1,"target":"news","arguments":["a",`, `data: "b"]}`+"\x1e", "")

	c.want("second stream", "GET", "", "", 409, "*", "Accept", "text/event-stream")
	c.want("poll on an SSE connection", "GET", "", "", 400, "*")
	c.want("DELETE on an SSE connection", "DELETE", "", "", 400, "*")
	publish(t, h.bus, &bus.Envelope{Kind: bus.KindClose, Hub: "chat", Scope: bus.ScopeConnection, ID: c.id, Reason: "bye"})
	expectLines(t, br, `data: {"type":7,"error":"bye"}`+"\x1e", "")
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("stream not ended after close: %v", err)
	}
}

func TestServerSentEventsRules(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.ClientTimeout = 100 * time.Millisecond })
	// MessagePack cannot go over an event stream.
	c := h.httpConn(t, "chat", "", nil)
	resp := c.do("GET", "", "", "Accept", "text/event-stream")
	br := bufio.NewReader(resp.Body)
	expectLines(t, br, ":")
	c.want("handshake", "POST", "", `{"protocol":"messagepack","version":1}`+"\x1e", 200, "")
	expectLines(t, br, `data: {"error":"Cannot use the 'messagepack' protocol with the ServerSentEvents transport: it carries text only."}`+"\x1e", "")
	resp.Body.Close()

	// A client that sends nothing (no pings) for ClientTimeout is closed.
	c = h.httpConn(t, "chat", "", nil)
	resp = c.do("GET", "", "", "Accept", "text/event-stream")
	defer resp.Body.Close()
	br = bufio.NewReader(resp.Body)
	expectLines(t, br, ":")
	c.want("handshake", "POST", "", jsonHandshake, 200, "")
	expectLines(t, br, "data: {}\x1e", "", `data: {"type":7,"error":"`+ReasonPingTimeout+`"}`+"\x1e", "")

	// asrs.s.htt: a token for WebSockets only opens no event stream.
	c = h.httpConn(t, "chat", "", map[string]any{"asrs.s.htt": "1"})
	c.want("restricted", "GET", "", "", 400, "*", "Accept", "text/event-stream")
}

func TestHTTPTransportTokenExpiry(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	h := newHarness(t, func(c *Config) { c.Now = func() time.Time { return time.Unix(0, now.Load()) } })
	c := h.pollConn(t, "chat", "")
	// Past the connect window, the connection token still names the connection.
	now.Add(int64(time.Minute))
	c.want("send after the connect window", "POST", "", "{\"type\":6}\x1e", 200, "")
	// Past the access token's expiry, every request is refused: the client negotiates again.
	now.Add(int64(3 * time.Hour))
	c.want("poll with an expired token", "GET", "", "", 401, "*")
	c.want("send with an expired token", "POST", "", "{\"type\":6}\x1e", 401, "*")
	now.Add(-int64(3 * time.Hour))
	c.want("stop", "DELETE", "", "", 202, "*")
}

// Without asrs.s.coae a Server-Sent Events connection outlives its access
// token on its stream: messages keep arriving, but every POST of the client
// (invocations, pings) carries the expired token and is refused with 401,
// so nothing from the client reaches the gateway, which ends the connection
// after ClientTimeout as a ping timeout (docs/troubleshooting.md).
func TestServerSentEventsAfterTokenExpiry(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	m := &closeLabels{}
	h := newHarness(t, func(c *Config) {
		c.Now = func() time.Time { return time.Unix(0, now.Load()) }
		c.ClientTimeout = time.Second
		c.Metrics = m
	})
	c := h.httpConn(t, "chat", "", nil)
	resp := c.do("GET", "", "", "Accept", "text/event-stream")
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	expectLines(t, br, ":")
	c.want("handshake", "POST", "", jsonHandshake, 200, "")
	expectLines(t, br, "data: {}\x1e", "")

	now.Add(int64(time.Hour + 6*time.Minute)) // past exp (1 hour) and the 5-minute leeway
	c.want("ping with the expired token", "POST", "", "{\"type\":6}\x1e", http.StatusUnauthorized,
		TextUnauthorized+"token: expired (token has invalid claims: token is expired)")
	publish(t, h.bus, sendEnv("chat", bus.ScopeAll, "", "news", `[1]`))
	expectLines(t, br, `data: {"type":1,"target":"news","arguments":[1]}`+"\x1e", "")
	expectLines(t, br, `data: {"type":7,"error":"`+ReasonPingTimeout+`"}`+"\x1e", "")
	waitFor(t, func() bool { return m.get() == ClosePingTimeout })
}

// expectLines reads one line per want (without the \r\n) from an event stream.
func expectLines(t *testing.T, br *bufio.Reader, want ...string) {
	t.Helper()
	for _, w := range want {
		line, err := br.ReadString('\n')
		if err != nil || line != w+"\r\n" {
			t.Fatalf("event stream line %q (%v), want %q", line, err, w+"\r\n")
		}
	}
}

// A Long Polling client that does not poll while messages pile up is
// closed as a slow consumer, as a WebSocket client would be: its next poll
// gets the Close message instead of the backlog.
func TestLongPollingSlowConsumer(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.QueueMessages = 2 })
	c := h.pollConn(t, "chat", "")
	for range 3 {
		publish(t, h.bus, sendEnv("chat", bus.ScopeAll, "", "news", `[1]`))
	}
	c.want("close message", "GET", "", "", 200, `{"type":7,"error":"`+ReasonSlowClient+`"}`+"\x1e")
	c.want("poll after close", "GET", "", "", 204, "")
}

// At shutdown a Long Polling client between polls cannot fetch its Close
// message (the listeners close first): it is ended at once instead of
// holding the drain for ClientTimeout, while a client with a poll waiting
// gets "Service reloading" through that poll.
func TestLongPollingShutdown(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.ClientTimeout = time.Hour })
	h.pollConn(t, "chat", "") // between polls
	waiting := h.pollConn(t, "chat", "")
	polled := make(chan string, 1)
	go func() {
		_, body, _ := waiting.call("GET", "", "")
		polled <- body
	}()
	conn := h.gw.idx.get("chat", waiting.id)
	waitFor(t, func() bool {
		conn.hs.pollMu.Lock()
		defer conn.hs.pollMu.Unlock()
		return conn.hs.poll != nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.gw.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with a Long Polling client between polls: %v", err)
	}
	want := `{"type":7,"error":"` + ReasonServiceReloading + `","allowReconnect":true}` + "\x1e"
	if body := <-polled; body != want {
		t.Fatalf("waiting poll got %q, want %q", body, want)
	}
	if h.gw.Connections() != 0 {
		t.Fatalf("connections left after shutdown: %d", h.gw.Connections())
	}
}
