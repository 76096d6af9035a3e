package tests

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/gateway"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// connectErr starts connection name and returns the error its start() failed with.
func (e *env) connectErr(t *testing.T, name, userID string) string {
	t.Helper()
	opts := jsclient.ConnectOptions{Name: name, URL: e.clientURL(), Transport: jsclient.WebSockets, Methods: []string{recv}}
	if userID != "" {
		opts.Headers = map[string]string{userHeader: userID}
	}
	if err := e.js.Connect(opts); err != nil {
		t.Fatal(err)
	}
	ev := e.js.ExpectFunc(t, wait, "connect result of "+name, func(ev jsclient.Event) bool {
		return ev.Name == name && (ev.Kind == jsclient.KindConnected || (ev.Kind == jsclient.KindError && ev.Op == "connect"))
	})
	if ev.Kind != jsclient.KindError {
		t.Fatalf("%s connected, want a refusal", name)
	}
	return ev.Message
}

// Over the connection quota the official client's start() fails with 429; once a
// connection ends, the next one gets in.
func TestConnectionQuotaOfficialClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *node.Config) { c.Gateway.MaxConnections = 2; c.Gateway.MaxUserConnections = 1 })
	e.connect(t, "a", "alice")
	if msg := e.connectErr(t, "a2", "alice"); !strings.Contains(msg, "429") {
		t.Fatalf("second alice: %q, want a 429", msg)
	}
	e.connect(t, "b", "bob")
	if msg := e.connectErr(t, "c", "carol"); !strings.Contains(msg, "429") {
		t.Fatalf("third connection: %q, want a 429", msg)
	}
	if err := e.js.Stop("a"); err != nil {
		t.Fatal(err)
	}
	e.js.Expect(t, "a", jsclient.KindClosed, wait)
	// The slot is freed once the gateway saw the connection end: retry until then,
	// as a client does.
	for i := 0; ; i++ {
		name := "c" + strings.Repeat("+", i)
		if err := e.js.Connect(jsclient.ConnectOptions{Name: name, URL: e.clientURL(), Transport: jsclient.WebSockets,
			Methods: []string{recv}, Headers: map[string]string{userHeader: "carol"}}); err != nil {
			t.Fatal(err)
		}
		ev := e.js.ExpectFunc(t, wait, "connect result of "+name, func(ev jsclient.Event) bool {
			return ev.Name == name && (ev.Kind == jsclient.KindConnected || (ev.Kind == jsclient.KindError && ev.Op == "connect"))
		})
		if ev.Kind == jsclient.KindConnected {
			break
		}
		if i == 50 {
			t.Fatalf("no room after a connection ended: %s", ev.Message)
		}
	}
	e.settle(t, "b")
}

// A client message over the maximum size closes that connection with a Close message
// saying so; other connections stay.
func TestMessageTooLargeOfficialClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *node.Config) { c.Gateway.MaxMessageBytes = 1024 })
	e.connect(t, "big", "")
	e.connect(t, "ok", "")
	if err := e.js.Send("big", "s1", "anything", strings.Repeat("x", 2048)); err != nil {
		t.Fatal(err)
	}
	closed := e.js.Expect(t, "big", jsclient.KindClosed, wait)
	if !strings.Contains(closed.ErrorText(), gateway.ReasonMessageTooLarge) {
		t.Fatalf("closed with %q, want %q", closed.ErrorText(), gateway.ReasonMessageTooLarge)
	}
	e.settle(t, "ok")
}

// A request line and headers over 16 KiB plus what Go's server reads ahead
// are refused with 431 and its plain-text body before any handler runs; a
// long URL gets 431 too, never Azure's 414 (docs/troubleshooting.md). Just
// over 16 KiB still reaches the handler.
func TestRequestHeaderLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct {
		what, query, auth string
		status            int
	}{
		{"a 17 KiB token", "", strings.Repeat("a", 17<<10), http.StatusUnauthorized},
		{"a 20 KiB token", "", strings.Repeat("a", 20<<10), http.StatusRequestHeaderFieldsTooLarge},
		{"a 20 KiB URL", "&x=" + strings.Repeat("a", 20<<10), "a", http.StatusRequestHeaderFieldsTooLarge},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL()+"/client/negotiate?hub=chat"+c.query, nil)
		req.Header.Set("Authorization", "Bearer "+c.auth)
		req.Close = true // a new connection each: a reused one may buffer 4 KiB more
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", c.what, resp.StatusCode, c.status)
		}
		if want := "431 Request Header Fields Too Large"; c.status == http.StatusRequestHeaderFieldsTooLarge && string(body) != want {
			t.Errorf("%s: body %q, want %q", c.what, body, want)
		}
	}
}
