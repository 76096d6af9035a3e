package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// A REST token is never a client token, whatever path it is used on
// (a token for /api/hubs/chat/users/client negotiated and
// connected to hub secrethub through /client/api/hubs/chat/users/client/).
func TestRESTTokenIsNotAClientToken(t *testing.T) {
	h := newHarness(t, nil)
	for _, aud := range []string{
		"http://localhost/api/hubs/chat/users/client?api-version=2022-06-01",
		"http://localhost/api/v1/hubs/chat/users/client",
		"http://localhost/api/hubs/chat/users/client?api-version=2022-06-01&hub=secrethub",
	} {
		rest, err := h.iss.Issue(aud, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/client/api/hubs/chat/users/client/negotiate", "/client/api/v1/hubs/chat/users/client/negotiate", "/client/negotiate"} {
			req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path+"?hub=secrethub&negotiateVersion=1", nil)
			req.Header.Set("Authorization", "Bearer "+rest)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("REST token %s on %s: %d, want 401", aud, path, resp.StatusCode)
			}
		}
	}
	// The client token of the right hub still works on such a path.
	if code, body := h.negotiate("hub=secrethub&negotiateVersion=1", h.clientToken("secrethub", "u", nil)); code != http.StatusOK {
		t.Fatalf("client token: %d %s", code, body)
	}
}

// A client token without exp is refused: Azure requires exp.
func TestClientTokenWithoutExp(t *testing.T) {
	h := newHarness(t, nil)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"aud": "http://localhost/client/?hub=chat", "asrs.s.uid": "u"}).SignedString([]byte(testKey))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := h.negotiate("hub=chat&negotiateVersion=1", tok); code != http.StatusUnauthorized {
		t.Fatalf("no exp: %d %s, want 401", code, body)
	}
}

// A connection token opens one connection: not a second one after the
// first closed, on this node or on another node of the deployment
// (ASP.NET Core treats it as single-use).
func TestConnectionTokenSingleUse(t *testing.T) {
	h := newHarness(t, nil)
	other, err := New(Config{Keys: []string{testKey}, Bus: h.bus})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	otherSrv := httptest.NewServer(other)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = other.Shutdown(ctx)
		otherSrv.Close()
	})
	nr, tok := negotiated(t, h, "chat", "alice")
	c := h.dial("chat", nr.ConnectionToken, tok)
	c.handshake(`{"protocol":"json","version":1}`)
	if got := c.readText(); got != "{}\x1e" {
		t.Fatalf("handshake %q", got)
	}
	_ = c.nc.Close()
	waitFor(t, func() bool { return h.gw.Connections() == 0 })
	for name, srv := range map[string]string{"same node": h.srv.URL, "other node": otherSrv.URL} {
		u := srv + "/client/?hub=chat&id=" + url.QueryEscape(nr.ConnectionToken)
		if code, body := get(t, http.MethodGet, u, tok); code != http.StatusConflict || body != TextTokenUsed {
			t.Errorf("%s, Long Polling with a used token: %d %q, want 409", name, code, body)
		}
		if err := dialStatus(&harness{srv: &httptest.Server{URL: srv}}, "chat", nr.ConnectionToken, tok); !strings.Contains(err, "409") {
			t.Errorf("%s, WebSocket with a used token: %q, want 409", name, err)
		}
	}
	// A fresh negotiate still connects.
	h.connect("chat", "alice")
}
