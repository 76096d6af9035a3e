package node

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
)

// call sends method u with body and returns the status and the body.
func call(t *testing.T, method, u, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// state decodes a GET /admin/diagnostics answer.
func state(t *testing.T, body string) diagState {
	t.Helper()
	var st diagState
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return st
}

// switchLogs counts the "diagnostics switches changed" records in logs.
func switchLogs(logs *testsupport.Buffer) int {
	return strings.Count(logs.String(), `"msg":"diagnostics switches changed"`)
}

// On one node the admin listener switches categories on and off without
// a restart: the tracer follows at once, the change is logged once with
// who asked, and herald_resource_logs_enabled shows it. Hostile bodies
// and scopes are refused; without Redis there is no deployment scope.
func TestDiagnosticsNodeScope(t *testing.T) {
	logs := &testsupport.Buffer{}
	tr := diag.New(diag.Config{Messaging: diag.MessagingDiagnostic})
	s, stop := start(t, Config{Addr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", Tracer: tr,
		Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	defer func() { _ = stop() }()
	u := s.AdminURL() + DiagnosticsPath
	code, body := get(t, u)
	if st := state(t, body); code != 200 || st.Source != sourceEnvironment || st.Switches != tr.Defaults() || st.Deployment != nil {
		t.Fatalf("GET: %d %s", code, body)
	}
	code, body = call(t, http.MethodPut, u, `{"connectivity":true}`)
	want := diag.Switches{Connectivity: true, Messaging: diag.MessagingDiagnostic}
	if st := state(t, body); code != 200 || st.Switches != want || st.Source != sourceNode {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if !tr.Connectivity() || tr.Switches() != want {
		t.Fatalf("tracer switches %v, want %v", tr.Switches(), want)
	}
	if n := switchLogs(logs); n != 1 || !strings.Contains(logs.String(), `"by":"admin listener `) ||
		!strings.Contains(logs.String(), `"new":"connectivity=true messaging=diagnostic http=false"`) {
		t.Errorf("%d change records: %s", n, logs.String())
	}
	_, metrics := get(t, s.AdminURL()+"/metrics")
	for _, line := range []string{`herald_resource_logs_enabled{category="connectivity"} 1`, `herald_resource_logs_enabled{category="http"} 0`,
		`herald_resource_logs_enabled{category="messaging_diagnostic"} 1`, `herald_resource_logs_enabled{category="messaging_all"} 0`} {
		if !strings.Contains(metrics, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
	for _, bad := range []struct {
		query, body string
		code        int
	}{
		{"", `{"connectivity":"yes"}`, 400},
		{"", `{"messaging":"loud"}`, 400},
		{"", `{"verbose":true}`, 400},
		{"", `not json`, 400},
		{"", `{"http":true,"x":"` + strings.Repeat("a", maxSwitchesBody) + `"}`, 413},
		{"?scope=everywhere", `{"http":true}`, 400},
		{"?scope=deployment", `{"http":true}`, 409},
	} {
		if code, body := call(t, http.MethodPut, u+bad.query, bad.body); code != bad.code {
			t.Errorf("PUT%s %.40s: %d %s, want %d", bad.query, bad.body, code, body, bad.code)
		}
	}
	if tr.Switches() != want || switchLogs(logs) != 1 {
		t.Errorf("a refused PUT changed the switches: %v", tr.Switches())
	}
	code, body = call(t, http.MethodDelete, u, "")
	if st := state(t, body); code != 200 || st.Switches != tr.Defaults() || st.Source != sourceEnvironment || tr.Connectivity() {
		t.Errorf("DELETE: %d %s", code, body)
	}
	if code, _ := get(t, s.URL()+DiagnosticsPath); code == 200 {
		t.Error("the main listener serves the switches")
	}
}

// redisNode starts a node on the Redis at url under prefix, polling the
// deployment setting every 50 ms, logging to logs.
func redisNode(t *testing.T, url, prefix, id string, logs *testsupport.Buffer) (*Server, *diag.Tracer) {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(logs, nil))
	b, closeBus, err := OpenBus(config.Node{RedisURL: url, RedisPrefix: prefix, NodeID: id, Role: "all"}, log)
	if err != nil {
		t.Fatal(err)
	}
	tr := diag.New(diag.Config{Logger: log})
	s, err := New(Development(Config{Addr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", Bus: b, Tracer: tr,
		Logger: log, DiagPoll: 50 * time.Millisecond}))
	if err != nil {
		_ = closeBus()
		t.Fatal(err)
	}
	_, stop := serve(t, s)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop %s: %v", id, err)
		}
		_ = closeBus()
	})
	return s, tr
}

// A deployment-scoped change on one node reaches the other through Redis
// without a restart, each node logging it once; a node-scoped change
// lasts until the deployment setting changes; removing the setting
// returns every node to its environment; Redis unreachable keeps the
// switches in use.
func TestDiagnosticsDeploymentScope(t *testing.T) {
	srv := redistest.Start(t)
	prefix := redistest.KeyPrefix(t)
	logsA, logsB := &testsupport.Buffer{}, &testsupport.Buffer{}
	a, trA := redisNode(t, srv.URL(), prefix, "a", logsA)
	b, trB := redisNode(t, srv.URL(), prefix, "b", logsB)
	on := diag.Switches{Connectivity: true, Messaging: diag.MessagingAll}

	code, body := call(t, http.MethodPut, a.AdminURL()+DiagnosticsPath+"?scope=deployment", `{"connectivity":true,"messaging":"all"}`)
	if st := state(t, body); code != 200 || st.Switches != on || st.Source != sourceDeployment || st.Deployment == nil || st.Deployment.Switches != on {
		t.Fatalf("PUT deployment: %d %s", code, body)
	}
	if trA.Switches() != on {
		t.Fatalf("the node asked is not switched at once: %v", trA.Switches())
	}
	testsupport.EventuallyTrue(t, 10*time.Second, "node b follows the deployment setting", func() bool { return trB.Switches() == on })
	if code, body := get(t, b.AdminURL()+DiagnosticsPath+"?scope=deployment"); code != 200 || state(t, body).Source != sourceDeployment ||
		!strings.Contains(state(t, body).Deployment.By, a.adminLn.Addr().String()) {
		t.Errorf("GET b deployment: %d %s", code, body)
	}
	time.Sleep(200 * time.Millisecond) // a few polls: the same value is not applied twice
	if switchLogs(logsA) != 1 || switchLogs(logsB) != 1 {
		t.Errorf("change records: a %d, b %d; want 1 each", switchLogs(logsA), switchLogs(logsB))
	}

	// A node-scoped change on b stays while the deployment setting is the same.
	if code, body := call(t, http.MethodPut, b.AdminURL()+DiagnosticsPath, `{"http":true}`); code != 200 {
		t.Fatalf("PUT node: %d %s", code, body)
	}
	time.Sleep(200 * time.Millisecond)
	if want := (diag.Switches{Connectivity: true, Messaging: diag.MessagingAll, HTTP: true}); trB.Switches() != want || trA.HTTP() {
		t.Errorf("after b's node change: a %v, b %v", trA.Switches(), trB.Switches())
	}
	// A deployment change (merged over the stored one) replaces it.
	if code, body := call(t, http.MethodPut, b.AdminURL()+DiagnosticsPath+"?scope=deployment", `{"messaging":"diagnostic"}`); code != 200 {
		t.Fatalf("PUT deployment from b: %d %s", code, body)
	}
	on = diag.Switches{Connectivity: true, Messaging: diag.MessagingDiagnostic}
	testsupport.EventuallyTrue(t, 10*time.Second, "both nodes on the new setting", func() bool { return trA.Switches() == on && trB.Switches() == on })

	// Redis gone: the switches stay, the failure is logged once.
	srv.Stop()
	testsupport.EventuallyTrue(t, 10*time.Second, "a logs the unreadable setting", func() bool {
		return strings.Contains(logsA.String(), "the deployment setting cannot be read")
	})
	time.Sleep(200 * time.Millisecond)
	if trA.Switches() != on || trB.Switches() != on {
		t.Errorf("Redis down changed the switches: a %v, b %v", trA.Switches(), trB.Switches())
	}
	if n := strings.Count(logsA.String(), "the deployment setting cannot be read"); n != 1 {
		t.Errorf("%d failure records, want 1 per outage", n)
	}
	if code, body := call(t, http.MethodPut, a.AdminURL()+DiagnosticsPath+"?scope=deployment", `{"http":true}`); code != http.StatusServiceUnavailable {
		t.Errorf("PUT deployment with Redis down: %d %s", code, body)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// The restarted Redis is empty: the setting is gone, both return to
	// their environment's switches.
	testsupport.EventuallyTrue(t, 20*time.Second, "both nodes back to the environment", func() bool {
		return trA.Switches() == (diag.Switches{}) && trB.Switches() == (diag.Switches{})
	})

	// DELETE ?scope=deployment after a new setting.
	if code, body := call(t, http.MethodPut, a.AdminURL()+DiagnosticsPath+"?scope=deployment", `{"http":true}`); code != 200 {
		t.Fatalf("PUT deployment: %d %s", code, body)
	}
	testsupport.EventuallyTrue(t, 10*time.Second, "b on", func() bool { return trB.HTTP() })
	if code, body := call(t, http.MethodDelete, b.AdminURL()+DiagnosticsPath+"?scope=deployment", ""); code != 200 {
		t.Fatalf("DELETE deployment: %d %s", code, body)
	}
	testsupport.EventuallyTrue(t, 10*time.Second, "a off", func() bool { return !trA.HTTP() })
	if code, body := get(t, a.AdminURL()+DiagnosticsPath+"?scope=deployment"); code != 404 {
		t.Errorf("GET deployment after DELETE: %d %s", code, body)
	}
}

// A deployment setting written straight to Redis (the AWS route) is
// followed; one that is not valid JSON, or oversized, is ignored with one
// warning and the switches in use stay.
func TestDiagnosticsDeploymentKeyHostile(t *testing.T) {
	srv := redistest.Start(t)
	prefix := redistest.KeyPrefix(t)
	logs := &testsupport.Buffer{}
	_, tr := redisNode(t, srv.URL(), prefix, "a", logs)
	rdb, err := redisbus.NewClient(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	key := prefix + ":{diag}:switches"
	on := diag.Switches{Connectivity: true, HTTP: true}
	if err := rdb.Set(t.Context(), key, `{"connectivity":true,"messaging":"off","http":true,"by":"alice"}`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	testsupport.EventuallyTrue(t, 10*time.Second, "the key is followed", func() bool { return tr.Switches() == on })
	if !strings.Contains(logs.String(), `"by":"alice"`) {
		t.Errorf("the change record lacks the key's by: %s", logs.String())
	}
	for i, bad := range []string{`{"connectivity":false,"messaging":"loud"}`, `not json`,
		`{"http":false,"x":"` + strings.Repeat("a", redisbus.MaxDiagSwitchesBytes) + `"}`} {
		if err := rdb.Set(t.Context(), key, bad, 0).Err(); err != nil {
			t.Fatal(err)
		}
		want := i + 1
		testsupport.EventuallyTrue(t, 10*time.Second, "a warning for the bad key", func() bool {
			return strings.Count(logs.String(), `"level":"WARN"`) >= want
		})
		if tr.Switches() != on {
			t.Fatalf("%.40s changed the switches to %v", bad, tr.Switches())
		}
	}
	if n := switchLogs(logs); n != 1 {
		t.Errorf("%d change records, want 1", n)
	}
}
