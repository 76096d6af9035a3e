package tests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// @aspnet/signalr 1.1.4 clients (negotiate version 0) on gateway 2 are
// known by the id they hold to a live trace watcher on gateway 1 (connection
// and delivery events relayed over Redis) and to the presence listing the
// functions process serves from Redis.
func TestMultiNodeVersion0IDEverywhere(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2)
	legacy := jsclient.StartClient(t, jsclient.AspNetSignalR1)
	events := liveStream(t, c.gateways[gw1].URL())
	ctx := context.Background()
	awaitRelay(t, c, events, gw2)
	for i, k := range []jsclient.Combo{
		{Transport: jsclient.WebSockets, Protocol: jsclient.MessagePack},
		{Transport: jsclient.ServerSentEvents, Protocol: jsclient.JSON},
		{Transport: jsclient.LongPolling, Protocol: jsclient.JSON},
	} {
		name, user, group := "v0-ids-"+k.String(), fmt.Sprintf("v0-ids-user-%d", i), "v0-ids-"+k.String()
		u, tok := c.clientURL(t, name, user, c.gateways[gw2].Addr)
		id := legacy.ConnectWait(t, jsclient.ConnectOptions{
			Name: name, URL: u, AccessToken: tok, Transport: k.Transport, Protocol: k.Protocol, Methods: []string{recv},
		}, wait)
		sameID(t, nextTrace(t, events, "ConnectionStarted of "+name, func(ev diag.Event) bool {
			return ev.Name == diag.ConnectionStarted && ev.UserID == user
		}), "ConnectionStarted", id)

		status(t, "add to group", http.StatusOK)(c.rest.AddToGroup(ctx, hub, group, id))
		if got := listGroup(t, c.rest, group); len(got) != 1 || got[id] != user {
			t.Errorf("%s: group listing %v, want only %s of %s", name, got, id, user)
		}
		text := c.payload("v0")
		status(t, "send to group", http.StatusAccepted)(c.rest.SendToGroup(ctx, hub, group, recv, []any{text}))
		legacy.ExpectFunc(t, wait, fmt.Sprintf("%s(%q) on %s", recv, text, name), isText(name, recv, text))
		sameID(t, nextTrace(t, events, "MessageDelivered to "+name, func(ev diag.Event) bool {
			return ev.Name == diag.MessageDelivered && ev.UserID == user
		}), "MessageDelivered", id)
	}
}

// awaitRelay returns once gateway gw relays its live trace events to the
// watcher reading events (the other processes start relaying a poll after
// a watcher appears): it sends to a probe client on gw until the watcher
// sees the delivery.
func awaitRelay(t *testing.T, c *cluster, events <-chan diag.Event, gw int) {
	t.Helper()
	c.connectTo(t, gw, "relay-probe", "relay-probe")
	testsupport.Eventually(t, wait, fmt.Sprintf("gateway %d relaying a delivery to the live trace watcher", gw+1), func() error {
		text := c.payload("relay")
		status(t, "send to the probe", http.StatusAccepted)(c.rest.SendToUser(context.Background(), hub, "relay-probe", recv, []any{text}))
		c.expectRecv(t, "relay-probe", text)
		timer := time.After(300 * time.Millisecond)
	drain:
		for {
			select {
			case e := <-events:
				if e.Name == diag.MessageDelivered && e.UserID == "relay-probe" {
					return nil
				}
			case <-timer:
				break drain
			}
		}
		return errors.New("no delivery event yet")
	})
}
