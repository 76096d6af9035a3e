package tests

import (
	"context"
	"fmt"
	"net/http"
	"testing"
)

// The client is pointed at the app negotiate endpoint, follows the {url, accessToken}
// redirect to /client/negotiate and opens a WebSocket with the JSON protocol.
func TestConnectThroughNegotiateRedirect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()

	id := e.connect(t, "c1", "alice")

	status(t, "HEAD connection", http.StatusOK)(e.rest.ConnectionExists(ctx, hub, id))
	status(t, "HEAD user", http.StatusOK)(e.rest.UserExists(ctx, hub, "alice"))
	text := e.payload("hello")
	status(t, "send to connection", http.StatusAccepted)(e.rest.SendToConnection(ctx, hub, id, recv, []any{text}))
	e.expectRecv(t, "c1", text)
	e.settle(t, "c1")
}

// Once start() resolved on the client, the connection must be reachable through the
// REST API at once: apps commonly pass the new connection id to their backend, which
// adds it to a group and sends to it straight away. The loop makes a race between the
// handshake response and the connection's registration show up reliably.
func TestReachableRightAfterConnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	var names []string
	for i := range 20 {
		name := fmt.Sprintf("c%d", i)
		names = append(names, name)
		id := e.connect(t, name, "alice")
		group := "g-" + name
		status(t, name+": add to group right after connect", http.StatusOK)(e.rest.AddToGroup(ctx, hub, group, id))
		direct, grouped := e.payload("direct"), e.payload("grouped")
		status(t, name+": send to connection", http.StatusAccepted)(e.rest.SendToConnection(ctx, hub, id, recv, []any{direct}))
		status(t, name+": send to group", http.StatusAccepted)(e.rest.SendToGroup(ctx, hub, group, recv, []any{grouped}))
		e.expectRecv(t, name, direct)
		e.expectRecv(t, name, grouped)
	}
	e.settle(t, names...)
}
