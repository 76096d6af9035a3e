package upstream_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/shared/upstream"
)

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestConnectedFailureIsLogged(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		w.WriteHeader(http.StatusForbidden)
	})
	var logs syncBuffer
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
