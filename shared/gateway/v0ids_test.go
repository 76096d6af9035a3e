package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/token"
)

// TestVersion0ConnectionID: a client that negotiates without
// negotiateVersion holds one connectionId, connects with it, and REST
// operations naming that id reach the connection (send, group membership,
// existence, close), on the same bus the gateway serves.
func TestVersion0ConnectionID(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.clientToken("chat", "alice", nil)
	code, body := h.negotiate("hub=chat", tok)
	if code != 200 {
		t.Fatalf("negotiate: %d %s", code, body)
	}
	var nr hubproto.NegotiateResponse
	if err := json.Unmarshal(body, &nr); err != nil {
		t.Fatal(err)
	}
	if nr.NegotiateVersion != 0 || nr.ConnectionToken != "" || nr.ConnectionID == "" {
		t.Fatalf("v0 negotiate: %s", body)
	}
	c := h.dial("chat", nr.ConnectionID, tok)
	c.handshake(`{"protocol":"json","version":1}`)
	if got := c.readText(); got != "{}\x1e" {
		t.Fatalf("handshake response %q", got)
	}
	rest := h.restHandler()
	id := url.PathEscape(nr.ConnectionID)

	if code := h.restDo(rest, "HEAD", "/api/hubs/chat/connections/"+id, ""); code != 200 {
		t.Fatalf("connection exists: %d, want 200", code)
	}
	if code := h.restDo(rest, "POST", "/api/hubs/chat/connections/"+id+"/:send", `{"target":"direct","arguments":[1]}`); code != 202 {
		t.Fatalf("send to connection: %d", code)
	}
	c.expectInvocation("direct", "[1]")
	if code := h.restDo(rest, "PUT", "/api/hubs/chat/groups/g/connections/"+id, ""); code != 200 {
		t.Fatalf("add to group: %d", code)
	}
	if code := h.restDo(rest, "POST", "/api/hubs/chat/groups/g/:send", `{"target":"grouped","arguments":[2]}`); code != 202 {
		t.Fatalf("send to group: %d", code)
	}
	c.expectInvocation("grouped", "[2]")
	if code := h.restDo(rest, "DELETE", "/api/hubs/chat/connections/"+id+"?reason=bye", ""); code != 200 {
		t.Fatalf("close connection: %d", code)
	}
	if m := c.next(); m.Type != hubproto.TypeClose || m.Error != "bye" {
		t.Fatalf("got %+v, want Close with reason bye", m)
	}
}

// restHandler is the REST API (shared/httpapi) on the harness's bus.
func (h *harness) restHandler() http.Handler {
	h.t.Helper()
	v, err := token.NewVerifier(token.VerifierConfig{Keys: []string{testKey}})
	if err != nil {
		h.t.Fatal(err)
	}
	rest, err := httpapi.NewREST(httpapi.RESTConfig{Bus: h.bus, Verifier: v, Issuer: h.iss})
	if err != nil {
		h.t.Fatal(err)
	}
	return rest
}

// restDo serves one REST request with a token whose audience is its URL,
// as the Management SDK signs it, and returns the status.
func (h *harness) restDo(rest http.Handler, method, path, body string) int {
	h.t.Helper()
	target := "http://localhost" + path
	aud := "http://localhost" + strings.SplitN(path, "?", 2)[0] + "?api-version=2022-06-01"
	tok, err := h.iss.Issue(aud, nil, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	rest.ServeHTTP(w, req)
	if w.Code >= 300 {
		h.t.Logf("%s %s: %d %s", method, path, w.Code, w.Body.String())
	}
	return w.Code
}
