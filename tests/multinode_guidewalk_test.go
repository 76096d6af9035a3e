package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/gateway"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/token"
	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/proc"
)

// record is one JSON log line of a process.
type record map[string]any

// str is field k of r as a string ("" when absent or not a string).
func (r record) str(k string) string { s, _ := r[k].(string); return s }

// jsonRecords parses the JSON log lines of p (other lines, such as a race
// report, are skipped) that have every field of want (key, value pairs).
func jsonRecords(p *proc.Child, want ...string) []record {
	var out []record
next:
	for _, line := range strings.Split(p.Logs(), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var r record
		if json.Unmarshal([]byte(line), &r) != nil {
			continue
		}
		for i := 0; i+1 < len(want); i += 2 {
			if r.str(want[i]) != want[i+1] {
				continue next
			}
		}
		out = append(out, r)
	}
	return out
}

// resourceRecords are the resource log records of p (those with a
// category) about want.
func resourceRecords(p *proc.Child, want ...string) []record {
	var out []record
	for _, r := range jsonRecords(p, want...) {
		if r.str("category") != "" {
			out = append(out, r)
		}
	}
	return out
}

// checkRecord compares r with want field for field: every field of want
// must be there with that value, and r may have no field want lacks
// besides time (which must be RFC 3339, within the test's run). want
// values "*" only need the field to be present.
func checkRecord(t *testing.T, what string, r record, want record) {
	t.Helper()
	var problems []string
	for k, v := range want {
		got, ok := r[k]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("no %s (want %v)", k, v))
		case v == "*":
		case fmt.Sprint(got) != fmt.Sprint(v):
			problems = append(problems, fmt.Sprintf("%s = %v, want %v", k, got, v))
		}
	}
	for k := range r {
		if _, ok := want[k]; !ok && k != "time" {
			problems = append(problems, fmt.Sprintf("unexpected field %s = %v", k, r[k]))
		}
	}
	if ts, err := time.Parse(time.RFC3339Nano, r.str("time")); err != nil || time.Since(ts) > 5*time.Minute {
		problems = append(problems, fmt.Sprintf("time %q: not a recent RFC 3339 time (%v)", r.str("time"), err))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		b, _ := json.Marshal(r)
		t.Errorf("%s: record %s:\n  %s", what, b, strings.Join(problems, "\n  "))
	}
}

// exactlyOne waits until find returns a record and returns it; it fails
// the test when there is none within wait, or more than one then or after
// a short grace (a record written twice would be there by then).
func exactlyOne(t *testing.T, what string, find func() []record) record {
	t.Helper()
	within(t, wait, what, func() error {
		if len(find()) == 0 {
			return fmt.Errorf("no record yet")
		}
		return nil
	})
	time.Sleep(100 * time.Millisecond)
	got := find()
	if len(got) != 1 {
		t.Fatalf("%s: %d records, want 1: %v", what, len(got), got)
	}
	return got[0]
}

// one is the one resource record of p with the fields of match.
func one(t *testing.T, p *proc.Child, what string, match ...string) record {
	t.Helper()
	return exactlyOne(t, what, func() []record { return resourceRecords(p, match...) })
}

// none fails the test when any process in ps has a resource record with
// the fields of match.
func none(t *testing.T, what string, match []string, ps ...*proc.Child) {
	t.Helper()
	for _, p := range ps {
		if got := resourceRecords(p, match...); len(got) > 0 {
			t.Errorf("%s: %d records with %q, want none: %v", what, len(got), match, got)
		}
	}
}

// guideUpstream is the upstream function of the guide walk: the
// invocation "fail" is answered 500, "slow" never
// (the gateway's upstream timeout fires); connection events are 200.
func guideUpstream(t *testing.T) string {
	t.Helper()
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so the server notices the caller hanging up
		switch r.Header.Get("X-ASRS-Event") {
		case "fail":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "slow":
			<-r.Context().Done()
		}
		// Anything else: 200 and no body, a void completion.
	}))
	t.Cleanup(fn.Close)
	settings := filepath.Join(t.TempDir(), "settings.json")
	body := `{"UpstreamSettings":{"Templates":[
		{"UrlTemplate":"http://127.0.0.1:1/{event}","EventPattern":"unreachable","CategoryPattern":"messages"},
		{"UrlTemplate":"` + fn.URL + `/{event}"}]}}`
	if err := os.WriteFile(settings, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return settings
}

// diagSet runs `herald diag set args...` (the local binary) on the
// cluster's Redis, as an operator would, and returns what it printed.
func (c *cluster) diagSet(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(c.bin, append([]string{"diag", "set", "--by", "guide-walk"}, args...)...)
	cmd.Env = []string{"REDIS_URL=" + c.redisURL}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("herald diag set %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// awaitSwitches waits until every process in ps has logged that it
// switched to want ("connectivity=true messaging=all http=false") from
// the deployment setting.
func awaitSwitches(t *testing.T, want string, ps ...*proc.Child) {
	t.Helper()
	within(t, wait, "every node follows the deployment setting "+want, func() error {
		for _, p := range ps {
			if len(jsonRecords(p, "msg", "diagnostics switches changed", "source", "deployment", "by", "guide-walk", "new", want)) == 0 {
				return fmt.Errorf("%s has not switched to %s", p.Addr, want)
			}
		}
		return nil
	})
}

// The resource-log troubleshooting guide (docs/diagnostics.md,
// docs/troubleshooting.md), walked on two gateway processes over one
// Redis, the functions process serving negotiate and the REST API, and an
// upstream function: each scenario checks the exact records an operator
// reads (operationName, message, category, level, hub, connection, user,
// transport, tracing id, caller address), not that some line contains a
// word. The scenarios share the processes; the service reload drains
// gateway 2 last.
func TestMultiNodeResourceLogGuide(t *testing.T) {
	t.Parallel()
	settings := guideUpstream(t)
	c := newCluster(t, 0, "--log-format", "json")
	for range 2 {
		c.addGateway(t, "HERALD_LOG_FORMAT=json", "HERALD_DIAG_POLL=200ms",
			"HERALD_CLIENT_TIMEOUT=3s", "HERALD_KEEPALIVE_INTERVAL=500ms",
			"HERALD_UPSTREAM_SETTINGS="+settings, "HERALD_UPSTREAM_TIMEOUT=1s")
	}
	gws := c.gateways
	all := []*proc.Child{gws[gw1], gws[gw2], c.functions}
	ctx := context.Background()

	// connect places a JSON WebSocket client on gateway gw through driver
	// d, negotiated with the functions process; it pings every 300 ms,
	// well within the gateways' 3 s client timeout.
	connect := func(d *jsclient.Driver, gw int, name, user string) string {
		t.Helper()
		u, tok := c.clientURL(t, name, user, gws[gw].Addr)
		return d.ConnectWait(t, jsclient.ConnectOptions{Name: name, URL: u, AccessToken: tok,
			Transport: jsclient.WebSockets, Methods: []string{recv}, KeepAliveMs: 300}, wait)
	}
	// connectivity is the connectivity record every connection of this
	// walk gets, with the fields of its event.
	connectivity := func(op, id, user, message, label string) record {
		r := record{"level": "INFO", "msg": op, "operationName": op, "category": "ConnectivityLogs",
			"collection": "Connection", "message": message, "hubName": hub, "connectionId": id,
			"connectionType": "Client", "transportType": "WebSockets", "protocol": "json",
			"callerIpAddress": "127.0.0.1"}
		if user != "" {
			r["userId"] = user
		}
		if label != "" {
			r["reasonLabel"] = label
		}
		return r
	}
	ended := func(id, user string) record {
		return connectivity(diag.ConnectionEnded, id, user, "Connection ended.", gateway.CloseClientClosed)
	}
	aborted := func(id, user, reason, label string) record {
		return connectivity(diag.ConnectionAborted, id, user, "Connection aborted. Reason: "+reason, label)
	}
	// end is the one end record (ConnectionEnded or ConnectionAborted) of
	// connection id on p.
	end := func(p *proc.Child, id string) record {
		t.Helper()
		return exactlyOne(t, "the end of "+id, func() []record {
			return append(resourceRecords(p, "msg", diag.ConnectionEnded, "connectionId", id),
				resourceRecords(p, "msg", diag.ConnectionAborted, "connectionId", id)...)
		})
	}

	// 1. Resource logs switched on at runtime, for the deployment, by
	// `herald diag set`: nothing before, the records after, on both
	// gateways, without a restart.
	early := []string{connect(c.js, gw1, "early1", "erin"), connect(c.js, gw2, "early2", "eve")}
	for i, id := range early {
		within(t, wait, "the debug line of "+id, func() error {
			if len(jsonRecords(gws[i], "msg", "connection started", "connectionId", id)) == 0 {
				return fmt.Errorf("no debug line for %s", id)
			}
			return nil
		})
	}
	for _, p := range all {
		if got := resourceRecords(p); len(got) > 0 {
			t.Fatalf("%s wrote resource records with the logs off: %v", p.Addr, got)
		}
	}
	out := c.diagSet(t, "--connectivity", "--messaging", "all")
	if !strings.Contains(out, `herald:{diag}:switches = {"connectivity":true,"messaging":"all","http":false,"by":"guide-walk"`) {
		t.Fatalf("herald diag set printed %q", out)
	}
	awaitSwitches(t, "connectivity=true messaging=all http=false", all...)
	started := []string{connect(c.js, gw1, "s1", "sam"), connect(c.js, gw2, "s2", "sue")}
	for i, id := range started {
		checkRecord(t, "ConnectionStarted on gateway "+fmt.Sprint(i+1),
			one(t, gws[i], "ConnectionStarted of "+id, "msg", diag.ConnectionStarted, "connectionId", id),
			connectivity(diag.ConnectionStarted, id, []string{"sam", "sue"}[i], "Connection started.", ""))
	}
	for _, id := range early {
		none(t, "a connection opened while the logs were off", []string{"msg", diag.ConnectionStarted, "connectionId", id}, gws...)
	}

	// The clients left on gateway 2 when it drains (scenario 5), by id:
	// their user and whether they are diagnostic clients.
	type left struct {
		user       string
		diagnostic bool
	}
	onGateway2 := map[string]left{early[1]: {"eve", false}}

	t.Run("client_stop", func(t *testing.T) {
		// 2. The official client's stop(), one on each gateway: a normal
		// close, ConnectionEnded, never ConnectionAborted.
		for i, name := range []string{"s1", "s2"} {
			if err := c.js.Stop(name); err != nil {
				t.Fatal(err)
			}
			c.js.Expect(t, name, jsclient.KindClosed, wait)
			checkRecord(t, "stop() on gateway "+fmt.Sprint(i+1), end(gws[i], started[i]), ended(started[i], []string{"sam", "sue"}[i]))
		}
	})

	t.Run("app_close", func(t *testing.T) {
		// 3. The application closes a connection through the REST API (served
		// by the functions process): ConnectionAborted with the reason it
		// gave, or Azure's default sentence.
		a1, a2 := connect(c.js, gw1, "a1", "ann"), connect(c.js, gw2, "a2", "")
		status(t, "close a1", http.StatusOK)(c.rest.CloseConnection(ctx, hub, a1, ""))
		status(t, "close a2", http.StatusOK)(c.rest.CloseConnection(ctx, hub, a2, "kicked by moderator"))
		checkRecord(t, "REST close on gateway 1", end(gws[gw1], a1), aborted(a1, "ann", gateway.ReasonAppClosed, gateway.CloseAppClosed))
		checkRecord(t, "REST close with a reason on gateway 2", end(gws[gw2], a2), aborted(a2, "", "kicked by moderator", gateway.CloseAppClosed))
	})

	t.Run("ping_timeout", func(t *testing.T) {
		// 4. A client that stops answering (its process frozen) is closed
		// after the client timeout (3 s here).
		frozen := jsclient.Start(t)
		p1 := connect(frozen, gw1, "p1", "pat")
		if err := frozen.Freeze(); err != nil {
			t.Fatal(err)
		}
		checkRecord(t, "ping timeout on gateway 1", end(gws[gw1], p1), aborted(p1, "pat", gateway.ReasonPingTimeout, gateway.ClosePingTimeout))
	})

	t.Run("join_not_awaited", func(t *testing.T) {
		// 6. A message lost because the app sent to a group before its join
		// completed: the two calls' tracing ids (the X-Herald-Trace-Id of
		// each REST answer) lead to the send's MessageReceived, written
		// before the join's GroupJoined, and to no MessageDelivered; the
		// next send is delivered.
		r := connect(c.js, gw2, "r6", "ray")
		onGateway2[r] = left{"ray", false}
		lost := c.payload("lost")
		sendResp := status(t, "send to g6", http.StatusAccepted)(c.rest.SendToGroup(ctx, hub, "g6", recv, []any{lost}))
		joinResp := status(t, "add r6 to g6", http.StatusOK)(c.rest.AddToGroup(ctx, hub, "g6", r))
		kept := c.payload("kept")
		againResp := status(t, "send to g6 again", http.StatusAccepted)(c.rest.SendToGroup(ctx, hub, "g6", recv, []any{kept}))
		c.expectRecv(t, "r6", kept)
		send, join, again := sendResp.Header.Get(httpapi.TraceHeader), joinResp.Header.Get(httpapi.TraceHeader), againResp.Header.Get(httpapi.TraceHeader)

		received := one(t, c.functions, "MessageReceived of the lost send", "msg", diag.MessageReceived, "messageTracingId", send)
		checkRecord(t, "the lost send", received, record{"level": "INFO", "msg": diag.MessageReceived, "operationName": diag.MessageReceived,
			"category": "MessagingLogs", "collection": "Message", "message": "Received a message from the REST API.",
			"hubName": hub, "messageTracingId": send, "messageType": "GroupBroadcastDataMessage", "scope": "group", "target": "g6",
			"groupName": "g6", "method": recv, "callerIpAddress": "127.0.0.1"})
		joined := one(t, c.functions, "GroupJoined of the join", "msg", diag.GroupJoined, "messageTracingId", join)
		checkRecord(t, "the join", joined, record{"level": "INFO", "msg": diag.GroupJoined, "operationName": diag.GroupJoined,
			"category": "MessagingLogs", "collection": "Message", "message": "Added to the group.",
			"hubName": hub, "messageTracingId": join, "messageType": "JoinGroupWithAckMessage",
			"connectionId": r, "connectionType": "Client", "groupName": "g6", "callerIpAddress": "127.0.0.1"})
		sentAt, err1 := time.Parse(time.RFC3339Nano, received.str("time"))
		joinedAt, err2 := time.Parse(time.RFC3339Nano, joined.str("time"))
		if err1 != nil || err2 != nil || !sentAt.Before(joinedAt) {
			t.Errorf("the lost send's MessageReceived (%s) is not before the join's GroupJoined (%s)", received.str("time"), joined.str("time"))
		}
		checkRecord(t, "the delivery after the join", one(t, gws[gw2], "MessageDelivered of the second send", "msg", diag.MessageDelivered, "messageTracingId", again),
			record{"level": "INFO", "msg": diag.MessageDelivered, "operationName": diag.MessageDelivered,
				"category": "MessagingLogs", "collection": "Message", "message": "Queued a message to the connection.",
				"hubName": hub, "messageTracingId": again, "messageType": "GroupBroadcastDataMessage", "scope": "group", "target": "g6",
				"groupName": "g6", "method": recv, "connectionId": r, "userId": "ray", "connectionType": "Client",
				"callerIpAddress": "127.0.0.1"})
		none(t, "the lost send", []string{"msg", diag.MessageDelivered, "messageTracingId", send}, gws...)
		none(t, "the lost send", []string{"msg", diag.MessageDropped, "messageTracingId", send}, gws...)
	})

	t.Run("upstream_failures", func(t *testing.T) {
		// 7. A client's invocation the upstream function fails (500), does
		// not answer in time (1 s here) or cannot be reached: one
		// UpstreamFailed each, with the status or the reason, under the
		// tracing id of the invocation's MessageReceived.
		u := connect(c.js, gw1, "u7", "uma")
		for _, tc := range []struct {
			method, reason string
			status         int
		}{
			{"fail", "Invocation failed, status code 500", 500},
			{"slow", "Invocation failed, upstream timed out.", 0},
			{"unreachable", "Invocation failed, upstream unreachable.", 0},
		} {
			if err := c.js.Invoke("u7", tc.method, tc.method); err != nil {
				t.Fatal(err)
			}
			c.js.ExpectFunc(t, wait, "the error completion of "+tc.method, jsclient.IsReply("u7", tc.method))
			rec := one(t, gws[gw1], "MessageReceived of "+tc.method, "msg", diag.MessageReceived, "connectionId", u, "method", tc.method)
			trace := rec.str("messageTracingId")
			checkRecord(t, "the invocation "+tc.method, rec, record{"level": "INFO", "msg": diag.MessageReceived, "operationName": diag.MessageReceived,
				"category": "MessagingLogs", "collection": "Message", "message": "Received a message from the client connection.",
				"hubName": hub, "messageTracingId": "*", "messageType": "InvocationMessage", "scope": "client", "method": tc.method,
				"connectionId": u, "connectionType": "Client", "userId": "uma", "callerIpAddress": "127.0.0.1"})
			failed := one(t, gws[gw1], "UpstreamFailed of "+tc.method, "msg", diag.UpstreamFailed, "messageTracingId", trace)
			want := record{"level": "INFO", "msg": diag.UpstreamFailed, "operationName": diag.UpstreamFailed,
				"category": "MessagingLogs", "collection": "Message", "message": "The upstream call failed. Reason: " + tc.reason,
				"hubName": hub, "messageTracingId": trace, "messageType": "InvocationMessage", "scope": "client", "method": tc.method,
				"connectionId": u, "connectionType": "Client", "userId": "uma", "callerIpAddress": "127.0.0.1"}
			if tc.status != 0 {
				want["status"] = tc.status
			}
			checkRecord(t, "the failure of "+tc.method, failed, want)
		}
	})

	t.Run("auth_refused", func(t *testing.T) {
		// 8. A token signed with another key on negotiate (gateway 1) and an
		// expired token on connect (gateway 2): one warning each with the
		// reason, never the token.
		other, err := token.NewIssuer(token.IssuerConfig{Key: strings.Repeat("k", 43)})
		if err != nil {
			t.Fatal(err)
		}
		// Issued two hours ago for one hour: past the verifier's leeway.
		past, err := token.NewIssuer(token.IssuerConfig{Key: node.DevAccessKey, Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }})
		if err != nil {
			t.Fatal(err)
		}
		forged, err := other.Issue(gws[gw1].URL()+"/client/?hub="+hub, map[string]any{token.ClaimUserID: "mallory"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		expired, err := past.Issue(gws[gw2].URL()+"/client/?hub="+hub, map[string]any{token.ClaimUserID: "ed"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			gw           int
			method, path string
			tok, route   string
			label        string
		}{
			{gw1, http.MethodPost, "/client/negotiate?hub=" + hub + "&negotiateVersion=1", forged, "negotiate", token.ReasonSignature},
			{gw2, http.MethodGet, "/client/?hub=" + hub + "&id=x", expired, "connect", token.ReasonExpired},
		} {
			req, err := http.NewRequest(tc.method, gws[tc.gw].URL()+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tc.tok)
			if tc.route == "connect" { // a WebSocket connect, which its node serves
				req.Header.Set("Connection", "Upgrade")
				req.Header.Set("Upgrade", "websocket")
				req.Header.Set("Sec-WebSocket-Version", "13")
				req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			}
			resp, err := c.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%s with a bad token: %d %s, want 401", tc.route, resp.StatusCode, body)
			}
			refused := exactlyOne(t, "the refusal of the "+tc.route, func() []record {
				return jsonRecords(gws[tc.gw], "msg", gateway.LogClientTokenRefused, "route", tc.route)
			})
			reason, _ := strings.CutPrefix(strings.TrimSpace(string(body)), "Unauthorized: ")
			checkRecord(t, "the refused "+tc.route, refused, record{"level": "WARN", "msg": gateway.LogClientTokenRefused,
				"hubName": hub, "route": tc.route, "path": strings.Split(tc.path, "?")[0], "callerIpAddress": "127.0.0.1",
				"reasonLabel": tc.label, "message": reason})
			for _, p := range all {
				if strings.Contains(p.Logs(), tc.tok) || strings.Contains(p.Logs(), strings.Split(tc.tok, ".")[2]) {
					t.Errorf("%s logged the refused token", p.Addr)
				}
			}
		}
	})

	t.Run("diagnostic_client", func(t *testing.T) {
		// 9. Messaging logs for diagnostic clients only: a client whose token
		// has asrs.s.dc is traced both ways (a broadcast delivered to it, its
		// invocation for the upstream); a plain client is not.
		c.diagSet(t, "--messaging", "diagnostic")
		awaitSwitches(t, "connectivity=true messaging=diagnostic http=false", all...)
		iss, err := token.NewIssuer(token.IssuerConfig{Key: node.DevAccessKey})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := iss.Issue(gws[gw2].URL()+"/client/?hub="+hub, map[string]any{token.ClaimUserID: "dora", token.ClaimDiagnostic: "true"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		d := c.js.ConnectWait(t, jsclient.ConnectOptions{Name: "d9", URL: gws[gw2].URL() + "/client/?hub=" + hub, AccessToken: tok,
			Transport: jsclient.WebSockets, Methods: []string{recv}, KeepAliveMs: 300}, wait)
		onGateway2[d] = left{"dora", true}
		plain := connect(c.js, gw1, "n9", "nick")

		text := c.payload("to-all")
		trace := status(t, "broadcast", http.StatusAccepted)(c.rest.SendToAll(ctx, hub, recv, []any{text})).Header.Get(httpapi.TraceHeader)
		c.expectRecv(t, "d9", text)
		c.expectRecv(t, "n9", text)
		checkRecord(t, "the broadcast to the diagnostic client",
			one(t, gws[gw2], "MessageDelivered to d9", "msg", diag.MessageDelivered, "messageTracingId", trace),
			record{"level": "INFO", "msg": diag.MessageDelivered, "operationName": diag.MessageDelivered,
				"category": "MessagingLogs", "collection": "Message", "message": "Queued a message to the connection.",
				"hubName": hub, "messageTracingId": trace, "messageType": "BroadcastDataMessage", "scope": "all", "method": recv,
				"connectionId": d, "connectionType": "Client", "userId": "dora", "diagnostic": true, "callerIpAddress": "127.0.0.1"})
		none(t, "the broadcast to a plain client", []string{"messageTracingId", trace, "connectionId", plain}, gws...)
		// The REST API cannot know the broadcast reaches a diagnostic
		// client: its trace starts at the delivery (docs/diagnostics.md).
		none(t, "the REST API in diagnostic mode", []string{"messageTracingId", trace}, c.functions)

		for _, name := range []string{"d9", "n9"} {
			if err := c.js.Invoke(name, "ok-"+name, "ok"); err != nil {
				t.Fatal(err)
			}
			c.js.ExpectFunc(t, wait, "the result of ok", jsclient.IsReply(name, "ok-"+name))
		}
		received := one(t, gws[gw2], "MessageReceived of d9's invocation", "msg", diag.MessageReceived, "connectionId", d)
		inv := received.str("messageTracingId")
		base := record{"level": "INFO", "category": "MessagingLogs", "collection": "Message",
			"hubName": hub, "messageTracingId": inv, "messageType": "InvocationMessage", "scope": "client", "method": "ok",
			"connectionId": d, "connectionType": "Client", "userId": "dora", "diagnostic": true, "callerIpAddress": "127.0.0.1"}
		with := func(op, message string, extra ...any) record {
			r := record{"msg": op, "operationName": op, "message": message}
			for k, v := range base {
				r[k] = v
			}
			for i := 0; i+1 < len(extra); i += 2 {
				r[extra[i].(string)] = extra[i+1]
			}
			return r
		}
		checkRecord(t, "the diagnostic client's invocation", received, with(diag.MessageReceived, "Received a message from the client connection."))
		checkRecord(t, "its delivery to the upstream", one(t, gws[gw2], "UpstreamDelivered", "msg", diag.UpstreamDelivered, "messageTracingId", inv),
			with(diag.UpstreamDelivered, "Delivered the message to the upstream.", "status", 200))
		checkRecord(t, "the upstream's answer", one(t, gws[gw2], "UpstreamAnswered", "msg", diag.UpstreamAnswered, "messageTracingId", inv),
			with(diag.UpstreamAnswered, "Sent the upstream's answer to the client connection.", "status", 200))
		for _, op := range []string{diag.MessageReceived, diag.UpstreamDelivered, diag.UpstreamAnswered} {
			none(t, "the plain client's invocation", []string{"msg", op, "connectionId", plain}, gws...)
		}
	})

	t.Run("service_reload", func(t *testing.T) {
		// 5. Gateway 2 drains (SIGTERM, as ECS stops a task): each of its
		// clients gets one ConnectionAborted "Service reloading, try
		// reconnecting", including one opened while the logs were off.
		if err := gws[gw2].Stop(); err != nil {
			t.Fatalf("gateway 2 did not drain cleanly: %v", err)
		}
		for id, l := range onGateway2 {
			want := aborted(id, l.user, gateway.ReasonServiceReloading, gateway.CloseServiceReload)
			if l.diagnostic {
				want["diagnostic"] = true
			}
			checkRecord(t, "the reload of "+id, end(gws[gw2], id), want)
		}
		if len(onGateway2) != 3 {
			t.Errorf("clients on gateway 2 when it drained: %v, want 3", onGateway2)
		}
	})
}
