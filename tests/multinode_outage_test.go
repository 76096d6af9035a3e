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

// Redis stops under traffic. REST sends and negotiate answer 503 (never
// 202), health answers 503 on every process, and the clients stay connected. When Redis
// returns (empty), the same processes resubscribe and re-register their connections:
// sends reach clients on both gateways, existence checks of connections made before the
// outage answer 200 again, and every send accepted after the recovery is delivered, in
// order.
func TestMultiNodeRedisOutage(t *testing.T) {
	t.Parallel()
	c := newLocalCluster(t, 2) // an outage longer than the node TTL: the short one
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
