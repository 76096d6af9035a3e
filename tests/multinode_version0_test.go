package tests

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// @aspnet/signalr 1.1.4 clients (negotiate version 0) on gateway 2 are
// reached by REST calls served by the functions process, over Redis, under
// the connectionId their negotiate answer gave them: exists, send to
// connection, add to group then group send, and close.
func TestMultiNodeVersion0(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2)
	legacy := jsclient.StartClient(t, jsclient.AspNetSignalR1)
	ctx := context.Background()
	recvd := func(name, text string) {
		t.Helper()
		legacy.ExpectFunc(t, wait, fmt.Sprintf("%s(%q) on %s", recv, text, name), func(ev jsclient.Event) bool {
			var got string
			return ev.Name == name && ev.Kind == jsclient.KindMessage && ev.Target == recv &&
				len(ev.Args) == 1 && ev.Arg(0, &got) == nil && got == text
		})
	}
	for i, tc := range []struct {
		transport jsclient.Transport
		protocol  jsclient.Protocol
	}{
		{jsclient.WebSockets, jsclient.JSON},
		{jsclient.ServerSentEvents, jsclient.JSON},
		{jsclient.LongPolling, jsclient.MessagePack},
	} {
		name := fmt.Sprintf("v0-%s-%s", tc.transport, tc.protocol)
		u, tok := c.clientURL(t, name, fmt.Sprintf("v0-user-%d", i), c.gateways[gw2].Addr)
		id := legacy.ConnectWait(t, jsclient.ConnectOptions{
			Name: name, URL: u, AccessToken: tok, Transport: tc.transport, Protocol: tc.protocol, Methods: []string{recv},
		}, wait)

		status(t, name+" exists", http.StatusOK)(c.rest.ConnectionExists(ctx, hub, id))
		text := c.payload("direct")
		status(t, "send to "+name, http.StatusAccepted)(c.rest.SendToConnection(ctx, hub, id, recv, []any{text}))
		recvd(name, text)
		group := "g-" + name
		status(t, "add "+name+" to "+group, http.StatusOK)(c.rest.AddToGroup(ctx, hub, group, id))
		text = c.payload("group")
		status(t, "send to "+group, http.StatusAccepted)(c.rest.SendToGroup(ctx, hub, group, recv, []any{text}))
		recvd(name, text)

		status(t, "close "+name, http.StatusOK)(c.rest.CloseConnection(ctx, hub, id, "v0 bye"))
		legacy.Expect(t, name, jsclient.KindClosed, wait)
		within(t, prompt, name+" gone after the close", func() error {
			return want404(codeConnNotExisted)(c.rest.ConnectionExists(ctx, hub, id))
		})
	}
}
