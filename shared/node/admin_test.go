package node

import (
	"strings"
	"testing"
)

// The admin listener serves pprof and the metrics (runtime ones included);
// the main listener serves neither by default.
func TestAdminListener(t *testing.T) {
	s, stop := start(t, Config{Addr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0"})
	defer func() { _ = stop() }()
	admin := s.AdminURL()
	if admin == "" {
		t.Fatal("no admin URL")
	}
	for path, want := range map[string]string{
		"/debug/pprof/":                  "goroutine",
		"/debug/pprof/goroutine?debug=1": "goroutine profile",
		"/debug/pprof/heap?debug=1":      "heap profile",
		"/metrics":                       "herald_bus_publish_duration_seconds",
	} {
		code, body := get(t, admin+path)
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("admin %s: %d %.200s", path, code, body)
		}
	}
	if code, _ := get(t, s.URL()+"/debug/pprof/"); code == 200 {
		t.Error("the main listener serves profiles")
	}
	if code, _ := get(t, s.URL()+"/metrics"); code == 200 {
		t.Error("the main listener serves /metrics by default")
	}
}

// With PublicMetrics the main listener serves /metrics too.
func TestPublicMetrics(t *testing.T) {
	s, stop := start(t, Config{Addr: "127.0.0.1:0", PublicMetrics: true})
	defer func() { _ = stop() }()
	if code, body := get(t, s.URL()+"/metrics"); code != 200 || !strings.Contains(body, "herald_bus_publish_errors_total") {
		t.Errorf("main /metrics: %d", code)
	}
}

func TestAdminListenerOffByDefault(t *testing.T) {
	s, stop := start(t, Config{Addr: "127.0.0.1:0"})
	defer func() { _ = stop() }()
	if s.AdminURL() != "" {
		t.Fatal("admin listener on by default")
	}
	if _, err := New(Development(Config{Addr: "127.0.0.1:0", AdminAddr: "nonsense"})); err == nil {
		t.Fatal("bad admin address accepted")
	}
}
