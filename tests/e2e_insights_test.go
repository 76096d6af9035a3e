package tests

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/tests/internal/insights"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// docQueries returns the CloudWatch Logs Insights queries of
// docs/diagnostics.md by their marker (<!-- insights:NAME --> before a
// fenced block).
func docQueries(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../docs/diagnostics.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	re := regexp.MustCompile("(?s)<!-- insights:([a-z-]+) -->\\s*```[a-z]*\\n(.*?)```")
	for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
		out[m[1]] = m[2]
	}
	for _, name := range []string{"connection", "trace", "users", "reasons", "upstream"} {
		if out[name] == "" {
			t.Fatalf("docs/diagnostics.md has no query %q", name)
		}
	}
	return out
}

// ops lists the operationName of each row.
func ops(rows []insights.Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i], _ = r["operationName"].(string)
	}
	return out
}

// The Logs Insights queries of docs/diagnostics.md answer their questions
// over the lines an emulator writes (resource logs and every other record
// on one JSON stream, as the mains log) while the official client and
// the REST API go through a scenario: connections by two users, a group
// join and a group send, invocations the upstream answers and fails, and
// a connection the app closes. A query naming a field Herald does not
// write fails.
func TestInsightsQueriesOnHeraldLogs(t *testing.T) {
	t.Parallel()
	queries := docQueries(t)
	logs := &testsupport.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	e, _ := withUpstreamClient(t, jsclient.Current, func(c *node.Config) {
		c.Logger = logger
		c.Tracer = diag.New(diag.Config{Logger: logger, Connectivity: true, Messaging: diag.MessagingAll, HTTP: true})
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("emulator logs:\n%s", logs.String())
		}
	})
	ctx := context.Background()
	a1 := e.connect(t, "a1", "alice")
	a2 := e.connect(t, "a2", "alice")
	b := e.connect(t, "b", "bob")

	join := status(t, "add b to g", http.StatusOK)(e.rest.AddToGroup(ctx, hub, "g", b)).Header.Get(httpapi.TraceHeader)
	text := e.payload("to-g")
	send := status(t, "send to g", http.StatusAccepted)(e.rest.SendToGroup(ctx, hub, "g", recv, []any{text})).Header.Get(httpapi.TraceHeader)
	e.expectRecv(t, "b", text)
	leave := status(t, "remove b from g", http.StatusOK)(e.rest.RemoveFromGroup(ctx, hub, "g", b)).Header.Get(httpapi.TraceHeader)
	userJoin := ok(t, "add alice to h")(e.rest.AddUserToGroup(ctx, hub, "alice", "h")).Header.Get(httpapi.TraceHeader)
	for id, method := range map[string]string{"echo-1": "echo", "fail-1": "fail"} {
		if err := e.js.Invoke("a1", id, method, "x"); err != nil {
			t.Fatal(err)
		}
		e.js.ExpectFunc(t, wait, method+" reply", jsclient.IsReply("a1", id))
	}
	status(t, "close a2", http.StatusOK)(e.rest.CloseConnection(ctx, hub, a2, "kicked"))
	e.js.Expect(t, "a2", jsclient.KindClosed, wait)

	try := func(name string, replace ...string) ([]insights.Row, error) {
		q := strings.NewReplacer(replace...).Replace(queries[name])
		recs, err := insights.Parse(logs.String())
		if err != nil {
			return nil, err
		}
		rows, err := insights.Run(q, recs)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w\n%s", name, err, q)
		}
		return rows, nil
	}
	run := func(name string, replace ...string) []insights.Row {
		t.Helper()
		rows, err := try(name, replace...)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	// The records come from several goroutines, and the client may see its
	// close before the node has logged it: wait for the last ones (a field
	// no record has yet is not a failure until then).
	eventually(t, "the scenario's last records", func() bool {
		r, err := try("connection", "CONNECTION_ID", a2)
		if err != nil {
			return false
		}
		u, err := try("upstream")
		return err == nil && len(r) > 0 && r[0]["operationName"] == diag.ConnectionAborted && len(u) > 0
	})

	// Why did a2 drop? Newest first: aborted by the app, with the reason.
	rows := run("connection", "CONNECTION_ID", a2)
	if got := ops(rows); len(got) < 2 || got[0] != diag.ConnectionAborted || got[len(got)-1] != diag.ConnectionStarted {
		t.Errorf("connection a2: %v", got)
	} else if m, _ := rows[0]["message"].(string); !strings.Contains(m, "kicked") || rows[0]["reasonLabel"] != "app_closed" {
		t.Errorf("connection a2 ended with %v", rows[0])
	}
	if got := strings.Join(ops(run("connection", "CONNECTION_ID", a1)), " "); !strings.Contains(got, diag.UpstreamFailed) {
		t.Errorf("connection a1 does not show its failed invocation: %s", got)
	}

	// Where did the group send stop? Received, then delivered to b.
	rows = run("trace", "TRACING_ID", send)
	if got := ops(rows); strings.Join(got, " ") != "MessageReceived MessageDelivered" ||
		rows[0]["groupName"] != "g" || rows[1]["connectionId"] != b {
		t.Errorf("trace of the group send: %v", rows)
	}
	rows = run("trace", "TRACING_ID", join)
	if got := ops(rows); strings.Join(got, " ") != diag.GroupJoined || rows[0]["connectionId"] != b || rows[0]["groupName"] != "g" {
		t.Errorf("trace of the group join: %v", rows)
	}
	rows = run("trace", "TRACING_ID", leave)
	if got := ops(rows); strings.Join(got, " ") != diag.GroupLeft || rows[0]["connectionId"] != b || rows[0]["groupName"] != "g" {
		t.Errorf("trace of the group leave: %v", rows)
	}
	rows = run("trace", "TRACING_ID", userJoin)
	if got := ops(rows); strings.Join(got, " ") != diag.GroupJoined || rows[0]["userId"] != "alice" || rows[0]["groupName"] != "h" {
		t.Errorf("trace of the user's group join: %v", rows)
	}
	// A client's invocation: its tracing id is in its MessageReceived.
	for method, want := range map[string]string{
		"echo": "MessageReceived UpstreamDelivered UpstreamAnswered",
		"fail": "MessageReceived UpstreamFailed",
	} {
		recs, _ := insights.Parse(logs.String())
		got, err := insights.Run(`filter operationName = "MessageReceived" and method = "`+method+`"`, recs)
		if err != nil || len(got) != 1 {
			t.Fatalf("MessageReceived of %s: %v %v", method, got, err)
		}
		id, _ := got[0]["messageTracingId"].(string)
		rows = run("trace", "TRACING_ID", id)
		if s := strings.Join(ops(rows), " "); s != want || rows[0]["connectionId"] != a1 || rows[0]["userId"] != "alice" {
			t.Errorf("trace of %s: %s, want %s: %v", method, s, want, rows)
		}
	}

	// Which users hold the most connections?
	rows = run("users")
	if len(rows) != 2 || rows[0]["userId"] != "alice" || rows[0]["connections"] != 2.0 || rows[1]["userId"] != "bob" || rows[1]["connections"] != 1.0 {
		t.Errorf("users: %v", rows)
	}
	// Why are connections closed?
	rows = run("reasons")
	if len(rows) != 1 || rows[0]["reasonLabel"] != "app_closed" || rows[0]["closes"] != 1.0 {
		t.Errorf("close reasons: %v", rows)
	}
	// Which upstream calls fail?
	rows = run("upstream")
	if len(rows) != 1 || rows[0]["hubName"] != hub || rows[0]["method"] != "fail" || rows[0]["status"] != 500.0 || rows[0]["failures"] != 1.0 {
		t.Errorf("upstream failures: %v", rows)
	}

	// A field Herald does not write fails the query.
	recs, _ := insights.Parse(logs.String())
	for _, q := range []string{`fields hubname`, `filter transport = "WebSockets"`, `stats count(*) by connectionID`} {
		if _, err := insights.Run(q, recs); err == nil {
			t.Errorf("%s: ran, but Herald should not write that field", q)
		}
	}
}

// In the diagnostic-only mode a diagnostic client's invocations for the
// upstream are traced as its deliveries are; an ordinary client's are not.
func TestDiagnosticClientInvocationsTraced(t *testing.T) {
	t.Parallel()
	logs := &testsupport.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	e, _ := withUpstreamClient(t, jsclient.Current, func(c *node.Config) {
		c.Logger = logger
		c.Tracer = diag.New(diag.Config{Logger: logger, Messaging: diag.MessagingDiagnostic})
	})
	plain := e.connect(t, "plain", "alice")
	dc := e.js.ConnectWait(t, jsclient.ConnectOptions{
		Name: "dc", URL: e.clientURL() + "&diag=yes", Transport: jsclient.WebSockets, Methods: []string{recv},
	}, wait)
	for _, name := range []string{"plain", "dc"} {
		if err := e.js.Invoke(name, name+"-echo", "echo", "x"); err != nil {
			t.Fatal(err)
		}
		e.js.ExpectFunc(t, wait, "echo reply", jsclient.IsReply(name, name+"-echo"))
	}
	query := `filter category = "MessagingLogs" and connectionId = "` + dc + `" | sort @timestamp asc`
	var rows []insights.Row
	eventually(t, "the diagnostic client's invocation traced", func() bool {
		recs, err := insights.Parse(logs.String())
		if err != nil {
			t.Fatal(err)
		}
		if rows, err = insights.Run(query, recs); err != nil {
			t.Fatal(err)
		}
		return len(rows) == 3
	})
	if got := strings.Join(ops(rows), " "); got != "MessageReceived UpstreamDelivered UpstreamAnswered" || rows[0]["diagnostic"] != true {
		t.Errorf("diagnostic client's trace: %v", rows)
	}
	if strings.Contains(logs.String(), plain) {
		t.Errorf("an ordinary client's invocation was traced in diagnostic mode:\n%s", logs.String())
	}
}
