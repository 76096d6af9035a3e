package upstream_test

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/shared/upstream"
)

// failureRecords returns the JSON records of failed upstream calls.
func failureRecords(t *testing.T, logs *testsupport.Buffer) []map[string]any {
	t.Helper()
	recs, err := logs.Records(upstream.LogCallFailed)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// Every failed invocation (error status, timeout, unreachable, a body that
// is not a framed message, a non-blocking one) leaves one Warn record with
// hub, connectionId, userId, event, the URL without query or credentials,
// the status or error and the duration; the function key and the
// password never appear.
func TestInvocationFailureLogged(t *testing.T) {
	const key, pass = "FUNCTIONKEYSECRET", "PASSWORDSECRET"
	answer := func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch r.Header.Get(upstream.HeaderEvent) {
		case "fail":
			w.WriteHeader(http.StatusInternalServerError)
		case "slow":
			<-r.Context().Done()
		case "garbage":
			_, _ = w.Write([]byte("not a framed message"))
		}
	}
	rec := newRecorder(t, answer)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	_ = l.Close()
	withSecrets := func(base string) string {
		return strings.Replace(base, "http://", "http://fn:"+pass+"@", 1) + "/api/{event}?code=" + key
	}
	cases := []struct {
		name, base, target, id, reason string
		status                         float64
		hasError                       bool
	}{
		{"status 500", rec.URL, "fail", "1", upstream.StatusErrorText(500), 500, false},
		{"timeout", rec.URL, "slow", "2", upstream.ErrTextTimeout, 0, true},
		{"unreachable", dead, "down", "3", upstream.ErrTextUnreachable, 0, true},
		{"unframed body", rec.URL, "garbage", "4", upstream.ErrTextInvalidResponse, 200, false},
		{"non-blocking 500", rec.URL, "fail", "", "status code 500", 500, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logs := &testsupport.Buffer{}
			c := newClient(t, upstream.Config{
				Settings: settingsFor(withSecrets(tc.base), ""),
				Timeout:  300 * time.Millisecond,
				Logger:   slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			})
			s := c.Session(upstream.Connection{Hub: "chat", ConnectionID: "conn1", UserID: "alice"})
			got := make(replies, 1)
			reply := got.reply
			if tc.id == "" {
				reply = nil
			}
			if err := s.Invoke(invocation(tc.id, tc.target, "x"), reply); err != nil {
				t.Fatal(err)
			}
			if tc.id != "" {
				if m := got.completion(t); m.Error != tc.reason {
					t.Errorf("completion error %q, want %q", m.Error, tc.reason)
				}
			}
			testsupport.Until(5*time.Second, func() bool { return len(failureRecords(t, logs)) > 0 })
			recs := failureRecords(t, logs)
			if len(recs) != 1 {
				t.Fatalf("want one failure record, got %d: %s", len(recs), logs.String())
			}
			r := recs[0]
			want := map[string]any{"level": "WARN", "hubName": "chat", "connectionId": "conn1", "userId": "alice",
				"event": tc.target, "category": upstream.CategoryMessages, "url": tc.base + "/api/" + tc.target,
				"status": tc.status, "message": tc.reason}
			for k, v := range want {
				if r[k] != v {
					t.Errorf("%s = %v, want %v", k, r[k], v)
				}
			}
			for _, old := range []string{"hub", "reason"} {
				if _, ok := r[old]; ok {
					t.Errorf("the record still has %q", old)
				}
			}
			if _, ok := r["durationMs"].(float64); !ok {
				t.Errorf("no durationMs")
			}
			if _, ok := r["error"].(string); ok != tc.hasError {
				t.Errorf("error field present %v, want %v", ok, tc.hasError)
			}
			if l := logs.String(); strings.Contains(l, key) || strings.Contains(l, pass) {
				t.Errorf("a secret appears in the log: %s", l)
			}
		})
	}
}
