package gateway

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// twoNodes returns two gateways on one bus, each knowing its InternalURL.
func twoNodes(t *testing.T) (a, b *harness) {
	t.Helper()
	a = newHarness(t, nil) // for its bus and issuer; its own gateway stays unused
	return node(t, a), node(t, a)
}

// node starts a gateway on h's bus with its InternalURL set.
func node(t *testing.T, h *harness) *harness {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	gw, err := New(Config{Keys: []string{testKey}, Bus: h.bus, InternalURL: "http://" + srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = gw
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = gw.Shutdown(ctx)
		srv.Close()
	})
	return &harness{t: t, bus: h.bus, iss: h.iss, gw: gw, srv: srv}
}

// Requests for a connection may land on any node: the others forward them
// to the node holding it.
func TestForwardToOwner(t *testing.T) {
	a, b := twoNodes(t)
	c := a.httpConn(t, "chat", "alice", nil)
	c.want("first poll on a", "GET", "", "", 200, "")
	c.want("handshake through b", "POST", b.srv.URL, jsonHandshake, 200, "")
	c.want("poll through b", "GET", b.srv.URL, "", 200, "{}\x1e")
	publish(t, a.bus, sendEnv("chat", bus.ScopeUser, "alice", "news", `[1]`))
	c.want("send through b", "GET", b.srv.URL, "", 200, `{"type":1,"target":"news","arguments":[1]}`+"\x1e")
	if a.gw.Connections() != 1 || b.gw.Connections() != 0 {
		t.Fatalf("connections a=%d b=%d, want 1 and 0", a.gw.Connections(), b.gw.Connections())
	}
	// A forwarded request is never forwarded again.
	c.want("hop", "GET", b.srv.URL, "", 404, "*", forwardHeader, "elsewhere")
	c.want("stop through b", "DELETE", b.srv.URL, "", 202, "*")
	waitFor(t, func() bool { return a.gw.Connections() == 0 })
}

// A connection whose node vanished is gone: 404, and the client starts over.
func TestForwardToVanishedNode(t *testing.T) {
	a, _ := twoNodes(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	_ = ln.Close()
	c := a.httpConn(t, "chat", "", nil)
	if _, err := a.bus.Register(context.Background(), bus.Conn{Hub: "chat", ID: c.id, Addr: dead}); err != nil {
		t.Fatal(err)
	}
	c.want("poll for a vanished node's connection", "GET", "", "", http.StatusNotFound, "*")
	c.want("send for a vanished node's connection", "POST", "", "{}", http.StatusNotFound, "*")
}

func TestDefaultInternalURL(t *testing.T) {
	if got := DefaultInternalURL(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8881}); got != "http://127.0.0.1:8881" {
		t.Errorf("loopback: %q", got)
	}
	got := DefaultInternalURL(&net.TCPAddr{IP: net.IPv4zero, Port: 8080})
	if ip := firstIPv4(); ip != nil && got != "http://"+ip.String()+":8080" {
		t.Errorf("any interface: %q, first IPv4 %v", got, ip)
	}
}

// A POST for a WebSocket connection held by another node is answered by
// that node: 405, as if it had landed there.
func TestForwardWebSocketRules(t *testing.T) {
	a, b := twoNodes(t)
	nr, tok := negotiated(t, a, "chat", "")
	c := a.dial("chat", nr.ConnectionToken, tok)
	c.handshake(`{"protocol":"json","version":1}`)
	if got := c.readText(); got != "{}\x1e" {
		t.Fatalf("handshake %q", got)
	}
	u := b.srv.URL + "/client/?hub=chat&id=" + url.QueryEscape(nr.ConnectionToken)
	if code, body := get(t, "POST", u, tok); code != http.StatusMethodNotAllowed {
		t.Fatalf("POST through another node: %d %s, want 405", code, body)
	}
	if code, body := get(t, "DELETE", u, tok); code != http.StatusBadRequest {
		t.Fatalf("DELETE through another node: %d %s, want 400", code, body)
	}
}
