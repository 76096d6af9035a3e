package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync"
	"testing"
)

// results holds every metric the benchmarks reported in this run, keyed
// "BenchmarkName/sub unit"; the summary table and the JSON file are made
// from it after the run.
var results = struct {
	sync.Mutex
	m map[string]float64
}{m: map[string]float64{}}

// report is b.ReportMetric that also keeps the value for the summary.
func report(b *testing.B, v float64, unit string) {
	b.ReportMetric(v, unit)
	results.Lock()
	results.m[b.Name()+" "+unit] = v
	results.Unlock()
}

// target is one row of performance.md's target table: the value a
// function of the results, compared with limit (at most, or at least).
type target struct {
	name    string
	value   func(m map[string]float64) (float64, bool)
	limit   float64
	atLeast bool
	unit    string
}

func metric(key string) func(map[string]float64) (float64, bool) {
	return func(m map[string]float64) (float64, bool) { v, ok := m[key]; return v, ok }
}

// ratio is num/den when both were measured.
func ratio(num, den string) func(map[string]float64) (float64, bool) {
	return func(m map[string]float64) (float64, bool) {
		a, ok1 := m[num]
		d, ok2 := m[den]
		return a / d, ok1 && ok2 && d > 0
	}
}

var targets = []target{
	{"Idle memory per connection, 10,000 conns", metric("BenchmarkIdleMemory KiB/conn"), 12, false, "KiB"},
	{"Fan-out via Redis, 1,000 clients", metric("BenchmarkRedisFanout/conns=1000 gw-cpu-s/1M"), 1.5, false, "gw CPU-s/1M"},
	{"Fan-out via Redis, 10,000 clients", metric("BenchmarkRedisFanout/conns=10000 gw-cpu-s/1M"), 1.5, false, "gw CPU-s/1M"},
	{"Fan-out in-memory bus, 1,000 clients", metric("BenchmarkFanout/conns=1000 gw-cpu-s/1M"), 1.5, false, "gw CPU-s/1M"},
	{"Fan-out in-memory bus, 10,000 clients", metric("BenchmarkFanout/conns=10000 gw-cpu-s/1M"), 1.5, false, "gw CPU-s/1M"},
	{"Fan-out vs raw floor, 1,000 clients", ratio("BenchmarkFanout/conns=1000 gw-cpu-s/1M", "BenchmarkFanoutFloor/conns=1000 floor-cpu-s/1M"), 1.5, false, "×"},
	{"Fan-out vs raw floor, 10,000 clients", ratio("BenchmarkFanout/conns=10000 gw-cpu-s/1M", "BenchmarkFanoutFloor/conns=10000 floor-cpu-s/1M"), 1.5, false, "×"},
	{"Latency via Redis at 20k deliveries/s, p50", metric("BenchmarkRedisLatency p50-ms"), 2, false, "ms"},
	{"Latency via Redis at 20k deliveries/s, p99", metric("BenchmarkRedisLatency p99-ms"), 10, false, "ms"},
	{"Negotiate (both hops)", metric("BenchmarkNegotiate negotiations/s"), 10000, true, "/s"},
	{"Connection setup", metric("BenchmarkIdleMemory conns/s"), 5000, true, "/s"},
	{"Concurrent connections on one gateway", metric("BenchmarkConcurrentConns conns"), 50000, true, "conns"},
}

// summarize prints the target table to w and writes every result as JSON
// to the file named by $BENCH_RESULTS (default bench-results.json in the
// package directory). It does nothing when no benchmark reported.
func summarize(w io.Writer) error {
	results.Lock()
	m := maps.Clone(results.m)
	results.Unlock()
	if len(m) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\n%-44s %12s %18s  %s\n", "target (docs performance.md)", "measured", "target", "result")
	for _, t := range targets {
		op := "≤"
		if t.atLeast {
			op = "≥"
		}
		limit := fmt.Sprintf("%s %g %s", op, t.limit, t.unit)
		v, ok := t.value(m)
		if !ok {
			fmt.Fprintf(w, "%-44s %12s %18s  %s\n", t.name, "-", limit, "not run")
			continue
		}
		pass := v <= t.limit
		if t.atLeast {
			pass = v >= t.limit
		}
		verdict := "FAIL"
		if pass {
			verdict = "pass"
		}
		measured := fmt.Sprintf("%.3g", v)
		if v >= 1000 {
			measured = fmt.Sprintf("%.0f", v)
		}
		fmt.Fprintf(w, "%-44s %12s %18s  %s\n", t.name, measured, limit, verdict)
	}
	path := os.Getenv("BENCH_RESULTS")
	if path == "" {
		path = "bench-results.json"
	}
	keys := slices.Sorted(maps.Keys(m))
	ordered := make([]struct {
		Metric string  `json:"metric"`
		Value  float64 `json:"value"`
	}, len(keys))
	for i, k := range keys {
		ordered[i].Metric, ordered[i].Value = k, m[k]
	}
	data, err := json.MarshalIndent(ordered, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "raw results: %s\n", path)
	return nil
}
