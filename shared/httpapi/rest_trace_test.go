package httpapi_test

import (
	"log/slog"
	"testing"

	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/testsupport"
)

// Every group membership route that succeeds leaves GroupJoined or
// GroupLeft with the hub, group, connection or user, the caller's address
// and the response's tracing id; a refused one leaves nothing.
func TestMembershipTraced(t *testing.T) {
	logs := &testsupport.Buffer{}
	tr := diag.New(diag.Config{Logger: slog.New(slog.NewJSONHandler(logs, nil)), Messaging: diag.MessagingAll})
	f := newFixture(t, func(c *httpapi.RESTConfig) { c.Tracer = tr })
	f.register("chat", "c1", "u1")
	steps := []struct {
		method, target, op, field, value string
	}{
		{"PUT", "/api/hubs/chat/groups/g/connections/c1", diag.GroupJoined, "connectionId", "c1"},
		{"DELETE", "/api/hubs/chat/connections/c1/groups/g", diag.GroupLeft, "connectionId", "c1"},
		{"DELETE", "/api/hubs/chat/connections/c1/groups", diag.GroupLeft, "connectionId", "c1"},
		{"PUT", "/api/hubs/chat/users/u1/groups/g", diag.GroupJoined, "userId", "u1"},
		{"DELETE", "/api/hubs/chat/groups/g/users/u1", diag.GroupLeft, "userId", "u1"},
		{"DELETE", "/api/hubs/chat/users/u1/groups", diag.GroupLeft, "userId", "u1"},
	}
	var traces []string
	for _, s := range steps {
		w := f.do(s.method, s.target, "")
		if w.Code/100 != 2 {
			t.Fatalf("%s %s: %d %s", s.method, s.target, w.Code, w.Body.String())
		}
		traces = append(traces, w.Header().Get(httpapi.TraceHeader))
	}
	if w := f.do("PUT", "/api/hubs/chat/groups/g/connections/nobody", ""); w.Code != 404 {
		t.Fatalf("unknown connection: %d", w.Code)
	}
	recs, err := logs.Records("")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(steps) {
		t.Fatalf("want %d records, got %d:\n%s", len(steps), len(recs), logs.String())
	}
	for i, s := range steps {
		r := recs[i]
		if r["operationName"] != s.op || r[s.field] != s.value || r["hubName"] != "chat" || r["messageTracingId"] != traces[i] ||
			r["category"] != "MessagingLogs" || r["callerIpAddress"] != "192.0.2.1" {
			t.Errorf("%s %s: record %v", s.method, s.target, r)
		}
		if s.target != "/api/hubs/chat/connections/c1/groups" && s.target != "/api/hubs/chat/users/u1/groups" && r["groupName"] != "g" {
			t.Errorf("%s %s: no group in %v", s.method, s.target, r)
		}
	}
}
