package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldrt/herald/shared/metrics"
)

// The public handler sums hub labels away and keeps everything else.
func TestPublicHandlerHidesHubs(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.ConnectionOpened("secrethub", "WebSockets", "json", false)
	m.ConnectionOpened("otherhub", "WebSockets", "json", false)
	m.ConnectionOpened("otherhub", "LongPolling", "json", false)
	scrape := func(full bool) string {
		h := metrics.PublicHandler(reg)
		if full {
			h = metrics.Handler(reg)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		b, _ := io.ReadAll(w.Body)
		return string(b)
	}
	if full := scrape(true); !strings.Contains(full, "secrethub") {
		t.Fatalf("the full handler lost the hub label:\n%s", full)
	}
	pub := scrape(false)
	if strings.Contains(pub, "secrethub") || strings.Contains(pub, `hub="`) {
		t.Errorf("the public handler shows hub names:\n%s", pub)
	}
	for _, want := range []string{
		`herald_connections{protocol="json",transport="WebSockets"} 2`,
		`herald_connections{protocol="json",transport="LongPolling"} 1`,
		`herald_connections_opened_total{protocol="json",transport="WebSockets"} 2`,
	} {
		if !strings.Contains(pub, want) {
			t.Errorf("public metrics lack %s:\n%s", want, pub)
		}
	}
}
