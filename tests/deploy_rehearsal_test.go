package tests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/tests/internal/awsstack"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// The deploy rehearsal (make deploy-test): template.yaml, transformed by the SAM
// translator and linted by cfn-lint, is created as a stack in moto_server; what the stack
// created (listener rules, target groups, functions, task definition, service, secrets),
// read back through the AWS APIs, configures the real processes: each Lambda bootstrap
// under AWS's Runtime Interface Emulator, the gateway binary as ECS tasks with a task
// metadata endpoint, a throwaway Redis, and an ALB stand-in (tests/internal/albstand)
// routing by the stack's rules, health-checking and draining by its target group. The
// official JS client and SDK-shaped REST calls drive it through the stand-in.
//
// Where moto keeps defaults or cannot create a resource, the value comes from the
// translated template; each such gap is logged as a table (stage.gapTable).
//
// Time: the health checks run healthScale times faster than the template says; every
// other time (deregistration delay, StopTimeout, the Redis outage) is real.

func TestDeployRehearsal(t *testing.T) {
	awsstack.Tools(t)
	root := repoRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	if _, err := rehearsalTools(); err != nil {
		t.Fatal(err)
	}
	moto := awsstack.StartMoto(t)

	t.Run("SAM translation and cfn-lint report nothing", func(t *testing.T) {
		t.Parallel()
		translated := awsstack.Translate(t, root, filepath.Join(root, "template.yaml"), t.TempDir())
		if out := awsstack.Lint(t, filepath.Join(root, "template.yaml"), translated, filepath.Join(root, "infra", "redis.yaml")); out != "" {
			t.Errorf("cfn-lint:\n%s", out)
		}
	})
	t.Run("traffic through the stack", func(t *testing.T) {
		t.Parallel()
		rehearseTraffic(t, moto, text)
	})
	t.Run("mutations of the template are caught", func(t *testing.T) {
		t.Parallel()
		rehearseMutations(t, moto, text)
	})
	t.Run("Redis outage", func(t *testing.T) {
		t.Parallel()
		rehearseRedisOutage(t, moto, text)
	})
	t.Run("rolling deploy", func(t *testing.T) {
		t.Parallel()
		rehearseRollingDeploy(t, moto, text)
	})
}

// rehearseTraffic: negotiate redirects, the three transports, every kind of send and
// the sample hub, through the stand-in.
func rehearseTraffic(t *testing.T, moto *awsstack.Moto, text string) {
	d, err := rehearse(t, moto, "traffic", text, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("what moto falls short of, read from the translated template instead:\n%s", d.gapTable())
	ctx := context.Background()
	ids := map[string]string{}
	for _, c := range []struct {
		name string
		tr   jsclient.Transport
	}{{"ws", jsclient.WebSockets}, {"sse", jsclient.ServerSentEvents}, {"lp", jsclient.LongPolling}} {
		id, err := d.connect(c.name, "user-"+c.name, c.tr, false)
		if err != nil {
			t.Fatal(err)
		}
		ids[c.name] = id
	}
	status(t, "send to all", http.StatusAccepted)(d.rest.SendToAll(ctx, hub, recv, []any{"to-all"}))
	for name := range ids {
		if err := d.received(name, "to-all", wait); err != nil {
			t.Error(err)
		}
	}
	status(t, "send to user", http.StatusAccepted)(d.rest.SendToUser(ctx, hub, "user-sse", recv, []any{"to-user"}))
	if err := d.received("sse", "to-user", wait); err != nil {
		t.Error(err)
	}
	status(t, "add to group", http.StatusOK)(d.rest.AddToGroup(ctx, hub, "g", ids["lp"]))
	status(t, "send to group", http.StatusAccepted)(d.rest.SendToGroup(ctx, hub, "g", recv, []any{"to-group"}))
	if err := d.received("lp", "to-group", wait); err != nil {
		t.Error(err)
	}
	status(t, "send to connection", http.StatusAccepted)(d.rest.SendToConnection(ctx, hub, ids["ws"], recv, []any{"to-conn"}))
	if err := d.received("ws", "to-conn", wait); err != nil {
		t.Error(err)
	}
	status(t, "connection exists", http.StatusOK)(d.rest.ConnectionExists(ctx, hub, ids["sse"]))

	// The sample hub (deployed on request): an invocation goes from the gateway to the
	// upstream URL the task definition names, through the stand-in to the function.
	if _, ok := d.functions["ChatHubFunction"]; ok {
		if err := d.js.Invoke("ws", "echo-1", "echo", map[string]any{"n": 1}); err != nil {
			t.Fatal(err)
		}
		reply := d.js.ExpectFunc(t, wait, "echo reply", jsclient.IsReply("ws", "echo-1"))
		if reply.Kind != jsclient.KindResult || string(reply.Result) != `{"n":1}` {
			t.Errorf("echo: %s", reply.Raw)
		}
		if err := d.js.Invoke("ws", "b-1", "broadcast", "hello from the stack"); err != nil {
			t.Fatal(err)
		}
		for name := range ids {
			ev := d.js.ExpectMessage(t, name, "newMessage", wait)
			if !strings.Contains(string(ev.Args[0]), "hello from the stack") {
				t.Errorf("newMessage on %s: %s", name, ev.Raw)
			}
		}
	} else {
		t.Error("the stack has no sample hub function although DeploySampleHub was asked for")
	}
	rehearseLiveTrace(t, d)
	if r := d.gateways.Replacements(); len(r) != 0 {
		t.Errorf("targets became unhealthy: %+v", r)
	}
}

// rehearseLiveTrace: the live trace stream opened through the load balancer, with a
// token signed with the stack's AccessKey, shows the events of both gateway tasks (the
// health checks' HTTP requests reach each task; the watched task relays the other's).
func rehearseLiveTrace(t *testing.T, d *deployment) {
	t.Helper()
	events := liveStreamKey(t, d.lb.URL(), rehearsalKey)
	nodes := map[string]bool{}
	within(t, 3*wait, "live trace events of both tasks through the load balancer", func() error {
		for {
			select {
			case e, ok := <-events:
				if !ok {
					return errors.New("the stream ended")
				}
				nodes[e.Node] = true
				continue
			default:
			}
			break
		}
		if len(nodes) < 2 {
			return fmt.Errorf("events of %d task(s): %v", len(nodes), nodes)
		}
		return nil
	})
}

// mutation is a wrong template: pattern (which must match exactly once) replaced.
type mutation struct {
	name, pattern, replace string
}

// mutations are the template faults the rehearsal must catch: a listener rule, an
// environment variable, a port, a health-check path.
var mutations = []mutation{
	{"listener rule: the client path pattern", `(ClientRule:[\s\S]*?PathPatternConfig: \{ Values: \[)/client, /client/\*\]`, "${1}/clients, /clients/*]"},
	{"listener rule: /api/* before /api/negotiate", `(ApiRule:[\s\S]*?Priority: )\d+`, "${1}5"},
	{"environment variable: the gateway's Redis prefix", `\{ Name: HERALD_REDIS_PREFIX, Value: herald \}`, "{ Name: HERALD_REDIS_PREFIX, Value: gateways }"},
	{"port: the gateway listens on another port", `\{ Name: HERALD_ADDR, Value: ":(\d+)" \}`, `{ Name: HERALD_ADDR, Value: ":9${1}" }`},
	{"health-check path", `(HealthCheckPath: )(/\S+)`, "${1}${2}-not-served"},
}

// smoke is the rehearsal's cheap subset: one WebSocket client through negotiate, one
// REST broadcast through the api function received.
func smoke(d *deployment) error {
	if _, err := d.connect("smoke", "smoke-user", jsclient.WebSockets, false); err != nil {
		return err
	}
	resp, err := d.rest.SendToAll(context.Background(), hub, recv, []any{"smoke"})
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("send to all: %v", resp)
	}
	return d.received("smoke", "smoke", 5*time.Second)
}

func rehearseMutations(t *testing.T, moto *awsstack.Moto, text string) {
	var (
		mu     sync.Mutex
		report = map[string]string{}
		slots  = make(chan struct{}, 2) // two deployments at a time
	)
	all := append([]mutation{{name: "none (control)"}}, mutations...)
	t.Run("each", func(t *testing.T) {
		for i, m := range all {
			mutated := text
			if m.pattern != "" {
				re := regexp.MustCompile(m.pattern)
				if n := len(re.FindAllStringIndex(text, -1)); n != 1 {
					t.Fatalf("mutation %q: pattern matches %d times in template.yaml, want 1: update the table", m.name, n)
				}
				mutated = re.ReplaceAllString(text, m.replace)
			}
			t.Run(m.name, func(t *testing.T) {
				t.Parallel()
				slots <- struct{}{}
				defer func() { <-slots }()
				d, err := rehearse(t, moto, fmt.Sprintf("mutation%d", i), mutated, 1)
				if err == nil {
					err = smoke(d)
				}
				switch {
				case m.pattern == "" && err != nil:
					t.Errorf("the unchanged template fails the smoke test: %v", err)
				case m.pattern != "" && err == nil:
					t.Errorf("the mutated template passes the smoke test: the rehearsal cannot see this fault")
				}
				mu.Lock()
				report[m.name] = fmt.Sprint(err)
				mu.Unlock()
			})
		}
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%-52s %s\n", "mutation", "caught by")
	for _, m := range all {
		fmt.Fprintf(&b, "%-52s %s\n", m.name, report[m.name])
	}
	t.Logf("mutations:\n%s", b.String())
}

// rehearseRedisOutage: Redis stopped for a minute under REST traffic; no target may
// become unhealthy (ECS would replace the task and drop its clients), every client stays
// connected, REST answers 503 (never 202) meanwhile, and traffic flows again after.
func rehearseRedisOutage(t *testing.T, moto *awsstack.Moto, text string) {
	const outage = 60 * time.Second
	d, err := rehearse(t, moto, "outage", text, 2)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"ws-1", "ws-2", "sse-1", "lp-1"}
	for _, name := range names {
		tr := jsclient.WebSockets
		switch {
		case strings.HasPrefix(name, "sse"):
			tr = jsclient.ServerSentEvents
		case strings.HasPrefix(name, "lp"):
			tr = jsclient.LongPolling
		}
		if _, err := d.connect(name, "u-"+name, tr, false); err != nil {
			t.Fatal(err)
		}
	}
	type result struct {
		start, end time.Time
		status     int
		err        error
	}
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
	)
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // REST broadcasts, a few per second, through the stand-in
		defer wg.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			r := result{start: time.Now()}
			resp, err := d.rest.SendToAll(ctx, hub, probe, []any{fmt.Sprint(i)})
			cancel()
			r.end, r.err = time.Now(), err
			if err == nil {
				r.status = resp.StatusCode
			}
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		}
	}()
	time.Sleep(time.Second)
	down := time.Now()
	d.redis.Stop()
	time.Sleep(outage)
	up := time.Now()
	if err := d.redis.Restart(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()

	counts := map[string]int{}
	for _, r := range results {
		if r.start.After(down) && r.end.Before(up) {
			key := fmt.Sprint(r.status)
			if r.err != nil {
				key = "error"
			}
			counts[key]++
			if r.status != http.StatusServiceUnavailable {
				t.Errorf("REST during the outage: %d %v, want 503", r.status, r.err)
			}
		}
	}
	t.Logf("REST answers during the %v outage: %v", outage, counts)
	if counts["503"] == 0 {
		t.Errorf("no REST call answered during the outage")
	}
	for _, e := range d.gateways.Events() {
		t.Logf("target %s: %s → %s (%s) at +%v", e.Target, e.From, e.To, e.Reason, e.At.Sub(down).Round(time.Millisecond))
	}
	if r := d.gateways.Replacements(); len(r) != 0 {
		t.Errorf("%d targets became unhealthy during the Redis outage: ECS would replace those tasks and drop their clients", len(r))
	}
	for _, name := range names {
		if ev := d.js.Pending(func(e jsclient.Event) bool {
			return e.Name == name && (e.Kind == jsclient.KindClosed || e.Kind == jsclient.KindReconnecting)
		}); len(ev) != 0 {
			t.Errorf("%s was disconnected during the outage: %v", name, ev)
		}
	}
	// Traffic flows again once Redis is back: broadcasts until every client got one (a
	// gateway resubscribes within its reconnect backoff; pub/sub drops what it missed).
	got := map[string]bool{}
	n := 0
	within(t, 30*time.Second, "every client receives a broadcast after the outage", func() error {
		n++
		resp, err := d.rest.SendToAll(context.Background(), hub, recv, []any{fmt.Sprintf("after-%d", n)})
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("%v", resp)
		}
		time.Sleep(500 * time.Millisecond)
		var missing []string
		for _, name := range names {
			if !got[name] && len(d.js.Pending(func(e jsclient.Event) bool {
				return e.Name == name && e.Kind == jsclient.KindMessage && e.Target == recv
			})) > 0 {
				got[name] = true
			}
			if !got[name] {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%v received nothing yet", missing)
		}
		return nil
	})
	t.Logf("every client received a broadcast again after %d sends", n)
}

// rehearseRollingDeploy: two tasks replaced as ECS replaces them (MinimumHealthyPercent
// 100, MaximumPercent 200: new tasks first, healthy, then the old ones stopped). Every
// client must either get "Service reloading, try reconnecting" with allowReconnect and
// reconnect (to a new task), or never be cut.
func rehearseRollingDeploy(t *testing.T, moto *awsstack.Moto, text string) {
	d, err := rehearse(t, moto, "rolling", text, 2)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, tr := range []jsclient.Transport{jsclient.WebSockets, jsclient.ServerSentEvents, jsclient.LongPolling} {
		for j := range 4 {
			name := fmt.Sprintf("%s-%d", strings.ToLower(string(tr))[:2], j)
			if _, err := d.connect(name, fmt.Sprintf("user-%d-%d", i, j), tr, true); err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
		}
	}
	// Watch the clients' reconnecting / reconnected / closed events as they come.
	type timeline struct {
		cut, back time.Time
		reason    string
		closed    bool
	}
	var (
		mu    sync.Mutex
		lines = map[string]*timeline{}
	)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			e, err := d.js.Next(ctx, func(e jsclient.Event) bool {
				return e.Kind == jsclient.KindReconnecting || e.Kind == jsclient.KindReconnected || e.Kind == jsclient.KindClosed
			})
			if err != nil {
				return
			}
			mu.Lock()
			l := lines[e.Name]
			if l == nil {
				l = &timeline{}
				lines[e.Name] = l
			}
			switch e.Kind {
			case jsclient.KindReconnecting:
				if l.cut.IsZero() {
					l.cut, l.reason = time.Now(), e.ErrorText()
				}
			case jsclient.KindReconnected:
				l.back = time.Now()
			case jsclient.KindClosed:
				l.closed = true
			}
			mu.Unlock()
		}
	}()

	old := append([]*gatewayTask(nil), d.tasks...)
	start := time.Now()
	for range old {
		if _, err := d.startTask(t); err != nil {
			t.Fatal(err)
		}
	}
	drains := make([]string, len(old))
	var stops sync.WaitGroup
	for i, gt := range old {
		stops.Add(1)
		go func() {
			defer stops.Done()
			dr := d.stopTask(t, gt)
			drains[i] = fmt.Sprintf("%s: %d connections at deregistration, draining took %v (ended early: %v), %d cut; SIGTERM → exit %v",
				gt.task.Name, dr.Connections, dr.Took.Round(time.Millisecond), dr.EndedEarly, dr.Cut, gt.task.StopTook().Round(time.Millisecond))
			if dr.Cut != 0 {
				t.Errorf("%s: the load balancer cut %d connections at the end of the deregistration delay", gt.task.Name, dr.Cut)
			}
		}()
	}
	stops.Wait()
	deploy := time.Since(start)
	// Every client that was cut reconnects.
	within(t, 30*time.Second, "every cut client reconnected", func() error {
		mu.Lock()
		defer mu.Unlock()
		for name, l := range lines {
			if !l.cut.IsZero() && l.back.IsZero() && !l.closed {
				return fmt.Errorf("%s not reconnected yet", name)
			}
		}
		return nil
	})
	cancel()
	wg.Wait()

	var gaps []time.Duration
	cut := 0
	for _, name := range names {
		l := lines[name]
		switch {
		case l == nil:
			continue // never cut
		case l.closed:
			t.Errorf("%s closed for good (%s)", name, l.reason)
		case !strings.Contains(l.reason, "Service reloading, try reconnecting"):
			t.Errorf("%s was cut without the graceful close: %q", name, l.reason)
		}
		if !l.cut.IsZero() && !l.back.IsZero() {
			cut++
			gaps = append(gaps, l.back.Sub(l.cut))
		}
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	for _, s := range drains {
		t.Log(s)
	}
	if len(gaps) > 0 {
		t.Logf("rolling deploy of %d tasks took %v: %d of %d clients disconnected and reconnected, for p50 %v, max %v",
			len(old), deploy.Round(time.Millisecond), cut, len(names), gaps[len(gaps)/2].Round(time.Millisecond), gaps[len(gaps)-1].Round(time.Millisecond))
	} else {
		t.Errorf("no client was moved although every old task was stopped")
	}
	// Everyone is served by the new tasks.
	status(t, "send to all after the deploy", http.StatusAccepted)(d.rest.SendToAll(context.Background(), hub, recv, []any{"after-deploy"}))
	for _, name := range names {
		if err := d.received(name, "after-deploy", wait); err != nil {
			t.Error(err)
		}
	}
}
