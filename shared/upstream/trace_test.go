package upstream_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/shared/upstream"
)

// tracedRecords waits until logs hold n messaging records and returns
// them; a wrong count after a while is a failure.
func tracedRecords(t *testing.T, logs *testsupport.Buffer, n int) []map[string]any {
	t.Helper()
	var recs []map[string]any
	deadline := time.Now().Add(5 * time.Second)
	for {
		all, err := logs.Records("")
		if err != nil {
			t.Fatal(err)
		}
		recs = recs[:0]
		for _, r := range all {
			if r["category"] == "MessagingLogs" {
				recs = append(recs, r)
			}
		}
		if len(recs) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(recs) != n {
		t.Fatalf("want %d messaging records, got %d:\n%s", n, len(recs), logs.String())
	}
	return recs
}

// A client's invocations leave MessageReceived, then UpstreamDelivered
// and (blocking ones) UpstreamAnswered, or UpstreamFailed with the
// status and the reason the client got; one tracing id follows each
// invocation, with hub, connection, user and the client's address.
func TestInvocationTraced(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch r.Header.Get(upstream.HeaderEvent) {
		case "fail":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	logs := &testsupport.Buffer{}
	tr := diag.New(diag.Config{Logger: slog.New(slog.NewJSONHandler(logs, nil)), Messaging: diag.MessagingAll})
	c := newClient(t, upstream.Config{Settings: settingsFor(rec.URL, "/api/{event}"), Tracer: tr})
	s := c.Session(upstream.Connection{Hub: "chat", ConnectionID: "conn1", UserID: "alice", RemoteAddr: "198.51.100.7"})
	got := make(replies, 2)

	if err := s.Invoke(invocation("1", "ok", "x"), got.reply); err != nil {
		t.Fatal(err)
	}
	got.completion(t)
	if err := s.Invoke(invocation("2", "fail", "x"), got.reply); err != nil {
		t.Fatal(err)
	}
	if m := got.completion(t); m.Error != upstream.StatusErrorText(500) {
		t.Fatalf("completion %+v", m)
	}
	if err := s.Invoke(invocation("", "fire", "x"), nil); err != nil {
		t.Fatal(err)
	}
	recs := tracedRecords(t, logs, 7)

	type step struct{ op, method string }
	want := []step{{"MessageReceived", "ok"}, {"UpstreamDelivered", "ok"}, {"UpstreamAnswered", "ok"},
		{"MessageReceived", "fail"}, {"UpstreamFailed", "fail"}, {"MessageReceived", "fire"}, {"UpstreamDelivered", "fire"}}
	traces := map[string]string{} // method -> tracing id
	for i, r := range recs {
		if r["operationName"] != want[i].op || r["method"] != want[i].method || r["hubName"] != "chat" ||
			r["connectionId"] != "conn1" || r["userId"] != "alice" || r["messageType"] != "InvocationMessage" ||
			r["callerIpAddress"] != "198.51.100.7" {
			t.Errorf("record %d: want %v, got %v", i, want[i], r)
		}
		id, _ := r["messageTracingId"].(string)
		if id == "" {
			t.Errorf("record %d has no tracing id: %v", i, r)
		}
		if prev, ok := traces[want[i].method]; ok && prev != id {
			t.Errorf("record %d: tracing id %q, the invocation's is %q", i, id, prev)
		}
		traces[want[i].method] = id
	}
	if len(traces) != 3 || traces["ok"] == traces["fail"] || traces["fail"] == traces["fire"] {
		t.Errorf("tracing ids are not one per invocation: %v", traces)
	}
	failed := recs[4]
	if failed["level"] != "INFO" || failed["status"] != float64(500) ||
		!strings.Contains(failed["message"].(string), upstream.StatusErrorText(500)) {
		t.Errorf("failure record %v", failed)
	}
	if recs[1]["status"] != float64(204) {
		t.Errorf("delivery record %v", recs[1])
	}
}

// An invocation refused before any call (no template matches) is a
// failure with the reason; the diagnostic mode records diagnostic
// clients only.
func TestInvocationTracedDiagnosticOnly(t *testing.T) {
	logs := &testsupport.Buffer{}
	tr := diag.New(diag.Config{Logger: slog.New(slog.NewJSONHandler(logs, nil)), Messaging: diag.MessagingDiagnostic})
	none := upstream.Static(upstream.Settings{Templates: []upstream.Template{{URLTemplate: "http://127.0.0.1:1/x", EventPattern: "other"}}})
	c := newClient(t, upstream.Config{Settings: none, Tracer: tr})
	plain := c.Session(upstream.Connection{Hub: "chat", ConnectionID: "plain"})
	dc := c.Session(upstream.Connection{Hub: "chat", ConnectionID: "dc", Claims: map[string]any{"asrs.s.dc": "true"}})
	got := make(replies, 2)
	for _, s := range []*upstream.Session{plain, dc} {
		if err := s.Invoke(invocation("1", "nomatch", "x"), got.reply); err == nil {
			t.Fatal("an unmatched invocation was queued")
		}
		got.completion(t)
	}
	recs := tracedRecords(t, logs, 2)
	for i, op := range []string{"MessageReceived", "UpstreamFailed"} {
		if r := recs[i]; r["operationName"] != op || r["connectionId"] != "dc" || r["diagnostic"] != true {
			t.Errorf("record %d: want %s of dc, got %v", i, op, r)
		}
	}
	if m, _ := recs[1]["message"].(string); !strings.Contains(m, upstream.ErrTextNoMatch) {
		t.Errorf("failure message %q", m)
	}
}
