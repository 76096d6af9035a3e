package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// EMF (CloudWatch Embedded Metric Format) export: on AWS nothing scrapes
// /metrics, so a gateway can write its herald_* gauges and counters as one
// EMF JSON log line per interval on stdout; the awslogs driver ships the
// line to CloudWatch Logs, which extracts the metrics.

// DefaultEMFInterval is the default time between two EMF lines.
const DefaultEMFInterval = time.Minute

// emfMaxMetrics is CloudWatch's limit of metrics per EMF directive.
const emfMaxMetrics = 100

// EMFConfig configures an EMFExporter.
type EMFConfig struct {
	// Gatherer is the registry to export. Required.
	Gatherer prometheus.Gatherer
	// Writer receives one JSON line per flush (stdout in the gateway).
	// Required.
	Writer io.Writer
	// Namespace is the CloudWatch namespace. Default "Herald".
	Namespace string
	// Dimensions are added to every metric, e.g. {"Service": "gateway"}.
	// Keep them few: every distinct set is a separate CloudWatch metric.
	Dimensions map[string]string
	// Interval is the time between two flushes. Default DefaultEMFInterval.
	Interval time.Duration
	// Logger receives flush errors (once until a flush succeeds again).
	// Default discard.
	Logger *slog.Logger
}

// EMFExporter writes EMF lines; Run flushes periodically.
type EMFExporter struct {
	cfg  EMFConfig
	prev map[string]float64 // counters at the last flush, for deltas
}

// NewEMFExporter returns an exporter for cfg.
func NewEMFExporter(cfg EMFConfig) (*EMFExporter, error) {
	if cfg.Gatherer == nil || cfg.Writer == nil {
		return nil, fmt.Errorf("metrics: EMFConfig needs Gatherer and Writer")
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "Herald"
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultEMFInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &EMFExporter{cfg: cfg, prev: map[string]float64{}}, nil
}

// Flush writes one EMF line: every herald_* gauge summed over its labels
// (Unit Count, the node's current value) and every herald_* counter as the
// increase since the previous flush (Unit Count; the first flush gives the
// increase since start). Histograms are left out: their buckets do not map
// onto EMF values. now stamps the line.
func (e *EMFExporter) Flush(now time.Time) error {
	families, err := e.cfg.Gatherer.Gather()
	if err != nil {
		return fmt.Errorf("metrics: gather: %w", err)
	}
	values := map[string]float64{}
	for _, f := range families {
		name := f.GetName()
		if !strings.HasPrefix(name, "herald_") {
			continue
		}
		switch f.GetType() {
		case dto.MetricType_GAUGE:
			values[name] = sum(f, func(m *dto.Metric) float64 { return m.GetGauge().GetValue() })
		case dto.MetricType_COUNTER:
			total := sum(f, func(m *dto.Metric) float64 { return m.GetCounter().GetValue() })
			delta := total - e.prev[name]
			if delta < 0 { // a series ended (its hub's last connection): start over
				delta = total
			}
			e.prev[name] = total
			values[name] = delta
		}
	}
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > emfMaxMetrics {
		names = names[:emfMaxMetrics]
	}
	dims := make([]string, 0, len(e.cfg.Dimensions))
	for k := range e.cfg.Dimensions {
		dims = append(dims, k)
	}
	sort.Strings(dims)
	type metric struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	type directive struct {
		Namespace  string     `json:"Namespace"`
		Dimensions [][]string `json:"Dimensions"`
		Metrics    []metric   `json:"Metrics"`
	}
	d := directive{Namespace: e.cfg.Namespace, Dimensions: [][]string{dims}}
	line := map[string]any{}
	for _, n := range names {
		d.Metrics = append(d.Metrics, metric{Name: n, Unit: "Count"})
		line[n] = values[n]
	}
	for k, v := range e.cfg.Dimensions {
		line[k] = v
	}
	line["_aws"] = map[string]any{"Timestamp": now.UnixMilli(), "CloudWatchMetrics": []directive{d}}
	b, err := json.Marshal(line)
	if err != nil {
		return fmt.Errorf("metrics: EMF: %w", err)
	}
	if _, err := e.cfg.Writer.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("metrics: EMF write: %w", err)
	}
	return nil
}

func sum(f *dto.MetricFamily, value func(*dto.Metric) float64) float64 {
	var s float64
	for _, m := range f.GetMetric() {
		s += value(m)
	}
	return s
}

// Run flushes every Interval until ctx is done, then flushes once more
// (what a stopping node counted in its last minute).
func (e *EMFExporter) Run(ctx context.Context) {
	t := time.NewTicker(e.cfg.Interval)
	defer t.Stop()
	failing := false
	flush := func() {
		err := e.Flush(time.Now())
		switch {
		case err != nil && !failing:
			e.cfg.Logger.Warn("EMF metrics not written", "err", err)
			failing = true
		case err == nil:
			failing = false
		}
	}
	for {
		select {
		case <-ctx.Done():
			flush()
			return
		case <-t.C:
			flush()
		}
	}
}
