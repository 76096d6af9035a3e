package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
)

func negotiated(t *testing.T, h *harness, hub, user string) (hubproto.NegotiateResponse, string) {
	t.Helper()
	tok := h.clientToken(hub, user, nil)
	_, body := h.negotiate("hub="+hub+"&negotiateVersion=1", tok)
	var nr hubproto.NegotiateResponse
	if err := json.Unmarshal(body, &nr); err != nil {
		t.Fatal(err)
	}
	return nr, tok
}

func get(t *testing.T, method, u, tok string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestConnectErrors(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	h := newHarness(t, func(c *Config) { c.Now = clock })
	nr, tok := negotiated(t, h, "chat", "alice")
	base := h.srv.URL + "/client/?hub=chat&id="
	// Every case leaves the connection token unused.
	cases := []struct {
		name, method, url, tok string
		code                   int
	}{
		{"missing id", "GET", h.srv.URL + "/client/?hub=chat", tok, 400},
		{"missing hub", "GET", h.srv.URL + "/client/?id=x", tok, 400},
		{"no token", "GET", base + url.QueryEscape(nr.ConnectionToken), "", 401},
		{"forged id", "GET", base + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", tok, 404},
		{"public id is not the token", "GET", base + nr.ConnectionID, tok, 404},
		{"post to unknown connection", "POST", base + url.QueryEscape(nr.ConnectionToken), tok, 404},
		{"delete unknown connection", "DELETE", base + url.QueryEscape(nr.ConnectionToken), tok, 404},
		// A malformed pair is a 400, never dropped: hub=%zz used to vanish,
		// leaving the first hub as the only one.
		{"malformed second hub", "GET", h.srv.URL + "/client/?hub=chat&hub=%zz&id=" + url.QueryEscape(nr.ConnectionToken), tok, 400},
		{"malformed query value", "GET", base + url.QueryEscape(nr.ConnectionToken) + "&x=%FF", tok, 400},
		{"malformed negotiate query", "POST", h.srv.URL + "/client/negotiate?hub=chat&negotiateVersion=%zz", tok, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := get(t, tc.method, tc.url, tc.tok); code != tc.code {
				t.Fatalf("got %d %s, want %d", code, body, tc.code)
			}
		})
	}
	t.Run("token bound to user", func(t *testing.T) {
		code, _ := get(t, "GET", base+url.QueryEscape(nr.ConnectionToken), h.clientToken("chat", "mallory", nil))
		if code != 404 {
			t.Fatalf("got %d, want 404", code)
		}
	})
	t.Run("after the reservation window", func(t *testing.T) {
		now = now.Add(16 * time.Second)
		code, body := get(t, "GET", base+url.QueryEscape(nr.ConnectionToken), tok)
		if code != 404 || !strings.Contains(body, "reservation window") {
			t.Fatalf("got %d %s", code, body)
		}
	})
}

func TestSecondSocketConflicts(t *testing.T) {
	h := newHarness(t, nil)
	nr, tok := negotiated(t, h, "chat", "")
	c := h.dial("chat", nr.ConnectionToken, tok)
	c.handshake(`{"protocol":"json","version":1}`)
	if got := c.readText(); got != "{}\x1e" {
		t.Fatalf("handshake %q", got)
	}
	code, _ := get(t, "GET", h.srv.URL+"/client/?hub=chat&id="+url.QueryEscape(nr.ConnectionToken), tok)
	// A plain GET (Long Polling) to a live WebSocket connection is refused as well.
	if code != 400 {
		t.Fatalf("plain GET: %d", code)
	}
	req, _ := http.NewRequest("GET", h.srv.URL+"/client/?hub=chat&id="+url.QueryEscape(nr.ConnectionToken), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 409 {
		t.Fatalf("second socket: %d, want 409", resp.StatusCode)
	}
	if code, _ := get(t, "POST", h.srv.URL+"/client/?hub=chat&id="+url.QueryEscape(nr.ConnectionToken), tok); code != 405 {
		t.Fatalf("POST to a WebSocket connection: %d, want 405", code)
	}
	if code, _ := get(t, "DELETE", h.srv.URL+"/client/?hub=chat&id="+url.QueryEscape(nr.ConnectionToken), tok); code != 400 {
		t.Fatalf("DELETE on a WebSocket connection: %d, want 400", code)
	}
}

func TestHandshake(t *testing.T) {
	h := newHarness(t, nil)
	cases := []struct{ req, want string }{
		{`{"protocol":"protobuf","version":1}`, `{"error":"Requested protocol 'protobuf' is not available."}` + "\x1e"},
		{`{"protocol":"json","version":9}`, `{"error":"The server does not support version 9 of the 'json' protocol."}` + "\x1e"},
		{`{"protocol":`, `{"error":"Handshake request is invalid."}` + "\x1e"},
	}
	for _, tc := range cases {
		nr, tok := negotiated(t, h, "chat", "")
		c := h.dial("chat", nr.ConnectionToken, tok)
		c.handshake(tc.req)
		if got := c.readText(); got != tc.want {
			t.Errorf("%s: got %q want %q", tc.req, got, tc.want)
		}
		if _, err := c.tryRead(5 * time.Second); err == nil || !strings.Contains(err.Error(), "closed") {
			t.Errorf("%s: connection not closed: %v", tc.req, err)
		}
	}
}

func TestHandshakeTimeout(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.HandshakeTimeout = 100 * time.Millisecond })
	nr, tok := negotiated(t, h, "chat", "")
	c := h.dial("chat", nr.ConnectionToken, tok)
	if _, err := c.tryRead(5 * time.Second); err == nil {
		t.Fatal("connection without handshake stayed open")
	}
}

func TestHandshakeWithTrailingMessages(t *testing.T) {
	h := newHarness(t, nil)
	nr, tok := negotiated(t, h, "chat", "")
	c := h.dial("chat", nr.ConnectionToken, tok)
	// The handshake and a blocking invocation in one frame.
	c.send(`{"protocol":"json","version":1}` + "\x1e" + `{"type":1,"invocationId":"7","target":"echo","arguments":[]}` + "\x1e")
	if got := c.readText(); got != "{}\x1e" {
		t.Fatalf("handshake %q", got)
	}
	m := c.next()
	if m.Type != hubproto.TypeCompletion || m.InvocationID != "7" || m.Error != ErrTextNoUpstream {
		t.Fatalf("got %+v", m)
	}
}
