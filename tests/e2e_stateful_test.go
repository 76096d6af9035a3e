package tests

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
	"github.com/heraldrt/herald/tests/internal/tcpcut"
)

// statefulProxy puts a TCP proxy the test can cut in front of e's
// emulator and returns it with the URL clients give withUrl through it.
func statefulProxy(t *testing.T, e *env) (*tcpcut.Proxy, string) {
	t.Helper()
	u, err := url.Parse(e.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	p, err := tcpcut.Start(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p, "http://" + p.Addr() + "/api?hub=" + hub
}

// The official client with withStatefulReconnect() loses its WebSocket in
// the middle of 1,000 numbered REST sends (to its connection, its user and
// its group): its socket is reset under it and its reconnect held back a
// while, so messages pile up on the server meanwhile. It receives every
// one exactly once, in order, without onreconnecting or onclose, and the
// upstream sees one connected and no disconnected.
func TestStatefulReconnectKeepsEveryMessage(t *testing.T) {
	for _, p := range []jsclient.Protocol{jsclient.JSON, jsclient.MessagePack} {
		t.Run(string(p), func(t *testing.T) {
			e, up := withUpstream(t)
			proxy, clientURL := statefulProxy(t, e)
			user := "sr-" + string(p)
			id := e.js.ConnectWait(t, jsclient.ConnectOptions{Name: "c", URL: clientURL, Protocol: p,
				Transport: jsclient.WebSockets, StatefulReconnect: true, Methods: []string{recv},
				Headers: map[string]string{userHeader: user}}, wait)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			ok(t, "add to group")(e.rest.AddToGroup(ctx, hub, "g", id))

			const total = 1000
			for i := 1; i <= total; i++ {
				if i == 300 {
					if n := proxy.Cut(500 * time.Millisecond); n == 0 {
						t.Fatal("nothing to cut")
					}
				}
				args := []any{i}
				var what string
				var r *mgmt.Response
				var err error
				switch i % 3 {
				case 0:
					what = "send to connection"
					r, err = e.rest.SendToConnection(ctx, hub, id, recv, args)
				case 1:
					what = "send to user"
					r, err = e.rest.SendToUser(ctx, hub, user, recv, args)
				default:
					what = "send to group"
					r, err = e.rest.SendToGroup(ctx, hub, "g", recv, args)
				}
				if err != nil || r.StatusCode != http.StatusAccepted {
					t.Fatalf("%s %d: %v %v", what, i, r, err)
				}
			}
			for i := 1; i <= total; i++ {
				ev := e.js.ExpectMessage(t, "c", recv, wait)
				if len(ev.Args) != 1 || string(ev.Args[0]) != strconv.Itoa(i) {
					t.Fatalf("message %d: got %s", i, ev.Args)
				}
			}
			time.Sleep(1500 * time.Millisecond) // an Ack round: duplicates would have come by now
			for _, ev := range e.js.Pending(func(ev jsclient.Event) bool { return ev.Name == "c" }) {
				switch ev.Kind {
				case "message", "reconnecting", "closed", "reconnected":
					t.Fatalf("unexpected %s event %+v", ev.Kind, ev)
				}
			}
			m := scrape(t, e.srv.AdminURL()+"/metrics")
			if got := metric(m, "herald_stateful_reconnects_total", `outcome="resumed"`); got < 1 {
				t.Fatalf("herald_stateful_reconnects_total{outcome=resumed} = %v", got)
			}
			if !up.has("connected", id, http.StatusOK) {
				t.Fatal("no connected event")
			}
			if n := up.count("disconnected", id); n != 0 {
				t.Fatalf("%d disconnected events for a resumed connection", n)
			}
		})
	}
}

// A client that stays away longer than the reconnect window is closed
// (onclose) and the upstream sees exactly one disconnected.
func TestStatefulReconnectWindowRunsOut(t *testing.T) {
	e, up := withUpstreamClient(t, jsclient.Current, func(c *node.Config) {
		c.Gateway.StatefulReconnectWindow = 300 * time.Millisecond
		c.KeepAliveInterval = time.Second // the keeper's ticks, which end the window
	})
	proxy, clientURL := statefulProxy(t, e)
	id := e.js.ConnectWait(t, jsclient.ConnectOptions{Name: "c", URL: clientURL, Transport: jsclient.WebSockets,
		StatefulReconnect: true, Methods: []string{recv}}, wait)
	proxy.Cut(3 * time.Second)
	e.js.Expect(t, "c", "closed", 3*wait)
	testsupport.EventuallyTrue(t, wait, "the disconnected event", func() bool { return up.has("disconnected", id, http.StatusOK) })
	time.Sleep(500 * time.Millisecond) // a second one would be on its way
	if n := up.count("disconnected", id); n != 1 {
		t.Fatalf("%d disconnected events, want 1", n)
	}
}

// count is how many events of kind event the upstream received for connID.
func (l *upstreamLog) count(event, connID string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.events {
		if strings.HasPrefix(e, event+" "+connID+" ") {
			n++
		}
	}
	return n
}
