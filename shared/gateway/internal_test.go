package gateway

import (
	"log/slog"
	"maps"
	"net/http"
	"testing"

	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/shared/token"
)

// The internal endpoint takes only tokens signed with an AccessKey for its own
// path and hub, carrying InternalClaim: a client's access token, a token
// without the claim, one for another hub, one signed with another key or none
// at all get 401 and reach no client. Each refusal leaves one Warn record
// with the resource logs' field names.
func TestInternalEndpointAuth(t *testing.T) {
	ac := &authCounter{}
	logs := &testsupport.Buffer{}
	h := newHarness(t, func(c *Config) {
		c.Metrics = ac
		c.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	})
	a := h.connect("chat", "")
	base := h.srv.URL + internalPath
	other, err := token.NewIssuer(token.IssuerConfig{Key: "another-key-0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	issue := func(iss *token.Issuer, aud string, claims map[string]any) string {
		tok, err := iss.Issue(aud, claims, 0)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	internal := map[string]any{InternalClaim: "1"}
	post := func(tok, hub string) (int, string) {
		code, _, b := postInvoke(t, h, tok, hub, a.id)
		return code, string(b)
	}
	for name, tok := range map[string]string{
		"none":         "",
		"client token": h.clientToken("chat", "", nil),
		"no claim":     issue(h.iss, base+"?hub=chat", nil),
		"other hub":    issue(h.iss, base+"?hub=other", internal),
		"other path":   issue(h.iss, h.srv.URL+"/client/?hub=chat", internal),
		"other key":    issue(other, base+"?hub=chat", internal),
	} {
		if code, body := post(tok, "chat"); code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", name, code, body)
		}
	}
	// Each refusal is counted, by reason.
	want := map[string]int{"internal/missing": 1, "internal/audience": 3, "internal/wrong_kind": 1, "internal/signature": 1}
	if got := ac.take(); !maps.Equal(got, want) {
		t.Errorf("refusals counted %v, want %v", got, want)
	}
	recs, err := logs.Records(LogInternalRefused)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 6 {
		t.Fatalf("%d refusal records, want 6: %s", len(recs), logs.String())
	}
	labels := map[string]int{}
	for _, r := range recs {
		labels["internal/"+r["reasonLabel"].(string)]++
		if r["level"] != "WARN" || r["hubName"] != "chat" || r["callerIpAddress"] != "127.0.0.1" {
			t.Errorf("record %v: want WARN, hubName chat, callerIpAddress 127.0.0.1", r)
		}
		if m, _ := r["message"].(string); m == "" {
			t.Errorf("record %v has no message", r)
		}
		for _, old := range []string{"hub", "remoteAddr", "reason"} {
			if _, ok := r[old]; ok {
				t.Errorf("record %v still has %q", r, old)
			}
		}
	}
	if !maps.Equal(labels, want) {
		t.Errorf("logged reason labels %v, want %v", labels, want)
	}
	// The valid token works: the client gets the invocation.
	done := make(chan int, 1)
	go func() { code, _ := post(issue(h.iss, base+"?hub=chat", internal), "chat"); done <- code }()
	m := a.next()
	if m.Target != "x" || m.InvocationID == "" {
		t.Fatalf("client got %+v, want the invocation (the refused calls sent nothing)", m)
	}
	a.send(`{"type":3,"invocationId":"` + m.InvocationID + `","result":1}` + "\x1e")
	if code := <-done; code != http.StatusOK {
		t.Fatalf("valid token: %d", code)
	}
}
