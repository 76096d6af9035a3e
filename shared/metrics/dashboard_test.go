package metrics_test

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/metrics"
)

// Every metric the Grafana dashboard queries exists under that name.
func TestDashboardQueriesKnownMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../infra/grafana/herald.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	reg := metrics.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	// Give every vector a child so Gather lists it.
	// (A herald_connections series lives while its hub has a connection.)
	conn := m.ConnectionOpened("h", "WebSockets", "json", false)
	defer conn.Closed("client_closed")
	m.ConnectionOpened("h", "WebSockets", "json", false).Closed("client_closed")
	m.Request("sendAll", "POST", 202, 0)
	m.Upstream("messages", 200, 0, nil)
	m.Published(&bus.Envelope{Kind: bus.KindSend, Scope: bus.ScopeAll}, 0, nil)
	m.AuthRefused("client", "expired")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, mf := range mfs {
		n := mf.GetName()
		known[n] = true
		for _, suffix := range []string{"_bucket", "_count", "_sum"} {
			known[n+suffix] = true
		}
	}
	name := regexp.MustCompile(`\b(herald|go|process)_[a-z_]+\b`)
	if len(dash.Panels) == 0 {
		t.Fatal("no panels")
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				if !known[n] {
					t.Errorf("panel %q queries unknown metric %s", p.Title, n)
				}
			}
		}
	}
}
