package tests

import (
	"net/http"
	"testing"
	"time"

	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

// connectResults is connectTo with client result handlers and protocol p.
func (c *cluster) connectResults(t *testing.T, gw int, name string, p jsclient.Protocol, results map[string]jsclient.Result) string {
	t.Helper()
	u, tok := c.clientURL(t, name, "", c.gateways[gw].Addr)
	return c.js.ConnectWait(t, jsclient.ConnectOptions{
		Name: name, URL: u, AccessToken: tok, Transport: jsclient.WebSockets, Protocol: p,
		Methods: []string{recv, probe}, Results: results,
	}, wait)
}

// :invoke served by the functions process reaches clients on either gateway process
// (over a real Redis), JSON and MessagePack: results, client errors, unknown and
// closed connections.
func TestMultiNodeClientResults(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2)
	results := map[string]jsclient.Result{
		"answer": {Value: []any{"ok", 7}},
		"fail":   {Error: "broken handler"},
		"hang":   {Hang: true},
	}
	ids := map[string]string{
		"j1": c.connectResults(t, gw1, "j1", jsclient.JSON, results),
		"m2": c.connectResults(t, gw2, "m2", jsclient.MessagePack, results),
		"j2": c.connectResults(t, gw2, "j2", jsclient.JSON, results),
	}
	for name, id := range ids {
		wantResult(t, invokeREST(t, c.rest, id, "answer"), `["ok",7]`)
		wantError(t, invokeREST(t, c.rest, id, "fail"), http.StatusBadRequest, "Error.Invocation.Failed")
		t.Logf("%s on its gateway answered", name)
	}
	wantError(t, invokeREST(t, c.rest, "unknown-conn", "answer"), http.StatusNotFound, "Error.Connection.NotExisted")

	// A connection on gateway 2 that ends while the functions process waits.
	done := make(chan *mgmt.Response, 1)
	go func() { done <- invokeREST(t, c.rest, ids["j2"], "hang") }()
	c.js.ExpectFunc(t, wait, "hang invoked on j2", func(ev jsclient.Event) bool {
		return ev.Name == "j2" && ev.Kind == jsclient.KindInvoked && ev.Target == "hang"
	})
	if err := c.js.Stop("j2"); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		wantError(t, r, http.StatusNotFound, "Error.Connection.NotExisted")
	case <-time.After(wait):
		t.Fatal(":invoke still waiting after the connection on gateway 2 closed")
	}
}
