package tests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

// The scale-out tier (docs/decisions.md#scale-out): two gateway processes and one functions
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

// An add-to-group (of a connection, or of its user) that returned 200 before
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
	// The recipient joins 2,000 groups: over the default group limits.
	c := newCluster(t, 2, "--max-connection-groups", "0", "--max-user-groups", "0")
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

// Existence checks served by the functions process see connects on either
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

// A close (DELETE connection with a reason) served by the functions process
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

// Sends from one caller to one connection on gateway 2 arrive in the order
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

// A gateway killed with SIGKILL (no cleanup) leaves existence checks and
// group membership within a bounded time (node TTL 1 s, heartbeat 200 ms); gateway 1's
// clients and memberships are untouched.
func TestMultiNodeGatewayKilled(t *testing.T) {
	t.Parallel()
	c := newLocalCluster(t, 2) // the short node TTL
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

// With no live gateway node, negotiate answers 503 "No gateway is available
// yet" instead of handing out a URL nobody serves; a gateway that starts makes it answer
// 200, and one that stops or dies makes it answer 503 again.
func TestMultiNodeNoGateway(t *testing.T) {
	t.Parallel()
	c := newLocalCluster(t, 0) // the short node TTL
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

	gw := c.addLocalGateway(t)
	within(t, prompt, "negotiate once a gateway runs", want200)
	if err := gw.Stop(); err != nil {
		t.Errorf("gateway stop: %v", err)
	}
	within(t, prompt, "negotiate after the only gateway stopped", func() error { return want503("after a graceful stop") })

	gw = c.addLocalGateway(t)
	within(t, prompt, "negotiate once another gateway runs", want200)
	gw.Kill()
	took := within(t, reapBound, "negotiate after the only gateway was killed", func() error { return want503("after SIGKILL") })
	t.Logf("negotiate answered 503 %v after the only gateway was killed (node TTL %v)", took, nodeTTL)
}
