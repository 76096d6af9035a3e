package tests

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// TestAspNetSignalR1 runs the official @aspnet/signalr 1.1.4 client, which
// negotiates version 0 and knows its connection only by the connectionId
// of the negotiate answer, over each transport and protocol it supports:
// the upstream knows it by that id (X-ASRS-Connection-Id) and answers its
// invocations, and REST calls naming that id reach it (exists, send, group
// membership and group send, close), as do user and broadcast sends.
func TestAspNetSignalR1(t *testing.T) {
	t.Parallel()
	e, log := withUpstreamClient(t, jsclient.AspNetSignalR1)
	ctx := context.Background()
	cases := []struct {
		transport jsclient.Transport
		protocol  jsclient.Protocol
	}{
		{jsclient.WebSockets, jsclient.JSON},
		{jsclient.WebSockets, jsclient.MessagePack},
		{jsclient.ServerSentEvents, jsclient.JSON},
		{jsclient.LongPolling, jsclient.JSON},
		{jsclient.LongPolling, jsclient.MessagePack},
	}
	for i, tc := range cases {
		name := fmt.Sprintf("%s-%s", tc.transport, tc.protocol)
		t.Run(name, func(t *testing.T) {
			user := fmt.Sprintf("v0-user-%d", i)
			id := e.js.ConnectWait(t, jsclient.ConnectOptions{
				Name:      name,
				URL:       e.clientURL() + "&userId=" + url.QueryEscape(user),
				Transport: tc.transport,
				Protocol:  tc.protocol,
				Methods:   []string{recv},
			}, wait)
			eventually(t, "connected event for "+id, func() bool { return log.has("connected", id, 200) })
			if err := e.js.Invoke(name, "echo", "echo", "v0"); err != nil {
				t.Fatal(err)
			}
			reply := e.js.ExpectFunc(t, wait, "echo reply", jsclient.IsReply(name, "echo"))
			if reply.Kind != jsclient.KindResult || string(reply.Result) != `"v0"` {
				t.Errorf("echo: %s", reply.Raw)
			}

			status(t, "connection exists", http.StatusOK)(e.rest.ConnectionExists(ctx, hub, id))
			text := e.payload("direct")
			status(t, "send to connection", http.StatusAccepted)(e.rest.SendToConnection(ctx, hub, id, recv, []any{text}))
			e.expectRecv(t, name, text)

			group := "v0-" + name
			status(t, "add to group", http.StatusOK)(e.rest.AddToGroup(ctx, hub, group, id))
			text = e.payload("group")
			status(t, "send to group", http.StatusAccepted)(e.rest.SendToGroup(ctx, hub, group, recv, []any{text}))
			e.expectRecv(t, name, text)

			text = e.payload("user")
			status(t, "send to user", http.StatusAccepted)(e.rest.SendToUser(ctx, hub, user, recv, []any{text}))
			e.expectRecv(t, name, text)
			e.settle(t, name)

			ok(t, "close connection")(e.rest.CloseConnection(ctx, hub, id, "v0 done"))
			e.js.Expect(t, name, jsclient.KindClosed, wait)
			// The client may see the Close before the node has unregistered it.
			eventually(t, "closed connection gone", func() bool {
				r, err := e.rest.ConnectionExists(ctx, hub, id)
				return err == nil && r.StatusCode == http.StatusNotFound
			})
			eventually(t, "disconnected event for "+id, func() bool { return log.has("disconnected", id, 200) })
		})
	}
}
