package tests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
	"github.com/heraldrt/herald/tests/internal/proc"
)

// The scale-out tier (issue 3 §2, §3, §5): two gateway processes and one functions
// process of the real ./local binary on one Redis, official JS clients on both gateways,
// REST calls through the functions process only. Gateway 2 never serves a REST call, so
// every delivery to a client on it crosses Redis.

const (
	gw1, gw2 = 0, 1

	// prompt bounds how long a change made on one node may take to show on another
	// when nothing but the network is in between (a disconnect's unregister).
	prompt = 3 * time.Second
	// reapBound bounds how long a dead gateway's connections may stay visible:
	// node TTL + heartbeat is the design (1.2 s here); the rest is slack for -race.
	reapBound = 10 * time.Second
	// recoverBound bounds the recovery after Redis returns: reconnect backoff is at
	// most 5 s, plus a heartbeat to re-register.
	recoverBound = 15 * time.Second
)

// Sends to all, to a user with one connection on each gateway, to groups (of connections
// and of users), to one connection, with exclusions, and group changes, reach exactly the
// right clients on both gateways.
func TestMultiNodeDelivery(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2)
	ctx := context.Background()
	a1 := c.connectTo(t, gw1, "a1", "alice") // alice has one connection on each gateway
	a2 := c.connectTo(t, gw2, "a2", "alice")
	b1 := c.connectTo(t, gw1, "b1", "bob")
	c2 := c.connectTo(t, gw2, "c2", "carol")
	n2 := c.connectTo(t, gw2, "n2", "") // anonymous
	all := []string{"a1", "a2", "b1", "c2", "n2"}

	expect := func(what string, send func(text string) (*mgmt.Response, error), names ...string) {
		t.Helper()
		text := c.payload(what)
		status(t, what, http.StatusAccepted)(send(text))
		for _, name := range names {
			c.expectRecv(t, name, text)
		}
		c.settle(t, all...)
	}
	args := func(text string) []any { return []any{text} }

	expect("all", func(s string) (*mgmt.Response, error) { return c.rest.SendToAll(ctx, hub, recv, args(s)) }, all...)
	expect("all-excluded", func(s string) (*mgmt.Response, error) {
		return c.rest.SendToAll(ctx, hub, recv, args(s), a2, b1)
	}, "a1", "c2", "n2")
	expect("user", func(s string) (*mgmt.Response, error) { return c.rest.SendToUser(ctx, hub, "alice", recv, args(s)) }, "a1", "a2")
	expect("user-gw2-only", func(s string) (*mgmt.Response, error) {
		return c.rest.SendToUser(ctx, hub, "carol", recv, args(s))
	}, "c2")
	expect("connection-gw2", func(s string) (*mgmt.Response, error) {
		return c.rest.SendToConnection(ctx, hub, n2, recv, args(s))
	}, "n2")
	expect("connection-gw1", func(s string) (*mgmt.Response, error) {
		return c.rest.SendToConnection(ctx, hub, a1, recv, args(s))
	}, "a1")

	// A group of connections on both gateways.
	status(t, "add b1 to g", http.StatusOK)(c.rest.AddToGroup(ctx, hub, "g", b1))
	status(t, "add c2 to g", http.StatusOK)(c.rest.AddToGroup(ctx, hub, "g", c2))
	status(t, "add n2 to g", http.StatusOK)(c.rest.AddToGroup(ctx, hub, "g", n2))
	expect("group", func(s string) (*mgmt.Response, error) { return c.rest.SendToGroup(ctx, hub, "g", recv, args(s)) }, "b1", "c2", "n2")
	expect("group-excluded", func(s string) (*mgmt.Response, error) {
		return c.rest.SendToGroup(ctx, hub, "g", recv, args(s), c2)
	}, "b1", "n2")
	status(t, "remove n2 from g", http.StatusOK)(c.rest.RemoveFromGroup(ctx, hub, "g", n2))
	expect("group-after-remove", func(s string) (*mgmt.Response, error) {
		return c.rest.SendToGroup(ctx, hub, "g", recv, args(s))
	}, "b1", "c2")

	// A group of users: alice's connections on both gateways join it.
	status(t, "add alice to ug", http.StatusOK)(c.rest.AddUserToGroup(ctx, hub, "alice", "ug"))
	expect("user-group", func(s string) (*mgmt.Response, error) {
		return c.rest.SendToGroup(ctx, hub, "ug", recv, args(s))
	}, "a1", "a2")
	expect("user-group-excluded", func(s string) (*mgmt.Response, error) {
		return c.rest.SendToGroup(ctx, hub, "ug", recv, args(s), a1)
	}, "a2")
	ok(t, "remove alice from ug")(c.rest.RemoveUserFromGroup(ctx, hub, "alice", "ug"))
	expect("user-group-after-remove", func(s string) (*mgmt.Response, error) {
		return c.rest.SendToGroup(ctx, hub, "ug", recv, args(s))
	})
	// A connection removed from all its groups at once, on gateway 2.
	ok(t, "remove c2 from all groups")(c.rest.Do(ctx, http.MethodDelete, hub, "/connections/"+mgmt.Escape(c2)+"/groups", nil, nil))
	expect("group-after-leave-all", func(s string) (*mgmt.Response, error) {
		return c.rest.SendToGroup(ctx, hub, "g", recv, args(s))
	}, "b1")
}

// Issue 3 §2: an add-to-group (of a connection, or of its user) that returned 200 before
// a send-to-group started is delivered, 1,000 of 1,000 trials each, with the recipient on
// gateway 2 and every REST call served by the functions process. Each trial uses a fresh
// group, so only that trial's add can make its send reach the recipient. Trials run
// a few at a time; within a trial the send starts only after the add returned.
func TestMultiNodeAddToGroupThenSend(t *testing.T) {
	t.Parallel()
	const (
		trials  = 1000 // per kind
		workers = 8
	)
	c := newCluster(t, 2)
	r := c.connectTo(t, gw2, "r", "ruser") // the recipient, on gateway 2
	c.connectTo(t, gw1, "b1", "")          // bystanders: never in a group
	c.connectTo(t, gw2, "b2", "")

	type trial struct {
		kind string // "conn" or "user"
		i    int
	}
	jobs := make(chan trial)
	var (
		mu       sync.Mutex
		failures []string
		pending  = map[string]trial{} // payload → trial, until delivered
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			ctx := context.Background()
			for tr := range jobs {
				group := fmt.Sprintf("%s-g-%d", tr.kind, tr.i)
				var resp *mgmt.Response
				var err error
				if tr.kind == "conn" {
					resp, err = c.rest.AddToGroup(ctx, hub, group, r)
				} else {
					resp, err = c.rest.AddUserToGroup(ctx, hub, "ruser", group)
				}
				if err != nil || resp.StatusCode != http.StatusOK {
					fail("%s trial %d: add to %s: %v %v", tr.kind, tr.i, group, resp, err)
					continue
				}
				text := fmt.Sprintf("%s-%d", tr.kind, tr.i)
				mu.Lock()
				pending[text] = tr
				mu.Unlock()
				resp, err = c.rest.SendToGroup(ctx, hub, group, recv, []any{text})
				if err != nil || resp.StatusCode != http.StatusAccepted {
					fail("%s trial %d: send to %s: %v %v", tr.kind, tr.i, group, resp, err)
					mu.Lock()
					delete(pending, text)
					mu.Unlock()
				}
			}
		})
	}
	for i := range trials {
		jobs <- trial{"conn", i}
		jobs <- trial{"user", i}
	}
	close(jobs)
	wg.Wait()
	sent := time.Since(start)
	if len(failures) > 0 {
		t.Fatalf("%d REST calls failed, first ones:\n%s", len(failures), strings.Join(failures[:min(len(failures), 10)], "\n"))
	}

	// Every trial's message reaches r, whatever the order across trials.
	deadline := time.Now().Add(wait)
	for len(pending) > 0 {
		ev, err := c.nextWithin(time.Until(deadline), func(ev jsclient.Event) bool {
			var got string
			if ev.Name != "r" || ev.Kind != jsclient.KindMessage || ev.Target != recv || ev.Arg(0, &got) != nil {
				return false
			}
			_, ok := pending[got]
			return ok
		})
		if err != nil {
			break
		}
		var got string
		_ = ev.Arg(0, &got)
		delete(pending, got)
	}
	if len(pending) > 0 {
		missed := map[string]int{}
		var some []string
		for text, tr := range pending {
			missed[tr.kind]++
			if len(some) < 10 {
				some = append(some, text)
			}
		}
		t.Fatalf("add-to-group then send-to-group not delivered: %d of %d connection trials and %d of %d user trials missed (e.g. %v)",
			missed["conn"], trials, missed["user"], trials, some)
	}
	t.Logf("%d connection and %d user add-to-group-then-send trials delivered to gateway 2 (REST %v, all delivered %v)",
		trials, trials, sent.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	// Nothing twice, nothing to the bystanders.
	c.settle(t, "r", "b1", "b2")
}

// Issue 3 §2: existence checks served by the functions process see connects on either
// gateway at once (start() resolved only after the connection was registered) and
// disconnects promptly; so do user existence and group membership.
func TestMultiNodeExistence(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2)
	ctx := context.Background()
	for _, tc := range []struct {
		gw         int
		name, user string
	}{{gw2, "x2", "ux2"}, {gw1, "x1", "ux1"}} {
		id := c.connectTo(t, tc.gw, tc.name, tc.user)
		status(t, tc.name+" exists", http.StatusOK)(c.rest.ConnectionExists(ctx, hub, id))
		status(t, tc.user+" exists", http.StatusOK)(c.rest.UserExists(ctx, hub, tc.user))
		group := "g-" + tc.name
		status(t, "add "+tc.name+" to "+group, http.StatusOK)(c.rest.AddToGroup(ctx, hub, group, id))
		status(t, group+" exists", http.StatusOK)(c.rest.GroupExists(ctx, hub, group))

		if err := c.js.Stop(tc.name); err != nil {
			t.Fatal(err)
		}
		c.js.Expect(t, tc.name, jsclient.KindStopped, wait)
		took := within(t, prompt, tc.name+" gone after its client stopped", func() error {
			return errors.Join(
				want404(codeConnNotExisted)(c.rest.ConnectionExists(ctx, hub, id)),
				want404(codeUserNotExisted)(c.rest.UserExists(ctx, hub, tc.user)),
				want404(codeGroupNotExisted)(c.rest.GroupExists(ctx, hub, group)))
		})
		t.Logf("disconnect of %s on gateway %d visible through the functions process after %v", tc.name, tc.gw+1, took)
	}
}

// Issue 3 §2: a close (DELETE connection with a reason) served by the functions process
// reaches the connection on gateway 2, whose onclose shows the reason; the connection then
// leaves existence checks and the other clients stay.
func TestMultiNodeClose(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2)
	ctx := context.Background()
	z := c.connectTo(t, gw2, "z", "uz")
	c.connectTo(t, gw2, "y2", "uz") // same user, same gateway: must stay
	c.connectTo(t, gw1, "y1", "")

	const reason = "bye-from-functions"
	status(t, "close z", http.StatusOK)(c.rest.CloseConnection(ctx, hub, z, reason))
	closed := c.js.Expect(t, "z", jsclient.KindClosed, wait)
	if !strings.Contains(closed.ErrorText(), reason) {
		t.Errorf("z closed with %q, want the reason %q", closed.ErrorText(), reason)
	}
	within(t, prompt, "z gone after the close", func() error {
		return want404(codeConnNotExisted)(c.rest.ConnectionExists(ctx, hub, z))
	})
	status(t, "uz still exists (y2)", http.StatusOK)(c.rest.UserExists(ctx, hub, "uz"))
	c.settle(t, "y1", "y2")
	for _, name := range []string{"y1", "y2"} {
		if got := c.js.Pending(jsclient.Is(name, jsclient.KindClosed)); len(got) > 0 {
			t.Errorf("%s closed too: %v", name, got)
		}
	}
}

// Issue 3 §2: sends from one caller to one connection on gateway 2 arrive in the order
// they were accepted: 200 sends to the connection, then 200 sends alternating the
// connection, user, group and broadcast routes (one hub, one order).
func TestMultiNodeOrder(t *testing.T) {
	t.Parallel()
	const n = 200
	c := newCluster(t, 2)
	ctx := context.Background()
	o := c.connectTo(t, gw2, "o", "uo")
	status(t, "add o to og", http.StatusOK)(c.rest.AddToGroup(ctx, hub, "og", o))

	routes := []func(i int) (*mgmt.Response, error){
		func(i int) (*mgmt.Response, error) { return c.rest.SendToConnection(ctx, hub, o, recv, []any{i}) },
		func(i int) (*mgmt.Response, error) { return c.rest.SendToUser(ctx, hub, "uo", recv, []any{i}) },
		func(i int) (*mgmt.Response, error) { return c.rest.SendToGroup(ctx, hub, "og", recv, []any{i}) },
		func(i int) (*mgmt.Response, error) { return c.rest.SendToAll(ctx, hub, recv, []any{i}) },
	}
	for round, mixed := range []bool{false, true} {
		for i := range n {
			route := 0
			if mixed {
				route = i % len(routes)
			}
			status(t, fmt.Sprintf("send %d (round %d)", i, round), http.StatusAccepted)(routes[route](i))
		}
		for i := range n {
			ev := c.js.ExpectMessage(t, "o", recv, wait)
			var got int
			if err := ev.Arg(0, &got); err != nil || got != i {
				t.Fatalf("round %d: message %d on o is %s, want %d: sends arrived out of order", round, i, ev.Raw, i)
			}
		}
	}
	c.settle(t, "o")
}

// Issue 3 §3: a gateway killed with SIGKILL (no cleanup) leaves existence checks and
// group membership within a bounded time (node TTL 1 s, heartbeat 200 ms); gateway 1's
// clients and memberships are untouched.
func TestMultiNodeGatewayKilled(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2)
	ctx := context.Background()
	k1 := c.connectTo(t, gw1, "k1", "uk1")
	s1 := c.connectTo(t, gw1, "s1", "both") // "both" has one connection on each gateway
	s2 := c.connectTo(t, gw2, "s2", "both")
	k2a := c.connectTo(t, gw2, "k2a", "uk2") // uk2 lives only on gateway 2
	k2b := c.connectTo(t, gw2, "k2b", "uk2")
	for _, m := range []struct{ group, id string }{{"only2", k2a}, {"only2", k2b}, {"mixed", s1}, {"mixed", s2}} {
		status(t, "add to "+m.group, http.StatusOK)(c.rest.AddToGroup(ctx, hub, m.group, m.id))
	}
	status(t, "add uk2 to ug2", http.StatusOK)(c.rest.AddUserToGroup(ctx, hub, "uk2", "ug2"))
	for _, id := range []string{k1, s1, s2, k2a, k2b} {
		status(t, "exists before the kill", http.StatusOK)(c.rest.ConnectionExists(ctx, hub, id))
	}

	c.gateways[gw2].Kill()
	took := within(t, reapBound, "gateway 2's connections gone after SIGKILL", func() error {
		return errors.Join(
			want404(codeConnNotExisted)(c.rest.ConnectionExists(ctx, hub, s2)),
			want404(codeConnNotExisted)(c.rest.ConnectionExists(ctx, hub, k2a)),
			want404(codeConnNotExisted)(c.rest.ConnectionExists(ctx, hub, k2b)),
			want404(codeUserNotExisted)(c.rest.UserExists(ctx, hub, "uk2")),
			want404(codeGroupNotExisted)(c.rest.GroupExists(ctx, hub, "only2")))
	})
	t.Logf("killed gateway's connections left presence and groups after %v (node TTL %v, heartbeat %v)", took, nodeTTL, heartbeat)

	// Gateway 1 is untouched: its connections, users, groups and deliveries.
	for _, id := range []string{k1, s1} {
		status(t, "gateway 1 connection exists", http.StatusOK)(c.rest.ConnectionExists(ctx, hub, id))
	}
	status(t, "both still exists (s1)", http.StatusOK)(c.rest.UserExists(ctx, hub, "both"))
	status(t, "mixed still exists (s1)", http.StatusOK)(c.rest.GroupExists(ctx, hub, "mixed"))
	// User-level memberships belong to the user, not to the node: they stay (redisbus docs).
	status(t, "uk2 still in ug2", http.StatusOK)(c.rest.UserInGroup(ctx, hub, "uk2", "ug2"))
	text := c.payload("mixed")
	status(t, "send to mixed", http.StatusAccepted)(c.rest.SendToGroup(ctx, hub, "mixed", recv, []any{text}))
	c.expectRecv(t, "s1", text)
	text = c.payload("both")
	status(t, "send to both", http.StatusAccepted)(c.rest.SendToUser(ctx, hub, "both", recv, []any{text}))
	c.expectRecv(t, "s1", text)
	c.settle(t, "k1", "s1")
	for _, name := range []string{"k1", "s1"} {
		if got := c.js.Pending(jsclient.Is(name, jsclient.KindClosed)); len(got) > 0 {
			t.Errorf("gateway 1 client %s closed: %v", name, got)
		}
	}
	// Negotiate keeps working: gateway 1 is alive.
	if st, body := c.negotiate(t, "late"); st != http.StatusOK {
		t.Errorf("negotiate with gateway 1 alive: %d %s", st, body)
	}
}

// trafficCall is one REST call of the background traffic in TestMultiNodeRedisOutage.
type trafficCall struct {
	n          int
	start, end time.Time
	status     int // 0 when the call itself failed
	err        error
}

// Issue 3 §3: Redis stops under traffic. REST sends and negotiate answer 503 (never
// 202), health answers 503 on every process, and the clients stay connected. When Redis
// returns (empty), the same processes resubscribe and re-register their connections:
// sends reach clients on both gateways, existence checks of connections made before the
// outage answer 200 again, and every send accepted after the recovery is delivered, in
// order.
func TestMultiNodeRedisOutage(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2)
	ctx := context.Background()
	p1 := c.connectTo(t, gw1, "p1", "pu1")
	p2 := c.connectTo(t, gw2, "p2", "pu2")
	names := []string{"p1", "p2"}
	d2 := c.connectTo(t, gw2, "d2", "du") // disconnects during the outage

	// Traffic: one caller sending numbered messages to p2 through the functions process
	// throughout, about every 10 ms.
	var (
		callsMu sync.Mutex
		calls   []trafficCall
		stop    atomic.Bool
		wg      sync.WaitGroup
	)
	wg.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for n := 0; !stop.Load(); n++ {
			call := trafficCall{n: n, start: time.Now()}
			resp, err := c.rest.SendToConnection(ctx, hub, p2, probe, []any{fmt.Sprintf("traffic-%d", n)})
			call.end, call.err = time.Now(), err
			if err == nil {
				call.status = resp.StatusCode
			}
			callsMu.Lock()
			calls = append(calls, call)
			callsMu.Unlock()
			<-tick.C
		}
	})
	stopTraffic := sync.OnceFunc(func() { stop.Store(true); wg.Wait() })
	t.Cleanup(stopTraffic)
	if _, err := c.nextWithin(wait, func(ev jsclient.Event) bool {
		return ev.Name == "p2" && ev.Kind == jsclient.KindMessage && ev.Target == probe
	}); err != nil {
		t.Fatalf("no traffic reached p2 before the outage: %v", err)
	}

	c.redis.Stop()
	down := time.Now()
	// While Redis is down (a little longer than the node TTL, so the nodes' heartbeats
	// run out), every call must fail with 503, and the processes must say so.
	outageChecks := 0
	for time.Since(down) < nodeTTL+5*heartbeat || outageChecks == 0 {
		outageChecks++
		if outageChecks == 2 {
			// A client leaves while its gateway cannot tell Redis.
			if err := c.js.Stop("d2"); err != nil {
				t.Fatal(err)
			}
			c.js.Expect(t, "d2", jsclient.KindStopped, wait)
		}
		for what, call := range map[string]func() (*mgmt.Response, error){
			"send to all":        func() (*mgmt.Response, error) { return c.rest.SendToAll(ctx, hub, recv, []any{"outage"}) },
			"send to user":       func() (*mgmt.Response, error) { return c.rest.SendToUser(ctx, hub, "pu1", recv, []any{"outage"}) },
			"send to group":      func() (*mgmt.Response, error) { return c.rest.SendToGroup(ctx, hub, "g", recv, []any{"outage"}) },
			"send to connection": func() (*mgmt.Response, error) { return c.rest.SendToConnection(ctx, hub, p1, recv, []any{"outage"}) },
			"add to group":       func() (*mgmt.Response, error) { return c.rest.AddToGroup(ctx, hub, "g", p1) },
			"connection exists":  func() (*mgmt.Response, error) { return c.rest.ConnectionExists(ctx, hub, p1) },
		} {
			resp := status(t, what+" during the outage", http.StatusServiceUnavailable)(call())
			if !strings.EqualFold(resp.ErrorCode(), "Error.Service.Unavailable") {
				t.Errorf("%s during the outage: %v, want x-ms-error-code Error.Service.Unavailable", what, resp)
			}
		}
		if st, body := c.negotiate(t, "during"); st != http.StatusServiceUnavailable {
			t.Fatalf("negotiate during the outage: got %d %s, want 503", st, body)
		}
		for i, p := range append([]*proc.Child{c.functions}, c.gateways...) {
			if st := c.health(t, p); st != http.StatusServiceUnavailable {
				t.Fatalf("health of process %d (%s) during the outage: %d, want 503", i, p.Addr, st)
			}
		}
	}
	restarting := time.Now() // Redis may answer from here on
	if err := c.redis.Restart(); err != nil {
		t.Fatalf("restart Redis: %v", err)
	}
	up := time.Now()
	t.Logf("Redis down for %v (%d rounds of checks)", up.Sub(down).Round(time.Millisecond), outageChecks)

	// Recovery without restarting any process. The gateways register their connections
	// again; the moment a connection made before the outage exists again it must be
	// reachable, as after any Register: a send to it, and an add to a fresh group then a
	// send to that group, are delivered.
	type reappeared struct {
		name, id string
		at       time.Duration // after Redis returned
		texts    []string      // accepted sends that must reach it
	}
	seen := map[string]*reappeared{}
	deadline := up.Add(recoverBound)
	for len(seen) < len(names) {
		if time.Now().After(deadline) {
			t.Fatalf("connections made before the outage do not exist %v after Redis returned (seen again: %v)", recoverBound, seen)
		}
		for name, id := range map[string]string{"p1": p1, "p2": p2} {
			if seen[name] != nil {
				continue
			}
			if resp, err := c.rest.ConnectionExists(ctx, hub, id); err != nil || resp.StatusCode != http.StatusOK {
				continue
			}
			r := &reappeared{name: name, id: id, at: time.Since(up)}
			seen[name] = r
			text := "reappeared-conn-" + name
			if resp, err := c.rest.SendToConnection(ctx, hub, id, probe, []any{text}); err == nil && resp.StatusCode == http.StatusAccepted {
				r.texts = append(r.texts, text)
			} else {
				t.Logf("send to %s right after it existed again: %v %v", name, resp, err)
			}
			group := "reappeared-" + name
			if resp, err := c.rest.AddToGroup(ctx, hub, group, id); err == nil && resp.StatusCode == http.StatusOK {
				text := "reappeared-group-" + name
				if resp, err := c.rest.SendToGroup(ctx, hub, group, probe, []any{text}); err == nil && resp.StatusCode == http.StatusAccepted {
					r.texts = append(r.texts, text)
				}
			}
		}
		time.Sleep(2 * time.Millisecond) // poll again
	}
	deadline = time.Now().Add(wait)
	for _, name := range names {
		r := seen[name]
		t.Logf("%s exists again %v after Redis returned; %d sends to it accepted at once", name, r.at.Round(time.Millisecond), len(r.texts))
		for _, text := range r.texts {
			if _, err := c.nextWithin(max(time.Until(deadline), time.Millisecond), isText(name, probe, text)); err != nil {
				t.Errorf("%s existed again %v after Redis returned, but %q, accepted right then, never reached it (%v): "+
					"its gateway registered the connection again before its subscription to the hub was confirmed",
					name, r.at.Round(time.Millisecond), text, err)
			}
		}
	}
	// A broadcast reaches both gateways.
	var probes int
	within(t, recoverBound, "a send after Redis returned reaching both gateways", func() error {
		probes++
		text := fmt.Sprintf("recovery-%d", probes)
		resp, err := c.rest.SendToAll(ctx, hub, probe, []any{text})
		if err := wantStatus(http.StatusAccepted)(resp, err); err != nil {
			return err
		}
		for _, name := range names {
			if _, err := c.nextWithin(500*time.Millisecond, isText(name, probe, text)); err != nil {
				return fmt.Errorf("%s did not receive %s: %v", name, text, err)
			}
		}
		return nil
	})
	recoveredAt := time.Now()
	t.Logf("broadcasts reach both gateways %v after Redis returned (%d probes)", time.Since(up).Round(time.Millisecond), probes)
	status(t, "pu1 exists again", http.StatusOK)(c.rest.UserExists(ctx, hub, "pu1"))
	status(t, "pu2 exists again", http.StatusOK)(c.rest.UserExists(ctx, hub, "pu2"))
	// The client that left during the outage is not registered again.
	notFound(t, "d2 (left during the outage)", codeConnNotExisted)(c.rest.ConnectionExists(ctx, hub, d2))
	notFound(t, "du (left during the outage)", codeUserNotExisted)(c.rest.UserExists(ctx, hub, "du"))
	for i, p := range append([]*proc.Child{c.functions}, c.gateways...) {
		if st := c.health(t, p); st != http.StatusOK {
			t.Errorf("health of process %d (%s) after the outage: %d, want 200", i, p.Addr, st)
		}
	}
	// Every route works again on both gateways, and new clients can connect to either.
	text := c.payload("after")
	status(t, "send to p2 after", http.StatusAccepted)(c.rest.SendToConnection(ctx, hub, p2, recv, []any{text}))
	c.expectRecv(t, "p2", text)
	text = c.payload("after")
	status(t, "send to pu1 after", http.StatusAccepted)(c.rest.SendToUser(ctx, hub, "pu1", recv, []any{text}))
	c.expectRecv(t, "p1", text)
	status(t, "add p1 to g after", http.StatusOK)(c.rest.AddToGroup(ctx, hub, "g", p1))
	text = c.payload("after")
	status(t, "send to g after", http.StatusAccepted)(c.rest.SendToGroup(ctx, hub, "g", recv, []any{text}))
	c.expectRecv(t, "p1", text)
	within(t, recoverBound, "negotiate answers 200 again", func() error {
		if st, body := c.negotiate(t, "after"); st != http.StatusOK {
			return fmt.Errorf("%d %s", st, body)
		}
		return nil
	})
	c.connectTo(t, gw2, "q2", "qu")
	c.connectTo(t, gw1, "q1", "qu")
	c.settle(t, "p1", "p2", "q1", "q2")
	// Let the traffic run on for a while after the recovery before stopping it.
	within(t, wait, "traffic after the recovery", func() error {
		callsMu.Lock()
		defer callsMu.Unlock()
		if n := len(calls); n == 0 || !calls[n-1].start.After(recoveredAt.Add(time.Second)) {
			return errors.New("less than 1 s of traffic after the recovery")
		}
		return nil
	})
	stopTraffic()
	for _, name := range names {
		if got := c.js.Pending(jsclient.Is(name, jsclient.KindClosed)); len(got) > 0 {
			t.Errorf("%s was closed during or after the outage: %v", name, got)
		}
	}
	// The traffic: only 202 or 503; nothing accepted while Redis was down; everything
	// accepted after the recovery delivered to p2, in order.
	callsMu.Lock()
	defer callsMu.Unlock()
	var accepted, refused, afterRecovery []int
	for _, call := range calls {
		switch {
		case call.err != nil:
			t.Errorf("traffic send %d: %v", call.n, call.err)
		case call.status == http.StatusAccepted:
			accepted = append(accepted, call.n)
			if call.start.After(down) && call.end.Before(restarting) {
				t.Errorf("traffic send %d answered 202 while Redis was down", call.n)
			}
			if call.start.After(recoveredAt) {
				afterRecovery = append(afterRecovery, call.n)
			}
		case call.status == http.StatusServiceUnavailable:
			refused = append(refused, call.n)
		default:
			t.Errorf("traffic send %d answered %d, want 202 or 503", call.n, call.status)
		}
	}
	t.Logf("traffic: %d sends, %d accepted, %d refused with 503, %d accepted after the recovery", len(calls), len(accepted), len(refused), len(afterRecovery))
	notFound(t, "d2 at the end", codeConnNotExisted)(c.rest.ConnectionExists(ctx, hub, d2))
	// Not a requirement (pub/sub has no subscriber until the gateways resubscribe), but
	// worth knowing: how many sends were accepted between Redis's return and the
	// recovery and never delivered.
	delivered := map[string]bool{}
	for _, ev := range c.js.Events() {
		var got string
		if ev.Name == "p2" && ev.Kind == jsclient.KindMessage && ev.Target == probe && ev.Arg(0, &got) == nil {
			delivered[got] = true
		}
	}
	var window, lost int
	for _, call := range calls {
		if call.status == http.StatusAccepted && call.end.After(restarting) && !call.start.After(recoveredAt) {
			window++
			if !delivered[fmt.Sprintf("traffic-%d", call.n)] {
				lost++
			}
		}
	}
	t.Logf("traffic accepted after Redis returned but before the recovery: %d, of which never delivered: %d", window, lost)
	last := -1
	for _, n := range afterRecovery {
		for {
			ev, err := c.nextWithin(wait, func(ev jsclient.Event) bool {
				var got string
				return ev.Name == "p2" && ev.Kind == jsclient.KindMessage && ev.Target == probe &&
					ev.Arg(0, &got) == nil && strings.HasPrefix(got, "traffic-")
			})
			if err != nil {
				t.Fatalf("traffic send %d (accepted after the recovery) never reached p2: %v", n, err)
			}
			var got string
			_ = ev.Arg(0, &got)
			var m int
			if _, err := fmt.Sscanf(got, "traffic-%d", &m); err != nil {
				t.Fatalf("traffic message %q: %v", got, err)
			}
			if m <= last {
				t.Fatalf("traffic message %d arrived after %d: out of order", m, last)
			}
			last = m
			if m == n {
				break
			}
			if m > n {
				t.Fatalf("traffic send %d (accepted after the recovery) was skipped: %d arrived instead", n, m)
			}
		}
	}
}

// Issue 3 §3: with no live gateway node, negotiate answers 503 "No gateway is available
// yet" instead of handing out a URL nobody serves; a gateway that starts makes it answer
// 200, and one that stops or dies makes it answer 503 again.
func TestMultiNodeNoGateway(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 0)
	want503 := func(why string) error {
		st, body := c.negotiate(t, "u")
		if st != http.StatusServiceUnavailable || !strings.Contains(string(body), "No gateway is available yet") {
			return fmt.Errorf("negotiate %s: got %d %s, want 503 \"No gateway is available yet…\"", why, st, body)
		}
		return nil
	}
	want200 := func() error {
		if st, body := c.negotiate(t, "u"); st != http.StatusOK {
			return fmt.Errorf("negotiate: got %d %s, want 200", st, body)
		}
		return nil
	}
	if err := want503("with no gateway process"); err != nil {
		t.Fatal(err)
	}
	if st := c.health(t, c.functions); st != http.StatusOK {
		t.Errorf("health of the functions process with Redis up: %d, want 200", st)
	}

	gw := c.addGateway(t)
	within(t, prompt, "negotiate once a gateway runs", want200)
	if err := gw.Stop(); err != nil {
		t.Errorf("gateway stop: %v", err)
	}
	within(t, prompt, "negotiate after the only gateway stopped", func() error { return want503("after a graceful stop") })

	gw = c.addGateway(t)
	within(t, prompt, "negotiate once another gateway runs", want200)
	gw.Kill()
	took := within(t, reapBound, "negotiate after the only gateway was killed", func() error { return want503("after SIGKILL") })
	t.Logf("negotiate answered 503 %v after the only gateway was killed (node TTL %v)", took, nodeTTL)
}
