package tests

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/gateway"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

// combo is one transport and hub protocol an official client may use.
type combo struct {
	name      string
	transport jsclient.Transport
	protocol  jsclient.Protocol
}

// combos is every transport × protocol pair the transports allow
// (Server-Sent Events carry text only: no MessagePack).
var combos = []combo{
	{"ws-json", jsclient.WebSockets, jsclient.JSON},
	{"ws-msgpack", jsclient.WebSockets, jsclient.MessagePack},
	{"sse-json", jsclient.ServerSentEvents, jsclient.JSON},
	{"lp-json", jsclient.LongPolling, jsclient.JSON},
	{"lp-msgpack", jsclient.LongPolling, jsclient.MessagePack},
}

// options are the client options of k for url, as user k.name.
func (k combo) options(url string, reconnect bool) jsclient.ConnectOptions {
	return jsclient.ConnectOptions{
		Name: k.name, URL: url, Transport: k.transport, Protocol: k.protocol, Reconnect: reconnect,
		Headers: map[string]string{userHeader: "user-" + k.name},
		Methods: []string{recv},
	}
}

// Every transport and protocol: the client connects, receives sends to all, to its user,
// to its group and to its connection, gets a client invocation answered, and is closed
// with the reason the application gave.
func TestTransportsDeliver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ids := map[string]string{}
	names := make([]string, 0, len(combos))
	for _, k := range combos {
		ids[k.name] = e.js.ConnectWait(t, k.options(e.clientURL(), false), wait)
		names = append(names, k.name)
	}
	text := e.payload("all")
	status(t, "send to all", http.StatusAccepted)(e.rest.SendToAll(ctx, hub, recv, []any{text}))
	for _, name := range names {
		e.expectRecv(t, name, text)
	}
	for _, k := range combos {
		text := e.payload("user")
		status(t, "send to user", http.StatusAccepted)(e.rest.SendToUser(ctx, hub, "user-"+k.name, recv, []any{text}))
		e.expectRecv(t, k.name, text)
		group := "g-" + k.name
		status(t, "add to group", http.StatusOK)(e.rest.AddToGroup(ctx, hub, group, ids[k.name]))
		text = e.payload("group")
		status(t, "send to group", http.StatusAccepted)(e.rest.SendToGroup(ctx, hub, group, recv, []any{text}))
		e.expectRecv(t, k.name, text)
		text = e.payload("connection")
		status(t, "send to connection", http.StatusAccepted)(e.rest.SendToConnection(ctx, hub, ids[k.name], recv, []any{text}))
		e.expectRecv(t, k.name, text)
		expectNoUpstream(t, e.js, k.name)
	}
	e.settle(t, names...)
	for _, k := range combos {
		closeWithReason(t, e.rest, e.js, k.name, ids[k.name])
	}
}

// withAutomaticReconnect: every transport reconnects after the gateway restarts (on
// the same address) and receives sends again.
func TestTransportsReconnectAfterRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	names := make([]string, 0, len(combos))
	for _, k := range combos {
		e.js.ConnectWait(t, k.options(e.clientURL(), true), wait)
		names = append(names, k.name)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", e.srv.Port())
	if err := e.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	for _, name := range names {
		ev := e.js.Expect(t, name, jsclient.KindReconnecting, wait)
		if !strings.Contains(ev.ErrorText(), gateway.ReasonServiceReloading) {
			t.Errorf("%s reconnecting after %q, want %q", name, ev.ErrorText(), gateway.ReasonServiceReloading)
		}
	}
	runEmulator(t, node.Config{Addr: addr}) // stopped in Cleanup
	for _, name := range names {
		e.js.Expect(t, name, jsclient.KindReconnected, 4*wait) // the client's retry delays: 0, 2, 10 s
	}
	text := e.payload("after-restart")
	status(t, "send to all", http.StatusAccepted)(e.rest.SendToAll(ctx, hub, recv, []any{text}))
	for _, name := range names {
		e.expectRecv(t, name, text)
	}
}

// expectNoUpstream has the client named name invoke a hub method and expects the
// invocation to fail because no upstream is configured: the message travelled up
// (over WebSocket or a POST) and its answer down.
func expectNoUpstream(t *testing.T, js *jsclient.Driver, name string) {
	t.Helper()
	if err := js.Invoke(name, "i-"+name, "echo", "x"); err != nil {
		t.Fatal(err)
	}
	ev := js.ExpectFunc(t, wait, "invoke error on "+name, func(ev jsclient.Event) bool {
		return ev.Name == name && ev.Kind == jsclient.KindError && ev.ID == "i-"+name
	})
	if !strings.Contains(ev.Message, gateway.ErrTextNoUpstream) {
		t.Errorf("%s: invoke failed with %q, want %q", name, ev.Message, gateway.ErrTextNoUpstream)
	}
}

// closeWithReason closes the connection id of the client named name through the REST
// API and expects the client to see the reason.
func closeWithReason(t *testing.T, rest *mgmt.Client, js *jsclient.Driver, name, id string) {
	t.Helper()
	reason := "bye " + name
	status(t, "close "+name, http.StatusOK)(rest.CloseConnection(context.Background(), hub, id, reason))
	closed := js.Expect(t, name, jsclient.KindClosed, wait)
	if !strings.Contains(closed.ErrorText(), reason) {
		t.Errorf("%s closed with %q, want the reason %q", name, closed.ErrorText(), reason)
	}
}
