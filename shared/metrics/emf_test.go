package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldrt/herald/shared/metrics"
	"github.com/heraldrt/herald/shared/testsupport"
)

// emfLine is the part of an EMF log event CloudWatch reads.
type emfLine struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct{ Name, Unit string }
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

// One JSON line per flush in the Embedded Metric Format: the directive
// names every herald_* gauge and counter (no histogram, no Go runtime
// metric), each has a numeric member of its name, the dimension has its
// member; counters are increases since the previous flush, gauges sums
// over their labels.
func TestEMFFormat(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_other", Help: "not exported"}))
	c1 := m.ConnectionOpened("chat", "WebSockets", "json", false)
	m.ConnectionOpened("news", "LongPolling", "json", false)
	m.QueueOverflow()
	m.Request("send", "POST", 202, time.Millisecond)
	var out bytes.Buffer
	e, err := metrics.NewEMFExporter(metrics.EMFConfig{Gatherer: reg, Writer: &out, Dimensions: map[string]string{"Service": "gateway"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.UnixMilli(1_700_000_000_123)
	if err := e.Flush(now); err != nil {
		t.Fatal(err)
	}
	c1.Closed("normal")
	m.QueueOverflow()
	m.QueueOverflow()
	if err := e.Flush(now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want one per flush:\n%s", len(lines), out.String())
	}
	var values []map[string]any
	for i, l := range lines {
		var parsed emfLine
		var raw map[string]any
		if err := json.Unmarshal([]byte(l), &parsed); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(l), &raw); err != nil {
			t.Fatal(err)
		}
		values = append(values, raw)
		d := parsed.AWS.CloudWatchMetrics
		if parsed.AWS.Timestamp != now.Add(time.Duration(i)*time.Minute).UnixMilli() || len(d) != 1 || d[0].Namespace != "Herald" ||
			len(d[0].Dimensions) != 1 || strings.Join(d[0].Dimensions[0], ",") != "Service" || raw["Service"] != "gateway" {
			t.Fatalf("line %d: %s", i, l)
		}
		if n := len(d[0].Metrics); n == 0 || n > 100 {
			t.Fatalf("line %d names %d metrics", i, n)
		}
		for _, metric := range d[0].Metrics {
			if _, ok := raw[metric.Name].(float64); !ok || !strings.HasPrefix(metric.Name, "herald_") || metric.Unit != "Count" {
				t.Errorf("line %d: metric %+v has value %v", i, metric, raw[metric.Name])
			}
			if strings.HasSuffix(metric.Name, "_seconds") {
				t.Errorf("histogram %s exported", metric.Name)
			}
		}
		if _, ok := raw["go_other"]; ok {
			t.Errorf("a non-herald metric was exported")
		}
	}
	for i, want := range []map[string]float64{
		{"herald_connections": 2, "herald_queue_overflows_total": 1, "herald_connections_opened_total": 2},
		{"herald_connections": 1, "herald_queue_overflows_total": 2, "herald_connections_opened_total": 0, "herald_connections_closed_total": 1},
	} {
		for k, v := range want {
			if values[i][k] != v {
				t.Errorf("flush %d: %s = %v, want %v", i, k, values[i][k], v)
			}
		}
	}
}

// Run flushes on its interval and once more when stopped.
func TestEMFRun(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg); err != nil {
		t.Fatal(err)
	}
	w := &testsupport.Buffer{}
	e, err := metrics.NewEMFExporter(metrics.EMFConfig{Gatherer: reg, Writer: w, Interval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	testsupport.EventuallyTrue(t, 10*time.Second, "periodic flushes", func() bool { return strings.Count(w.String(), "\n") >= 3 })
	cancel()
	<-done
	before := strings.Count(w.String(), "\n")
	time.Sleep(20 * time.Millisecond)
	if strings.Count(w.String(), "\n") != before {
		t.Fatal("flushes after Run returned")
	}
}
