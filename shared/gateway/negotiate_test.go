package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/token"
)

func TestNegotiate(t *testing.T) {
	h := newHarness(t, nil)
	good := h.clientToken("chat", "alice", nil)
	other, _ := token.NewIssuer(token.IssuerConfig{Key: "some-other-key"})
	wrongKey, _ := other.Issue("http://localhost/client/?hub=chat", nil, 0)
	wrongHub := h.clientToken("news", "", nil)
	cases := []struct {
		name, query, tok string
		code             int
		contains         string
	}{
		{"ok", "hub=chat&negotiateVersion=1", good, 200, `"negotiateVersion":1`},
		{"hub case-insensitive", "hub=Chat&negotiateVersion=1", good, 200, `"connectionToken"`},
		{"version above 1 answers 1", "hub=chat&negotiateVersion=7", good, 200, `"negotiateVersion":1`},
		{"version name case-insensitive", "hub=chat&NEGOTIATEVERSION=1", good, 200, `"negotiateVersion":1`},
		{"bad version is an error body", "hub=chat&negotiateVersion=x", good, 200, `{"error":`},
		{"missing hub", "negotiateVersion=1", good, 400, "hub"},
		{"repeated hub", "hub=chat&hub=chat&negotiateVersion=1", good, 400, "preserved"},
		{"invalid hub", "hub=1chat", good, 400, "Invalid hub"},
		{"no token", "hub=chat", "", 401, "token"},
		{"wrong key", "hub=chat", wrongKey, 401, "signature"},
		{"token for another hub", "hub=chat", wrongHub, 401, "audience"},
		{"garbage token", "hub=chat", "a.b.c", 401, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := h.negotiate(tc.query, tc.tok)
			if code != tc.code || !strings.Contains(string(body), tc.contains) {
				t.Fatalf("got %d %s, want %d containing %q", code, body, tc.code, tc.contains)
			}
		})
	}
}

func TestNegotiatePayload(t *testing.T) {
	h := newHarness(t, nil)
	_, body := h.negotiate("hub=chat&negotiateVersion=1", h.clientToken("chat", "", nil))
	var nr hubproto.NegotiateResponse
	if err := json.Unmarshal(body, &nr); err != nil {
		t.Fatal(err)
	}
	if len(nr.ConnectionID) != 22 || nr.ConnectionToken == "" || nr.ConnectionToken == nr.ConnectionID {
		t.Fatalf("ids: %+v", nr)
	}
	want := `[{"transport":"WebSockets","transferFormats":["Text","Binary"]},` +
		`{"transport":"ServerSentEvents","transferFormats":["Text"]},` +
		`{"transport":"LongPolling","transferFormats":["Text","Binary"]}]`
	if got, _ := json.Marshal(nr.AvailableTransports); string(got) != want {
		t.Fatalf("transports: %s, want %s", got, want)
	}

	// Version 0: no connectionToken; the id is what the client connects with.
	_, body = h.negotiate("hub=chat", h.clientToken("chat", "", nil))
	var v0 map[string]any
	_ = json.Unmarshal(body, &v0)
	if id, _ := v0["connectionId"].(string); len(id) != 55 {
		t.Fatalf("v0 connectionId %q: want the 55-character self-named token", id)
	}
	if _, ok := v0["connectionToken"]; ok || v0["negotiateVersion"] != float64(0) {
		t.Fatalf("v0 payload %s", body)
	}

	// asrs.s.htt restricts transports: WebSockets and Long Polling.
	_, body = h.negotiate("hub=chat&negotiateVersion=1", h.clientToken("chat", "", map[string]any{"asrs.s.htt": "5"}))
	if !strings.Contains(string(body), `"availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]},{"transport":"LongPolling","transferFormats":["Text","Binary"]}]`) {
		t.Fatalf("htt payload %s", body)
	}
}

func TestNegotiateMethod(t *testing.T) {
	h := newHarness(t, nil)
	resp, err := http.Get(h.srv.URL + "/client/negotiate?hub=chat")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("GET negotiate: %d allow=%q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}
