package gateway

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/hubproto"
)

// Over TLS the socket cannot be written directly: connections fall back to
// the writer goroutine and still get every message, in order.
func TestTLSConnectionsUseTheWriter(t *testing.T) {
	h := newHarness(t, nil)
	srv := httptest.NewTLSServer(h.gw)
	defer srv.Close()
	h.srv.Close()
	h.srv = srv

	tok := h.clientToken("chat", "a", nil)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/client/negotiate?hub=chat&negotiateVersion=1", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var nr hubproto.NegotiateResponse
	err = json.NewDecoder(resp.Body).Decode(&nr)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	u := "wss" + strings.TrimPrefix(srv.URL, "https") + "/client/?hub=chat&id=" + url.QueryEscape(nr.ConnectionToken)
	d := ws.Dialer{
		Header:    ws.HandshakeHeaderHTTP(http.Header{"Authorization": {"Bearer " + tok}}),
		TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig,
		Timeout:   5 * time.Second,
	}
	nc, br, _, err := d.Dial(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, ok := nc.(*tls.Conn); !ok {
		t.Fatalf("client conn %T is not TLS", nc)
	}
	c := &client{t: t, nc: nc, br: bufio.NewReader(nc), codec: hubproto.JSON}
	if br != nil {
		c.br = br
	}
	c.handshake(`{"protocol":"json","version":1}`)
	if got := c.readText(); got != "{}\x1e" {
		t.Fatalf("handshake response %q", got)
	}
	for _, sc := range h.gw.idx.all() {
		if sc.raw != nil {
			t.Fatal("a TLS connection has a raw socket for direct writes")
		}
	}
	for i := range 100 {
		publish(t, h.bus, sendEnv("chat", bus.ScopeAll, "", "n", `[`+strings.Repeat("1", i%7+1)+`]`))
	}
	for i := range 100 {
		c.expectInvocation("n", `[`+strings.Repeat("1", i%7+1)+`]`)
	}
}
