package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/token"
)

const testKey = "test-access-key-0123456789"

// harness is a gateway on a real loopback HTTP server over a memory bus.
type harness struct {
	t   testing.TB
	bus *bus.Memory
	gw  *Server
	srv *httptest.Server
	iss *token.Issuer
}

func newHarness(t testing.TB, mutate func(*Config)) *harness {
	t.Helper()
	b := bus.NewMemory(bus.MemoryConfig{})
	cfg := Config{Keys: []string{testKey}, Bus: b}
	if mutate != nil {
		mutate(&cfg)
	}
	gw, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	iss, err := token.NewIssuer(token.IssuerConfig{Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, bus: b, gw: gw, srv: httptest.NewServer(gw), iss: iss}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = gw.Shutdown(ctx)
		h.srv.Close()
		_ = b.Close()
	})
	return h
}

// clientToken issues an access token as the app negotiate would.
func (h *harness) clientToken(hub, user string, extra map[string]any) string {
	h.t.Helper()
	claims := map[string]any{}
	if user != "" {
		claims["asrs.s.uid"] = user
	}
	for k, v := range extra {
		claims[k] = v
	}
	tok, err := h.iss.Issue("http://localhost/client/?hub="+hub, claims, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// negotiate performs POST /client/negotiate and returns the status and body.
func (h *harness) negotiate(query, tok string) (int, []byte) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/client/negotiate?"+query, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// negotiateOK negotiates, fails the test unless it gets 200, and returns
// the answer.
func (h *harness) negotiateOK(query, tok string) hubproto.NegotiateResponse {
	h.t.Helper()
	code, body := h.negotiate(query, tok)
	if code != 200 {
		h.t.Fatalf("negotiate: %d %s", code, body)
	}
	var nr hubproto.NegotiateResponse
	if err := json.Unmarshal(body, &nr); err != nil {
		h.t.Fatal(err)
	}
	return nr
}

// client is a minimal SignalR client over WebSockets.
type client struct {
	t     testing.TB
	nc    net.Conn
	br    *bufio.Reader
	id    string
	codec hubproto.Codec
}

// connect negotiates, dials and completes the JSON handshake.
func (h *harness) connect(hub, user string) *client {
	h.t.Helper()
	return h.connectWith(hubproto.JSON, hub, user)
}

// connectWith negotiates, dials and completes the handshake for codec.
func (h *harness) connectWith(codec hubproto.Codec, hub, user string) *client {
	h.t.Helper()
	return h.connectFull(codec, hub, user, nil)
}

// connectFull negotiates with a token carrying the extra claims, dials and
// completes the handshake for codec.
func (h *harness) connectFull(codec hubproto.Codec, hub, user string, extra map[string]any) *client {
	h.t.Helper()
	tok := h.clientToken(hub, user, extra)
	nr := h.negotiateOK("hub="+hub+"&negotiateVersion=1", tok)
	c := h.dial(hub, nr.ConnectionToken, tok)
	c.id = nr.ConnectionID
	c.codec = codec
	c.handshake(`{"protocol":"` + codec.Name() + `","version":1}`)
	if got := c.readText(); got != "{}\x1e" {
		h.t.Fatalf("handshake response %q", got)
	}
	return c
}

func (h *harness) dial(hub, connToken, tok string) *client {
	h.t.Helper()
	u := "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/client/?hub=" + hub + "&id=" + url.QueryEscape(connToken)
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"Authorization": {"Bearer " + tok}}), Timeout: 5 * time.Second}
	nc, br, _, err := d.Dial(context.Background(), u)
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	c := &client{t: h.t, nc: nc, codec: hubproto.JSON}
	c.br = bufio.NewReader(nc)
	if br != nil {
		c.br = br
	}
	h.t.Cleanup(func() { _ = nc.Close() })
	return c
}

func (c *client) handshake(req string) {
	c.t.Helper()
	if err := wsutil.WriteClientText(c.nc, []byte(req+"\x1e")); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) send(text string) {
	c.t.Helper()
	if err := wsutil.WriteClientText(c.nc, []byte(text)); err != nil {
		c.t.Fatal(err)
	}
}

// sendMessage encodes m in the client's protocol and sends it.
func (c *client) sendMessage(m *hubproto.Message) {
	c.t.Helper()
	b, err := c.codec.Append(nil, m)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := wsutil.WriteClientBinary(c.nc, b); err != nil {
		c.t.Fatal(err)
	}
}

// readText returns the next text message, failing after 5s.
func (c *client) readText() string {
	c.t.Helper()
	s, err := c.tryRead(5 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return s
}

func (c *client) tryRead(d time.Duration) (string, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	for {
		h, err := ws.ReadHeader(c.br)
		if err != nil {
			return "", err
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(c.br, p); err != nil {
			return "", err
		}
		switch h.OpCode {
		case ws.OpText, ws.OpBinary:
			return string(p), nil
		case ws.OpClose:
			return "", fmt.Errorf("websocket closed: %x", p)
		}
	}
}

// next returns the next hub message that is not a Ping.
func (c *client) next() hubproto.Message {
	c.t.Helper()
	for {
		msgs, _, err := c.codec.Decode([]byte(c.readText()))
		if err != nil {
			c.t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Type != hubproto.TypePing {
				return m
			}
		}
	}
}

// expectInvocation waits for an Invocation of target with args.
func (c *client) expectInvocation(target, args string) {
	c.t.Helper()
	m := c.next()
	got := m.Arguments
	if c.codec == hubproto.MessagePack {
		got, _ = hubproto.MsgpackToJSON(nil, m.Arguments)
	}
	if m.Type != hubproto.TypeInvocation || m.Target != target || string(got) != args {
		c.t.Fatalf("got %s, want invocation %s(%s)", clip(fmt.Sprintf("%+v", m)), target, clip(args))
	}
}

func publish(t testing.TB, b bus.Publisher, e *bus.Envelope) {
	t.Helper()
	if err := b.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
}

func sendEnv(hub string, scope bus.Scope, id, target, args string, excluded ...string) *bus.Envelope {
	return &bus.Envelope{Kind: bus.KindSend, Hub: hub, Scope: scope, ID: id, Excluded: excluded,
		Message: &bus.Message{Target: target, Arguments: json.RawMessage(args)}}
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
