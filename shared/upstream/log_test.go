package upstream_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/shared/upstream"
)

func TestConnectedFailureIsLogged(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		w.WriteHeader(http.StatusForbidden)
	})
	var logs testsupport.Buffer
	c := newClient(t, upstream.Config{
		Settings: settingsFor(rec.URL, "/"),
		Logger:   slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	s := c.Session(upstream.Connection{Hub: "chat", ConnectionID: "a"})
	if err := s.Connected(); err != nil {
		t.Fatal(err)
	}
	rec.next(t)
	if !testsupport.Until(5*time.Second, func() bool { return strings.Contains(logs.String(), "status=403") }) {
		t.Fatalf("logs: %s", logs.String())
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "event=connected") || !strings.Contains(l, "connectionId=a") {
		t.Errorf("logs: %s", l)
	}
}
