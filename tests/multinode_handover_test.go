package tests

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
	"github.com/heraldrt/herald/tests/internal/tcpcut"
)

// Stateful reconnect across gateway nodes: a client whose socket drops
// reconnects through the load balancer to another node, which takes the
// connection over (shared/gateway/handover.go), and the client gets every
// message exactly once, in order.

// handoverMessages is how many numbered messages each scenario sends.
const handoverMessages = 1000

// frontProxy starts the load balancer of a cluster's gateways, a proxy the
// test cuts and points at another gateway. Call it before newCluster: its
// cleanup then runs after the clients stopped.
func frontProxy(t *testing.T) *tcpcut.Proxy {
	t.Helper()
	p, err := tcpcut.Start("127.0.0.1:1") // Route points it at a gateway
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// connectStateful places a stateful WebSocket client named name for user
// behind proxy p and returns its connection id.
func (c *cluster) connectStateful(t *testing.T, p *tcpcut.Proxy, name, user string, proto jsclient.Protocol) string {
	t.Helper()
	u, tok := c.clientURL(t, name, user, p.Addr())
	return c.js.ConnectWait(t, jsclient.ConnectOptions{
		Name: name, URL: u, AccessToken: tok, Transport: jsclient.WebSockets, Protocol: proto,
		StatefulReconnect: true, Methods: []string{recv, probe},
	}, wait)
}

// sendNumbered makes one REST send, again while it is refused with 503
// (nothing was applied: a bus node was catching up, on a loaded machine),
// and fails the test on any other answer.
func sendNumbered(t *testing.T, what string, send func() (*mgmt.Response, error)) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		r, err := send()
		if err == nil && r.StatusCode == http.StatusServiceUnavailable && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		status(t, what, http.StatusAccepted)(r, err)
		return
	}
}

// numbered collects, per client, the numbers of the recv messages it got,
// in order, from the driver's events.
func (c *cluster) numbered(names ...string) map[string][]int {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	got := make(map[string][]int, len(names))
	for _, e := range c.js.Events() {
		var n int
		if e.Kind == jsclient.KindMessage && e.Target == recv && want[e.Name] && len(e.Args) == 1 && e.Arg(0, &n) == nil {
			got[e.Name] = append(got[e.Name], n)
		}
	}
	return got
}

// awaitNumbered waits until every client got its last expected number.
func (c *cluster) awaitNumbered(t *testing.T, expect map[string][]int, timeout time.Duration) map[string][]int {
	t.Helper()
	names := make([]string, 0, len(expect))
	for n := range expect {
		names = append(names, n)
	}
	deadline := time.Now().Add(timeout)
	for {
		got := c.numbered(names...)
		done := true
		for n, w := range expect {
			g := got[n]
			if len(w) > 0 && (len(g) == 0 || g[len(g)-1] != w[len(w)-1]) {
				done = false
				break
			}
		}
		if done || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkNumbered fails unless each client got exactly its expected numbers,
// in order: none lost, none twice.
func checkNumbered(t *testing.T, expect, got map[string][]int) {
	t.Helper()
	bad := 0
	for n, w := range expect {
		g := got[n]
		if len(g) == len(w) {
			same := true
			for i := range w {
				if g[i] != w[i] {
					same = false
					break
				}
			}
			if same {
				continue
			}
		}
		if bad++; bad <= 3 {
			t.Errorf("%s got %d messages, want %d in order; first difference %s", n, len(g), len(w), firstDiff(g, w))
		}
	}
	if bad > 3 {
		t.Errorf("... and %d more clients", bad-3)
	}
}

func firstDiff(got, want []int) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("at %d: got %d, want %d", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("after %d in common", min(len(got), len(want)))
}

// TestMultiNodeStatefulHandover: the socket of a stateful client (JSON and
// MessagePack) on gateway 1 is cut while the application sends 1,000
// numbered messages over REST to its connection, its user and its group;
// the client's reconnect lands on gateway 2, which takes the connection
// over, and the client gets all 1,000 exactly once, in order.
func TestMultiNodeStatefulHandover(t *testing.T) {
	t.Parallel()
	for _, proto := range []jsclient.Protocol{jsclient.JSON, jsclient.MessagePack} {
		t.Run(string(proto), func(t *testing.T) {
			t.Parallel()
			p := frontProxy(t)
			c := newCluster(t, 2)
			p.Route(c.gateways[gw1].Addr)
			ctx := context.Background()
			name, user, group := "s1", "u-s1", "g-s1"
			id := c.connectStateful(t, p, name, user, proto)
			status(t, "add to group", http.StatusOK)(c.rest.AddToGroup(ctx, hub, group, id))
			p.Route(c.gateways[gw2].Addr) // the load balancer's next pick

			expect := map[string][]int{name: nil}
			for i := 1; i <= handoverMessages; i++ {
				if i == handoverMessages/3 {
					if n := p.Cut(0); n < 1 {
						t.Fatalf("cut %d connections, want the client's", n)
					}
				}
				args := []any{i}
				switch i % 3 {
				case 0:
					sendNumbered(t, "send to connection", func() (*mgmt.Response, error) { return c.rest.SendToConnection(ctx, hub, id, recv, args) })
				case 1:
					sendNumbered(t, "send to user", func() (*mgmt.Response, error) { return c.rest.SendToUser(ctx, hub, user, recv, args) })
				default:
					sendNumbered(t, "send to group", func() (*mgmt.Response, error) { return c.rest.SendToGroup(ctx, hub, group, recv, args) })
				}
				expect[name] = append(expect[name], i)
			}
			checkNumbered(t, expect, c.awaitNumbered(t, expect, wait))
			if logs := c.gateways[gw2].Logs(); !strings.Contains(logs, "stateful connection taken over from another node") {
				t.Errorf("gateway 2 logged no takeover:\n%s", tail(logs))
			}
			if logs := c.gateways[gw1].Logs(); !strings.Contains(logs, "stateful connection handed over to another node") {
				t.Errorf("gateway 1 logged no handover:\n%s", tail(logs))
			}
		})
	}
}

// TestMultiNodeStatefulDrain: a rolling drain of the gateway holding 200
// stateful clients while the application sends 1,000 numbered messages
// (to each client's connection or user in turn, and every fifth to a
// group of all of them) loses nothing: the drain ends the clients'
// sockets, they reconnect to the other gateway, which takes their
// connections over, and every client gets what was sent to it exactly
// once, in order.
func TestMultiNodeStatefulDrain(t *testing.T) {
	t.Parallel()
	const clients = 200
	p := frontProxy(t)
	c := newCluster(t, 2)
	p.Route(c.gateways[gw1].Addr)
	ctx := context.Background()
	names, ids := make([]string, clients), make([]string, clients)
	expect := make(map[string][]int, clients)
	for i := range clients {
		names[i] = fmt.Sprintf("d%03d", i)
		proto := jsclient.JSON
		if i%2 == 1 {
			proto = jsclient.MessagePack
		}
		ids[i] = c.connectStateful(t, p, names[i], "u-"+names[i], proto)
		status(t, "add to group", http.StatusOK)(c.rest.AddToGroup(ctx, hub, "all", ids[i]))
		expect[names[i]] = nil
	}
	var stopped sync.WaitGroup
	for i := 1; i <= handoverMessages; i++ {
		if i == handoverMessages/4 {
			p.Route(c.gateways[gw2].Addr) // the load balancer stops sending it clients
			stopped.Go(func() {
				if err := c.gateways[gw1].Stop(); err != nil {
					t.Errorf("gateway 1 did not drain cleanly: %v", err)
				}
			})
		}
		args := []any{i}
		k := i % clients
		switch {
		case i%5 == 0:
			sendNumbered(t, "send to group", func() (*mgmt.Response, error) { return c.rest.SendToGroup(ctx, hub, "all", recv, args) })
			for _, n := range names {
				expect[n] = append(expect[n], i)
			}
		case i%2 == 0:
			sendNumbered(t, "send to connection", func() (*mgmt.Response, error) { return c.rest.SendToConnection(ctx, hub, ids[k], recv, args) })
			expect[names[k]] = append(expect[names[k]], i)
		default:
			sendNumbered(t, "send to user", func() (*mgmt.Response, error) { return c.rest.SendToUser(ctx, hub, "u-"+names[k], recv, args) })
			expect[names[k]] = append(expect[names[k]], i)
		}
	}
	stopped.Wait()
	checkNumbered(t, expect, c.awaitNumbered(t, expect, 2*wait))
	if got := strings.Count(c.gateways[gw2].Logs(), "stateful connection taken over from another node"); got != clients {
		t.Errorf("gateway 2 took %d connections over, want %d", got, clients)
	}
}

// TestMultiNodeStatefulOwnerDied: the gateway holding a stateful client
// dies (SIGKILL) and takes the connection's state with it. The client's
// reconnect lands on the other gateway and fails at once, cleanly: that
// gateway either takes the dead node's connection over and ends it there,
// once, or finds it reaped already; the connection is gone from the
// deployment either way.
func TestMultiNodeStatefulOwnerDied(t *testing.T) {
	t.Parallel()
	p := frontProxy(t)
	c := newLocalCluster(t, 2)
	p.Route(c.gateways[gw1].Addr)
	ctx := context.Background()
	id := c.connectStateful(t, p, "o1", "u-o1", jsclient.JSON)
	p.Route(c.gateways[gw2].Addr)
	start := time.Now()
	c.gateways[gw1].Kill()
	c.js.Expect(t, "o1", jsclient.KindClosed, wait)
	// Refused while the dead node still counts as alive (node TTL 1 s),
	// then at once: the state is not waited for.
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the reconnect took %v to fail, want it within the node TTL and a retry", took)
	}
	testsupport.Eventually(t, wait, "the dead node's connection gone", func() error {
		return want404(codeConnNotExisted)(c.rest.ConnectionExists(ctx, hub, id))
	})
	if n := strings.Count(c.gateways[gw2].Logs(), "connection taken over from a node that is gone"); n > 1 {
		t.Errorf("gateway 2 ended the connection %d times, want at most once", n)
	}
}
