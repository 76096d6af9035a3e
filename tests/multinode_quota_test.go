package tests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// tryConnectTo is connectTo that returns the error start() failed with ("" when the
// client connected).
func (c *cluster) tryConnectTo(t *testing.T, gw int, name, user string) string {
	t.Helper()
	u, tok := c.clientURL(t, name, user, c.gateways[gw].Addr)
	if err := c.js.Connect(jsclient.ConnectOptions{Name: name, URL: u, AccessToken: tok,
		Transport: jsclient.WebSockets, Methods: []string{recv, probe}}); err != nil {
		t.Fatal(err)
	}
	ev := c.js.ExpectFunc(t, wait, "connect result of "+name, func(ev jsclient.Event) bool {
		return ev.Name == name && (ev.Kind == jsclient.KindConnected || (ev.Kind == jsclient.KindError && ev.Op == "connect"))
	})
	if ev.Kind == jsclient.KindConnected {
		return ""
	}
	return ev.Message
}

// The connection quota is one count for the whole deployment: connections on either
// gateway count against it, a closed connection frees its slot on any node, and a
// killed node's connections stop counting once its heartbeat runs out.
func TestMultiNodeConnectionQuota(t *testing.T) {
	t.Parallel()
	c := newLocalCluster(t, 0) // the short node TTL
	c.addLocalGateway(t, "--max-connections", "2")
	c.addLocalGateway(t, "--max-connections", "2")
	c.connectTo(t, gw1, "a", "ua")
	c.connectTo(t, gw2, "b", "ub")
	for _, gw := range []int{gw1, gw2} {
		if msg := c.tryConnectTo(t, gw, fmt.Sprintf("over%d", gw), "uc"); !strings.Contains(msg, "429") {
			t.Fatalf("third connection on gateway %d: %q, want a 429", gw+1, msg)
		}
	}
	if logs := c.gateways[gw1].Logs() + c.gateways[gw2].Logs(); !strings.Contains(logs, "Connection count reaches limit") {
		t.Errorf("no gateway logged %q", "Connection count reaches limit")
	}
	if err := c.js.Stop("b"); err != nil {
		t.Fatal(err)
	}
	c.js.Expect(t, "b", jsclient.KindClosed, wait)
	n := 0
	within(t, wait, "a slot freed on gateway 2 used on gateway 1", func() error {
		n++
		if msg := c.tryConnectTo(t, gw1, fmt.Sprintf("c%d", n), "uc"); msg != "" {
			return fmt.Errorf("%s", msg)
		}
		return nil
	})

	c.gateways[gw1].Kill() // holds a and c: both stop counting once gateway 1 is dead
	within(t, reapBound, "the killed gateway's connections no longer count", func() error {
		n++
		if msg := c.tryConnectTo(t, gw2, fmt.Sprintf("d%d", n), "ud"); msg != "" {
			return fmt.Errorf("%s", msg)
		}
		return nil
	})
	c.connectTo(t, gw2, "e", "ue")
	if msg := c.tryConnectTo(t, gw2, "f", "uf"); !strings.Contains(msg, "429") {
		t.Fatalf("third connection after the kill: %q, want a 429", msg)
	}
}
