package tests

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// D8: nothing acknowledged is lost across a Redis restart, pause or failover.
// Two gateway processes and the functions process on a throwaway Redis; 20 official
// clients (WebSocket, Server-Sent Events and Long Polling; JSON and MessagePack; on
// either gateway, and six behind a load balancer without sticky sessions, so that
// their polls and posts are forwarded between the gateways); 20 numbered REST
// broadcasts a second throughout. A 202 must mean that every client, all of which stay
// connected, receives the broadcast; the gap is answered 503.

const (
	durabilityClients = 20
	durabilityRate    = 50 * time.Millisecond // 20 broadcasts a second
	durabilityTarget  = "durable"
	durabilityGroup   = "durable-group"
)

// durabilitySend is one REST broadcast of the traffic.
type durabilitySend struct {
	n      int
	status int // 0 when the call failed
}

// runDurability connects the clients to c, runs the traffic through disrupt and checks
// that every broadcast answered 202 reached every client.
func runDurability(t *testing.T, c *cluster, what string, disrupt func()) {
	ctx := context.Background()
	proxy := newSplitProxy(t, c.gateways[gw1].URL(), c.gateways[gw2].URL())
	var names []string
	forwarded := 0
	for i := range durabilityClients {
		k := combos[i%len(combos)]
		name := fmt.Sprintf("%s-%d", k.name, i)
		host := c.gateways[i%2].Addr
		if k.transport != jsclient.WebSockets && i >= len(combos)*2 {
			host = strings.TrimPrefix(proxy.srv.URL, "http://") // forwarded between the gateways
			forwarded++
		}
		u, tok := c.clientURL(t, name, "user-"+name, host)
		opts := k.options(u, false)
		opts.Name, opts.Headers, opts.AccessToken = name, nil, tok
		opts.Methods = []string{recv, probe, durabilityTarget}
		id := c.js.ConnectWait(t, opts, wait)
		names = append(names, name)
		if i%4 == 0 { // every fourth client joins a group, on both gateways
			status(t, "add "+name+" to the group", http.StatusOK)(c.rest.AddToGroup(ctx, hub, durabilityGroup, id))
		}
	}

	var (
		mu    sync.Mutex
		sends []durabilitySend
		wg    sync.WaitGroup
		stop  = make(chan struct{})
	)
	wg.Go(func() {
		tick := time.NewTicker(durabilityRate)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			s := durabilitySend{n: n}
			resp, err := c.rest.SendToAll(ctx, hub, durabilityTarget, []any{fmt.Sprintf("d-%d", n)})
			if err == nil {
				s.status = resp.StatusCode
			}
			mu.Lock()
			sends = append(sends, s)
			mu.Unlock()
		}
	})
	halt := sync.OnceFunc(func() { close(stop); wg.Wait() })
	t.Cleanup(halt)
	acked := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range sends {
			if s.status == http.StatusAccepted {
				n++
			}
		}
		return n
	}
	time.Sleep(2 * time.Second)
	if acked() == 0 {
		t.Fatal("no broadcast accepted before the disruption")
	}
	start := time.Now()
	disrupt()
	back := time.Now()
	atBack := acked()
	for acked() < atBack+20 {
		if time.Since(back) > 20*time.Second {
			t.Errorf("%s: fewer than 20 broadcasts accepted 20 s after the disruption", what)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s: disrupted for %v; 20 broadcasts accepted again %v later", what,
		back.Sub(start).Round(time.Millisecond), time.Since(back).Round(time.Millisecond))
	// The group's memberships are in Redis again (no ghost memberships: the gateways'
	// indexes and REST agree), and a send to it reaches its members.
	status(t, what+": the group exists", http.StatusOK)(c.rest.GroupExists(ctx, hub, durabilityGroup))
	text := c.payload("group")
	within(t, recoverBound, what+": a send to the group accepted", func() error { // 503 while not ready
		return wantStatus(http.StatusAccepted)(c.rest.SendToGroup(ctx, hub, durabilityGroup, probe, []any{text}))
	})
	for i, name := range names {
		if i%4 == 0 {
			if _, err := c.nextWithin(wait, isText(name, probe, text)); err != nil {
				t.Errorf("%s: %s did not receive the group send: %v", what, name, err)
			}
		}
	}
	time.Sleep(2 * time.Second)
	halt()

	mu.Lock()
	defer mu.Unlock()
	var ok, refused, failed []int
	for _, s := range sends {
		switch s.status {
		case http.StatusAccepted:
			ok = append(ok, s.n)
		case http.StatusServiceUnavailable:
			refused = append(refused, s.n)
		default:
			failed = append(failed, s.n)
			if len(failed) == 1 {
				t.Logf("%s: broadcast %d answered %d", what, s.n, s.status)
			}
		}
	}
	if len(failed) > 0 {
		t.Errorf("%s: %d broadcasts answered neither 202 nor 503 (e.g. %v)", what, len(failed), failed[:min(10, len(failed))])
	}
	received := func() map[string]map[int]bool {
		got := map[string]map[int]bool{}
		for _, ev := range c.js.Events() {
			var text string
			var n int
			if ev.Kind == jsclient.KindMessage && ev.Target == durabilityTarget && ev.Arg(0, &text) == nil {
				if _, err := fmt.Sscanf(text, "d-%d", &n); err == nil {
					if got[ev.Name] == nil {
						got[ev.Name] = map[int]bool{}
					}
					got[ev.Name][n] = true
				}
			}
		}
		return got
	}
	missing := func(got map[string]map[int]bool) map[string][]int {
		out := map[string][]int{}
		for _, name := range names {
			for _, n := range ok {
				if !got[name][n] {
					out[name] = append(out[name], n)
				}
			}
		}
		return out
	}
	// Deliveries still on their way (a poll held by the server, a slow client).
	var lost map[string][]int
	var got map[string]map[int]bool
	testsupport.Until(wait, func() bool {
		got = received()
		lost = missing(got)
		return len(lost) == 0
	})
	total := 0
	for _, name := range names {
		total += len(got[name])
	}
	t.Logf("%s: %d broadcasts, %d accepted (202), %d refused (503); %d clients (%d forwarded between the gateways) received %d messages; acknowledged and missing: %d clients",
		what, len(sends), len(ok), len(refused), len(names), forwarded, total, len(lost))
	for _, name := range names {
		if m := lost[name]; len(m) > 0 {
			t.Errorf("%s: %s missed %d of %d accepted broadcasts (e.g. %v)", what, name, len(m), len(ok), m[:min(10, len(m))])
		}
		if closed := c.js.Pending(jsclient.Is(name, jsclient.KindClosed)); len(closed) > 0 {
			t.Errorf("%s: %s was closed: %v", what, name, closed)
		}
	}
}

// newDefaultCluster is newCluster: two gateway binaries, on the production heartbeat
// (5 s) and node TTL (15 s), the timing under which the gateways notice a restart last.
func newDefaultCluster(t *testing.T) *cluster {
	t.Helper()
	return newCluster(t, 2)
}

// TestAttackDurabilityRestartEmpty: Redis is killed and restarts empty 8 s later (the
// gateways' reconnection backoff reaches its 5 s cap meanwhile).
func TestAttackDurabilityRestartEmpty(t *testing.T) {
	t.Parallel()
	c := newDefaultCluster(t)
	runDurability(t, c, "Redis restart empty", func() {
		c.redis.Stop()
		time.Sleep(8 * time.Second)
		if err := c.redis.Restart(); err != nil {
			t.Fatalf("restart Redis: %v", err)
		}
	})
}

// TestAttackDurabilityPause: Redis is frozen (SIGSTOP) for 10 s.
func TestAttackDurabilityPause(t *testing.T) {
	t.Parallel()
	c := newDefaultCluster(t)
	runDurability(t, c, "Redis paused 10 s", func() {
		if err := c.redis.Pause(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		if err := c.redis.Resume(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestAttackDurabilityClusterFailover: on a Redis Cluster of three masters with a
// replica each, the replica of the hub's master takes over (CLUSTER FAILOVER).
func TestAttackDurabilityClusterFailover(t *testing.T) {
	t.Parallel()
	rc := redistest.StartReplicatedCluster(t)
	c := newClusterOn(t, rc.URL(), 2)
	runDurability(t, c, "Redis Cluster failover", func() {
		if err := rc.FailOver(context.Background(), "{h:"+hub+"}", 10*time.Second); err != nil {
			t.Fatal(err)
		}
	})
}
