package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/gateway"
	"github.com/heraldrt/herald/shared/metrics"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

// invokeREST posts the 2024-12-01 :invoke of target(args...) to connection id.
func invokeREST(t *testing.T, rest *mgmt.Client, id, target string, args ...any) *mgmt.Response {
	t.Helper()
	if args == nil {
		args = []any{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*wait)
	defer cancel()
	r, err := rest.Do(ctx, http.MethodPost, hub, "/connections/"+mgmt.Escape(id)+"/:invoke", nil, &mgmt.Message{Target: target, Arguments: args})
	if err != nil {
		t.Fatalf(":invoke %s: %v", target, err)
	}
	return r
}

// wantResult checks a 200 ClientInvocationResponse whose result is want (JSON).
func wantResult(t *testing.T, r *mgmt.Response, want string) {
	t.Helper()
	if r.StatusCode != http.StatusOK {
		t.Fatalf(":invoke: %d %s %s, want 200", r.StatusCode, r.ErrorCode(), r.Body)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf(":invoke body %s: %v", r.Body, err)
	}
	if _, ok := body["protocol"]; ok {
		t.Errorf(":invoke body %s has a protocol: only other protocols than json and messagepack name theirs", r.Body)
	}
	var got, exp any
	if err := json.Unmarshal(body["result"], &got); err != nil {
		t.Fatalf(":invoke result %s: %v", body["result"], err)
	}
	_ = json.Unmarshal([]byte(want), &exp)
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(exp)
	if string(g) != string(w) {
		t.Errorf(":invoke result %s, want %s", g, w)
	}
}

func wantError(t *testing.T, r *mgmt.Response, status int, code string) {
	t.Helper()
	if r.StatusCode != status || r.ErrorCode() != code {
		t.Fatalf(":invoke: %d %q %s, want %d %q", r.StatusCode, r.ErrorCode(), r.Body, status, code)
	}
}

// The official client's connection.on handler returning a value answers a REST
// :invoke with {"result": value}, JSON and MessagePack alike; a handler that throws
// gives 400 Error.Invocation.Failed with the client's text; one that never answers
// gives 504 after the invoke timeout; an unknown or closed connection 404.
func TestClientResults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *node.Config) { c.Gateway.InvokeTimeout = 2 * time.Second })
	for _, p := range []jsclient.Protocol{jsclient.JSON, jsclient.MessagePack} {
		name := "c-" + string(p)
		id := e.js.ConnectWait(t, jsclient.ConnectOptions{
			Name: name, URL: e.clientURL(), Transport: jsclient.WebSockets, Protocol: p,
			Results: map[string]jsclient.Result{
				"answer": {Value: map[string]any{"n": 42, "s": "héllo", "list": []any{1, true, nil}}},
				"fail":   {Error: "no can do"},
				"hang":   {Hang: true},
			},
		}, wait)
		t.Run(string(p), func(t *testing.T) {
			wantResult(t, invokeREST(t, e.rest, id, "answer", "x", 1), `{"n":42,"s":"héllo","list":[1,true,null]}`)
			inv := e.js.ExpectFunc(t, wait, "answer invoked", func(ev jsclient.Event) bool {
				return ev.Name == name && ev.Kind == jsclient.KindInvoked && ev.Target == "answer"
			})
			var a0 string
			if err := inv.Arg(0, &a0); err != nil || a0 != "x" {
				t.Errorf("the handler got %s, want arguments [\"x\", 1]", inv.Raw)
			}
			r := invokeREST(t, e.rest, id, "fail")
			wantError(t, r, http.StatusBadRequest, "Error.Invocation.Failed")
			if !json.Valid(r.Body) || !contains(string(r.Body), "no can do") {
				t.Errorf("error body %s does not carry the client's error", r.Body)
			}
			wantError(t, invokeREST(t, e.rest, id, "hang"), http.StatusGatewayTimeout, "Error.Invocation.Timeout")
			// Still connected and answering after all that.
			wantResult(t, invokeREST(t, e.rest, id, "answer"), `{"n":42,"s":"héllo","list":[1,true,null]}`)
		})
	}
	wantError(t, invokeREST(t, e.rest, "no-such-connection", "answer"), http.StatusNotFound, "Error.Connection.NotExisted")
}

// A client closing while the REST call waits for its result: 404, at once (not after
// the timeout).
func TestClientResultConnectionGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.js.ConnectWait(t, jsclient.ConnectOptions{
		Name: "c1", URL: e.clientURL(), Transport: jsclient.WebSockets,
		Results: map[string]jsclient.Result{"hang": {Hang: true}},
	}, wait)
	done := make(chan *mgmt.Response, 1)
	go func() { done <- invokeREST(t, e.rest, id, "hang") }()
	e.js.ExpectFunc(t, wait, "hang invoked", func(ev jsclient.Event) bool { return ev.Kind == jsclient.KindInvoked })
	if err := e.js.Stop("c1"); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		wantError(t, r, http.StatusNotFound, "Error.Connection.NotExisted")
	case <-time.After(wait):
		t.Fatal(":invoke still waiting after the connection closed")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// The emulator's metrics count client results (gateway.InvokeMetrics).
var _ gateway.InvokeMetrics = (*metrics.Metrics)(nil)

// Client results work over Server-Sent Events and Long Polling too: the
// Invocation goes down the event stream or poll, the Completion comes back in
// a POST.
func TestClientResultsHTTPTransports(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tr := range []jsclient.Transport{jsclient.ServerSentEvents, jsclient.LongPolling} {
		name := "c-" + string(tr)
		id := e.js.ConnectWait(t, jsclient.ConnectOptions{
			Name: name, URL: e.clientURL(), Transport: tr,
			Results: map[string]jsclient.Result{"answer": {Value: "over " + string(tr)}},
		}, wait)
		wantResult(t, invokeREST(t, e.rest, id, "answer"), `"over `+string(tr)+`"`)
	}
}

// A client without client result support (@aspnet/signalr 1.1.4) runs the handler,
// then closes its connection ("not supported in this version of the client"): the
// REST call ends at once with 404 Error.Connection.NotExisted, not after the timeout.
func TestClientResultsOldClient(t *testing.T) {
	t.Parallel()
	e := newEnvClient(t, jsclient.AspNetSignalR1)
	id := e.js.ConnectWait(t, jsclient.ConnectOptions{
		Name: "old", URL: e.clientURL(), Transport: jsclient.WebSockets,
		Results: map[string]jsclient.Result{"answer": {Value: 1}},
	}, wait)
	start := time.Now()
	r := invokeREST(t, e.rest, id, "answer")
	wantError(t, r, http.StatusNotFound, "Error.Connection.NotExisted")
	if took := time.Since(start); took >= gateway.DefaultInvokeTimeout {
		t.Errorf(":invoke took %v: it waited for the timeout", took)
	}
	if !contains(string(r.Body), "client result support") {
		t.Errorf("body %s does not name the likely cause", r.Body)
	}
	closed := e.js.Expect(t, "old", jsclient.KindClosed, wait)
	if !contains(closed.ErrorText(), "not supported in this version of the client") {
		t.Errorf("the old client closed with %q", closed.ErrorText())
	}
}
