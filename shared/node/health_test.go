package node

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/testsupport"
)

type healthAnswer struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func getHealth(t *testing.T, u string) (int, healthAnswer) {
	t.Helper()
	code, body := get(t, u)
	var h healthAnswer
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatalf("%s: %v: %s", u, err, body)
	}
	return code, h
}

// Health covers the bus and the gateway over real HTTP: 200 with both
// "ok", HEAD too; 503 naming the bus once it is closed.
func TestHealthChecksBusAndGateway(t *testing.T) {
	b := bus.NewMemory(bus.MemoryConfig{})
	s, stop := start(t, Config{Addr: "127.0.0.1:0", Bus: b})
	defer func() { _ = stop() }()
	waitHealthy(t, s.URL()+"/api/health")
	for _, path := range []string{"/api/health", "/api/v1/health"} {
		code, h := getHealth(t, s.URL()+path)
		if code != 200 || h.Status != "healthy" || h.Checks["bus"] != "ok" || h.Checks["gateway"] != "ok" {
			t.Fatalf("%s: %d %+v", path, code, h)
		}
		resp, err := http.Head(s.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("HEAD %s: %d", path, resp.StatusCode)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	code, h := getHealth(t, s.URL()+"/api/v1/health")
	if code != 503 || h.Status != "unhealthy" || h.Checks["bus"] == "ok" || h.Checks["gateway"] != "ok" {
		t.Fatalf("closed bus: %d %+v", code, h)
	}
}

// A draining gateway answers 503 "gateway" while its bus still works.
func TestHealthDrainingGateway(t *testing.T) {
	s, stop := start(t, Config{Addr: "127.0.0.1:0"})
	defer func() { _ = stop() }()
	waitHealthy(t, s.URL()+"/api/health")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Gateway().Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	code, h := getHealth(t, s.URL()+"/api/health")
	if code != 503 || h.Checks["bus"] != "ok" || h.Checks["gateway"] == "ok" {
		t.Fatalf("draining: %d %+v", code, h)
	}
}

// waitHealthy waits for Serve to have started the gateway.
func waitHealthy(t *testing.T, u string) {
	t.Helper()
	testsupport.EventuallyTrue(t, 5*time.Second, u+" healthy", func() bool {
		code, _ := get(t, u)
		return code == 200
	})
}

// Liveness ignores the bus: a node that cannot reach Redis keeps its
// clients (a load balancer must not replace it), while readiness and
// /api/health answer 503.
func TestLivezIgnoresBusReadyzDoesNot(t *testing.T) {
	b := bus.NewMemory(bus.MemoryConfig{})
	s, stop := start(t, Config{Addr: "127.0.0.1:0", Bus: b, Role: RoleGateway})
	defer func() { _ = stop() }()
	waitHealthy(t, s.URL()+"/readyz")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"/livez": 200, "/readyz": 503, "/api/health": 503} {
		if code, body := get(t, s.URL()+path); code != want {
			t.Errorf("%s with the bus down: %d %s, want %d", path, code, body, want)
		}
	}
}
