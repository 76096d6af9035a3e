package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
)

// postInvoke calls the internal endpoint's invoke of target "x" for
// connection id of hub with token tok ("" for none), and returns the
// status, the error code and the body. It may run on another goroutine.
func postInvoke(t *testing.T, h *harness, tok, hub, id string) (int, string, []byte) {
	t.Helper()
	q := url.Values{"op": {"invoke"}, "hub": {hub}, "id": {id}}
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+internalPath+"?"+q.Encode(), strings.NewReader(`{"target":"x","arguments":[]}`))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, "", nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("x-ms-error-code"), b
}

// internalToken is a valid internal token for hub chat.
func internalToken(t *testing.T, h *harness) string {
	t.Helper()
	tok, err := h.iss.Issue(h.srv.URL+internalPath+"?hub=chat", map[string]any{InternalClaim: "1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type internalAnswer struct {
	code    int
	errCode string
	body    []byte
}

// A client's result within MaxMessageBytes is relayed within the REST
// route's 2 MiB read: a JSON result of "<" is not HTML-escaped sixfold,
// and a MessagePack result that grows past MaxInvokeResultBytes as JSON
// is refused (400, counted as too_large) rather than cut by the REST side
// into an invalid answer.
func TestInvokeResultBoundedForREST(t *testing.T) {
	m := &invokeCounts{}
	h := newHarness(t, func(c *Config) { c.Metrics = m })
	n := 400_000 // 400 kB received; as escaped JSON, 2.4 MB

	tok := internalToken(t, h)
	a := h.connect("chat", "")
	done := make(chan internalAnswer, 1)
	go func() { c, e, b := postInvoke(t, h, tok, "chat", a.id); done <- internalAnswer{c, e, b} }()
	inv := a.next()
	a.send(`{"type":3,"invocationId":"` + inv.InvocationID + `","result":"` + strings.Repeat("<", n) + `"}` + "\x1e")
	got := <-done
	if got.code != http.StatusOK || len(got.body) > 2<<20 {
		t.Fatalf("JSON result: %d, %d bytes, want 200 within 2 MiB", got.code, len(got.body))
	}
	var r struct{ Result string }
	if err := json.Unmarshal(got.body, &r); err != nil || r.Result != strings.Repeat("<", n) {
		t.Fatalf("JSON result not relayed intact: %v", err)
	}

	b := h.connectWith(hubproto.MessagePack, "chat", "")
	go func() { c, e, b := postInvoke(t, h, tok, "chat", b.id); done <- internalAnswer{c, e, b} }()
	inv = b.next()
	str := append([]byte{0xdb, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, make([]byte, n)...) // str32 of NULs
	for i := 5; i < len(str); i++ {
		str[i] = 0x01
	}
	b.sendMessage(&hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: inv.InvocationID, HasResult: true, Result: str})
	got = <-done
	if got.code != http.StatusBadRequest || got.errCode != codeResultTooLarge {
		t.Fatalf("MessagePack result growing to %d bytes: %d %q (%d bytes), want 400 %s", 6*n, got.code, got.errCode, len(got.body), codeResultTooLarge)
	}
	if c, _ := m.get("too_large"); c != 1 {
		t.Errorf("too_large counted %d times, want 1", c)
	}
	if p := h.gw.invokes.pending(); p != 0 {
		t.Errorf("%d invocations pending", p)
	}
}

// An invocation's wait may outlast the listener's WriteTimeout: the
// internal endpoint's answer (here the 504 after InvokeTimeout) is still
// written, not dropped with the connection.
func TestInvokeAnswerOutlastsWriteTimeout(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.InvokeTimeout = 600 * time.Millisecond })
	srv := httptest.NewUnstartedServer(h.gw)
	srv.Config.WriteTimeout = 200 * time.Millisecond
	srv.Start()
	defer srv.Close()
	a := h.connect("chat", "")
	q := url.Values{"op": {"invoke"}, "hub": {"chat"}, "id": {a.id}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+internalPath+"?"+q.Encode(), strings.NewReader(`{"target":"x","arguments":[]}`))
	req.Header.Set("Authorization", "Bearer "+internalToken(t, h))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusGatewayTimeout || resp.Header.Get("x-ms-error-code") != codeInvokeTimeout {
		t.Fatalf("%d %q, want 504 %s", resp.StatusCode, resp.Header.Get("x-ms-error-code"), codeInvokeTimeout)
	}
}
