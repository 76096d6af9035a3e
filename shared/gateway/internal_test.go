package gateway

import (
	"maps"
	"net/http"
	"testing"

	"github.com/heraldrt/herald/shared/token"
)

// The internal endpoint takes only tokens signed with an AccessKey for its own
// path and hub, carrying InternalClaim: a client's access token, a token
// without the claim, one for another hub, one signed with another key or none
// at all get 401 and reach no client.
func TestInternalEndpointAuth(t *testing.T) {
	ac := &authCounter{}
	h := newHarness(t, func(c *Config) { c.Metrics = ac })
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
