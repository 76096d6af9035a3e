package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/redis/go-redis/v9"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/livetrace"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/upstream"
	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

// The standing attack suite for input validation and per-caller limits (SECURITY.md):
// each test replays an attack that worked before the fix against real processes
// (an emulator, or gateway and functions processes over a throwaway Redis) with the
// official client and SDK-shaped REST calls, and checks that it no longer does.

// rawREST sends method to hub's path (already escaped) with rawQuery appended verbatim
// after api-version (the SDK client would escape it), signed like the SDK, and returns
// the status, the x-ms-error-code and the body.
func rawREST(t *testing.T, rest *mgmt.Client, method, path, rawQuery, contentType string, body []byte) (int, string, string) {
	t.Helper()
	tok, err := rest.Token(hub, path)
	if err != nil {
		t.Fatal(err)
	}
	u := rest.URL(hub, path)
	if rawQuery != "" {
		u += "&" + rawQuery
	}
	var r io.Reader
	if body != nil {
		r = strings.NewReader(string(body))
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("x-ms-error-code"), string(b)
}

// noCloses fails the test when one of the named connections was closed or failed.
func noCloses(t *testing.T, js *jsclient.Driver, names ...string) {
	t.Helper()
	for _, name := range names {
		if got := js.Pending(func(ev jsclient.Event) bool {
			return ev.Name == name && (ev.Kind == jsclient.KindClosed || ev.Kind == jsclient.KindError)
		}); len(got) > 0 {
			t.Errorf("%s was closed or failed: %v", name, got)
		}
	}
}

// D6: group names that differ only in invalid UTF-8 bytes collapsed to U+FFFD in the
// gateways' index on Redis, so a send to group %FE reached the members of %FF while REST
// said %FE did not exist. Such names are now refused (400) on every route, and valid
// names that a careless encoding would merge (U+FFFD itself) stay apart, across two
// gateway processes.
func TestAttackInvalidUTF8GroupNamesOnRedis(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2)
	ctx := context.Background()
	x := c.connectTo(t, gw2, "x", "xuser")
	y := c.connectTo(t, gw1, "y", "yuser")

	for what, call := range map[string]func() (*mgmt.Response, error){
		"add x to group %FF":     func() (*mgmt.Response, error) { return c.rest.AddToGroup(ctx, hub, "\xff", x) },
		"add user to group %FF":  func() (*mgmt.Response, error) { return c.rest.AddUserToGroup(ctx, hub, "xuser", "\xff") },
		"send to group %FE":      func() (*mgmt.Response, error) { return c.rest.SendToGroup(ctx, hub, "\xfe", recv, []any{"leak"}) },
		"exists group %FE":       func() (*mgmt.Response, error) { return c.rest.GroupExists(ctx, hub, "\xfe") },
		"send to user %FE":       func() (*mgmt.Response, error) { return c.rest.SendToUser(ctx, hub, "\xfe", recv, []any{"leak"}) },
		"send to connection %FE": func() (*mgmt.Response, error) { return c.rest.SendToConnection(ctx, hub, "\xfe", recv, []any{"leak"}) },
	} {
		resp, err := call()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %v, want 400", what, resp)
		}
	}
	// U+FFFD itself is a valid name, distinct from "\uFFFD\uFFFD".
	status(t, "add x to group U+FFFD", http.StatusOK)(c.rest.AddToGroup(ctx, hub, "\uFFFD", x))
	status(t, "add y to group U+FFFD U+FFFD", http.StatusOK)(c.rest.AddToGroup(ctx, hub, "\uFFFD\uFFFD", y))
	text := c.payload("fffd")
	status(t, "send to group U+FFFD", http.StatusAccepted)(c.rest.SendToGroup(ctx, hub, "\uFFFD", recv, []any{text}))
	c.expectRecv(t, "x", text)
	c.settle(t, "x", "y")
	noCloses(t, c.js, "x", "y")
}

// D7: REST accepted arguments that are not valid UTF-8 and wrote them into WebSocket text
// frames, which made every JSON client it reached drop its connection (1006). Such a body
// is now a 400 and the clients stay connected.
func TestAttackInvalidUTF8Arguments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(t, "a", "alice")
	e.connectWith(t, jsclient.MessagePack, "m", "bob")
	body := []byte("{\"target\":\"" + recv + "\",\"arguments\":[\"a\xffb\"]}")
	code, errCode, msg := rawREST(t, e.rest, http.MethodPost, "/:send", "", "application/json", body)
	if code != http.StatusBadRequest || !strings.Contains(msg, "UTF-8") {
		t.Errorf("send with invalid UTF-8 arguments: %d %s %s, want 400 naming UTF-8", code, errCode, msg)
	}
	e.settle(t, "a", "m")
	noCloses(t, e.js, "a", "m")
}

// A query value that is not valid percent-encoding was dropped in silence: ttl=%zz made a
// membership without expiry (200), excluded=%zz delivered to the connection meant to be
// excluded, reason=%zz closed the connection without its reason. Each is now a 400 naming
// the parameter, and nothing happens.
func TestAttackMalformedQueryValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	a := e.connect(t, "a", "alice")
	e.connect(t, "b", "bob")
	for _, tc := range []struct{ method, path, query, param string }{
		{http.MethodPut, "/users/alice/groups/g", "ttl=%zz", "ttl"},
		{http.MethodPost, "/:send", "excluded=" + mgmt.Escape(a) + "&excluded=%zz", "excluded"},
		{http.MethodDelete, "/connections/" + mgmt.Escape(a), "reason=%zz", "reason"},
		{http.MethodPost, "/:closeConnections", "reason=%E0%80", "reason"},
	} {
		var body []byte
		ct := ""
		if tc.method == http.MethodPost && tc.path == "/:send" {
			body, ct = []byte(`{"target":"`+recv+`","arguments":["leak"]}`), "application/json"
		}
		code, _, msg := rawREST(t, e.rest, tc.method, tc.path, tc.query, ct, body)
		var eb struct{ Target string }
		_ = json.Unmarshal([]byte(msg), &eb)
		if code != http.StatusBadRequest || eb.Target != tc.param {
			t.Errorf("%s %s?%s: %d %s, want 400 naming %s", tc.method, tc.path, tc.query, code, msg, tc.param)
		}
	}
	notFound(t, "alice in g", "Info.User.NotInGroup")(e.rest.UserInGroup(ctx, hub, "alice", "g"))
	e.settle(t, "a", "b") // nobody got "leak", nobody was closed
	noCloses(t, e.js, "a", "b")
}

// An upstream URL template's {event} kept "." and "..", so a client invoking ".." made a
// path-normalizing upstream resolve the event segment away and route the call to another
// endpoint. Such targets are now refused with an error completion and no request; a
// normal invocation still arrives where the template says.
func TestAttackDotEventsAgainstNormalizingUpstream(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var paths []string // the cleaned paths the upstream routed
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, path.Clean(r.URL.Path)) // what a normalizing router routes on
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(up.Close)
	const eventsBase = "/hooks/chat/events"
	e := newEnv(t, func(cfg *node.Config) {
		cfg.Upstream = &upstream.Settings{Templates: []upstream.Template{{URLTemplate: up.URL + eventsBase + "/{event}"}}}
	})
	e.connect(t, "a", "alice")
	for i, target := range []string{"..", ".", "ok"} {
		id := fmt.Sprintf("r%d", i)
		if err := e.js.Invoke("a", id, target); err != nil {
			t.Fatal(err)
		}
		reply := e.js.ExpectFunc(t, wait, "reply to "+id, jsclient.IsReply("a", id))
		if target == "ok" {
			if reply.Kind != jsclient.KindResult {
				t.Errorf("invoke ok: %s, want a result", reply.Raw)
			}
			continue
		}
		if reply.Kind != jsclient.KindError {
			t.Errorf("invoke %q: %s, want an error completion", target, reply.Raw)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range paths {
		if !strings.HasPrefix(p, eventsBase+"/") {
			t.Errorf("the upstream routed a client invocation to %s, outside %s/", p, eventsBase)
		}
	}
	if len(paths) == 0 || paths[len(paths)-1] != eventsBase+"/ok" {
		t.Errorf("upstream requests %q, want the last at %s/ok", paths, eventsBase)
	}
	noCloses(t, e.js, "a")
}

// D9: each gateway's Redis hub set kept every hub name ever used while the node lived
// (3,000 churned hubs left 1,501 entries per node). Hubs connected to once by official
// clients and left are reclaimed: the set holds what a control hub kept connected holds.
func TestAttackHubChurnOnRedis(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 1)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: c.redis.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	hubSets := func() int64 {
		keys, err := rdb.Keys(ctx, "herald:{nodes}:hubs:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, k := range keys {
			n += rdb.SCard(ctx, k).Val()
		}
		return n
	}
	c.connectTo(t, gw1, "control", "") // hub chat stays connected throughout
	control := hubSets()
	const churn = 60
	for i := range churn {
		name := fmt.Sprintf("churn%d", i)
		u, tok := c.hubClientURL(t, fmt.Sprintf("churn%d", i))
		c.js.ConnectWait(t, jsclient.ConnectOptions{Name: name, URL: u, AccessToken: tok, Transport: jsclient.WebSockets}, wait)
		if err := c.js.Stop(name); err != nil {
			t.Fatal(err)
		}
		c.js.Expect(t, name, jsclient.KindClosed, wait)
	}
	within(t, prompt, "hub set back to the control's size", func() error {
		if n := hubSets(); n != control {
			return fmt.Errorf("%d hub set entries after %d churned hubs, control %d", n, churn, control)
		}
		return nil
	})
	if control != 1 {
		t.Errorf("control hub set holds %d entries, want 1", control)
	}
}

// hubClientURL negotiates with the functions process for hub h and returns the gateway
// URL and access token it handed out.
func (c *cluster) hubClientURL(t *testing.T, h string) (string, string) {
	t.Helper()
	resp, err := c.http.Post(c.functions.URL()+"/api/negotiate?hub="+h, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info connectionInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("negotiate hub %s: %d %v", h, resp.StatusCode, err)
	}
	return info.URL, info.AccessToken
}

// Joining groups beyond the per-connection and per-user limits is refused with 409 and
// a message naming the limit; the groups joined before keep working.
func TestAttackGroupLimits(t *testing.T) {
	t.Parallel()
	const limit = 20
	e := newEnv(t, func(cfg *node.Config) {
		cfg.GroupLimits = bus.GroupLimits{PerConnection: limit, PerUser: limit}
	})
	ctx := context.Background()
	a := e.connect(t, "a", "alice")
	for i := range limit {
		status(t, "join", http.StatusOK)(e.rest.AddToGroup(ctx, hub, fmt.Sprintf("g%d", i), a))
		status(t, "user join", http.StatusOK)(e.rest.AddUserToGroup(ctx, hub, "bob", fmt.Sprintf("g%d", i)))
	}
	resp := status(t, "join one more", http.StatusConflict)(e.rest.AddToGroup(ctx, hub, "extra", a))
	if !strings.Contains(string(resp.Body), "groups") {
		t.Errorf("join over the limit: %s does not explain", resp.Body)
	}
	status(t, "user join one more", http.StatusConflict)(e.rest.AddUserToGroup(ctx, hub, "bob", "extra"))
	text := e.payload("g")
	status(t, "send to g0", http.StatusAccepted)(e.rest.SendToGroup(ctx, hub, "g0", recv, []any{text}))
	e.expectRecv(t, "a", text)
	e.settle(t, "a")
}

// One client address holds at most MaxAddressConnections connections: the next official
// client fails to start (429), the ones connected keep working.
func TestAttackConnectionsPerAddress(t *testing.T) {
	t.Parallel()
	const limit = 3
	e := newEnv(t, func(cfg *node.Config) { cfg.Gateway.MaxAddressConnections = limit })
	var names []string
	for i := range limit {
		names = append(names, fmt.Sprintf("c%d", i))
		e.connect(t, names[i], "")
	}
	if err := e.js.Connect(jsclient.ConnectOptions{Name: "over", URL: e.clientURL(), Transport: jsclient.WebSockets}); err != nil {
		t.Fatal(err)
	}
	ev := e.js.ExpectFunc(t, wait, "outcome of the connect over the limit", func(ev jsclient.Event) bool {
		return ev.Name == "over" && (ev.Kind == jsclient.KindConnected || ev.Kind == jsclient.KindError)
	})
	if ev.Kind != jsclient.KindError {
		t.Errorf("connect over the per-address limit: %s, want an error", ev.Raw)
	}
	// The browser-style client does not show the status: a raw upgrade does.
	if got := rawConnectStatus(t, e.srv.URL()); !strings.Contains(got, "429") {
		t.Errorf("raw connect over the per-address limit: %q, want 429", got)
	}
	e.settle(t, names...)
}

// rawConnectStatus negotiates like a client (app negotiate, then the gateway's) and
// opens a WebSocket with a plain Go client; it returns the dial error ("" on success,
// the connection is then closed at once).
func rawConnectStatus(t *testing.T, base string) string {
	t.Helper()
	return rawConnectHubStatus(t, base, hub)
}

// rawConnectHubStatus is rawConnectStatus for hub h.
func rawConnectHubStatus(t *testing.T, base, h string) string {
	t.Helper()
	resp, err := http.Post(base+"/api/negotiate?hub="+h, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var info connectionInfo
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(info.URL)
	if err != nil {
		t.Fatal(err)
	}
	neg := *u
	neg.Path = strings.TrimSuffix(u.Path, "/") + "/negotiate"
	q := neg.Query()
	q.Set("negotiateVersion", "1")
	neg.RawQuery = q.Encode()
	req, _ := http.NewRequest(http.MethodPost, neg.String(), nil)
	req.Header.Set("Authorization", "Bearer "+info.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var nr struct{ ConnectionToken string }
	err = json.NewDecoder(resp.Body).Decode(&nr)
	resp.Body.Close()
	if err != nil || nr.ConnectionToken == "" {
		t.Fatalf("gateway negotiate: %d %v", resp.StatusCode, err)
	}
	wsURL := *u
	wsURL.Scheme = "ws"
	q = wsURL.Query()
	q.Set("id", nr.ConnectionToken)
	wsURL.RawQuery = q.Encode()
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"Authorization": {"Bearer " + info.AccessToken}}), Timeout: wait}
	nc, _, _, err := d.Dial(context.Background(), wsURL.String())
	if err != nil {
		return err.Error()
	}
	_ = nc.Close()
	return ""
}

// Hub names come from clients: a node holds connections in at most MaxHubs hubs, and a
// connect to one more is refused (429) while the hubs it holds keep working; a hub's
// slot comes back when its last connection leaves.
func TestAttackHubsPerNode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(cfg *node.Config) { cfg.Gateway.MaxHubs = 2 })
	e.connect(t, "a", "") // hub chat
	connectHub := func(name, h string) jsclient.Event {
		if err := e.js.Connect(jsclient.ConnectOptions{Name: name, URL: e.srv.URL() + "/api?hub=" + h, Transport: jsclient.WebSockets}); err != nil {
			t.Fatal(err)
		}
		return e.js.ExpectFunc(t, wait, "outcome of connect "+name, func(ev jsclient.Event) bool {
			return ev.Name == name && (ev.Kind == jsclient.KindConnected || ev.Kind == jsclient.KindError)
		})
	}
	if ev := connectHub("b", "second"); ev.Kind != jsclient.KindConnected {
		t.Fatalf("connect to a second hub: %s", ev.Raw)
	}
	if ev := connectHub("c", "third"); ev.Kind != jsclient.KindError {
		t.Errorf("connect to a third hub: %s, want an error", ev.Raw)
	}
	if got := rawConnectHubStatus(t, e.srv.URL(), "fourth"); !strings.Contains(got, "429") {
		t.Errorf("raw connect to a fourth hub: %q, want 429", got)
	}
	e.settle(t, "a")
	if err := e.js.Stop("b"); err != nil {
		t.Fatal(err)
	}
	e.js.Expect(t, "b", jsclient.KindClosed, wait)
	within(t, wait, "a hub slot after the second hub's last connection left", func() error {
		if got := rawConnectHubStatus(t, e.srv.URL(), "fifth"); got != "" {
			return fmt.Errorf("connect to a new hub: %s", got)
		}
		return nil
	})
}

// A live trace token lets anyone open streams, each holding a goroutine and a buffer of
// events: a process serves at most MaxLiveTraceWatchers of them, and the next gets 429.
func TestAttackLiveTraceWatchers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(cfg *node.Config) { cfg.MaxLiveTraceWatchers = 2 })
	tok, err := livetrace.Token(node.DevAccessKey, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	open := func() *http.Response {
		resp, err := http.Get(e.srv.URL() + "/livetrace/events?access_token=" + tok)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for range 2 {
		resp := open()
		t.Cleanup(func() { resp.Body.Close() })
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("live trace stream: %d", resp.StatusCode)
		}
	}
	resp := open()
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("third live trace stream: %d, want 429", resp.StatusCode)
	}
}
