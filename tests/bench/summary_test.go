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
// floor, when set, is the same figure for the floor server (tests/bench/floor)
// measured in the same run, printed beside the value with their ratio.
// perFloor puts the limit on value ÷ floor rather than on value.
// unmeasurable, when set, explains why this machine cannot reach the
// target whatever the code does; the row then says so instead of FAIL.
type target struct {
	name         string
	value        func(m map[string]float64) (float64, bool)
	limit        float64
	atLeast      bool
	unit         string
	floor        func(m map[string]float64) (float64, bool)
	perFloor     bool
	unmeasurable func(m map[string]float64) (string, bool)
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

// fdLimited says a connection count fell short of want because the fd
// limit the benchmark ran under (its "fd-limit" metric, which it could not
// raise) leaves no room for want connections plus fdReserve.
func fdLimited(bench string, want float64) func(map[string]float64) (string, bool) {
	return func(m map[string]float64) (string, bool) {
		lim, ok := m[bench+" fd-limit"]
		if !ok || lim >= want+fdReserve {
			return "", false
		}
		return fmt.Sprintf("not measurable here (fd limit %.0f)", lim), true
	}
}

// floorShort says a rate target is out of this machine's reach whatever
// the server does: the floor server (tests/bench/floor), doing less of the
// same work in the same run, did not reach want either.
func floorShort(floorKey string, want float64) func(map[string]float64) (string, bool) {
	return func(m map[string]float64) (string, bool) {
		f, ok := m[floorKey]
		if !ok || f >= want {
			return "", false
		}
		return fmt.Sprintf("not measurable here (floor %.0f/s)", f), true
	}
}

const (
	fanoutFloor1k  = "BenchmarkFanoutFloor/conns=1000 floor-cpu-s/1M"
	fanoutFloor10k = "BenchmarkFanoutFloor/conns=10000 floor-cpu-s/1M"
)

var targets = []target{
	{name: "Idle memory per connection, 10,000 conns", value: metric("BenchmarkIdleMemory KiB/conn"), limit: 12, unit: "KiB",
		floor: metric("BenchmarkSetupFloor KiB/conn")},
	{name: "Fan-out via Redis, 1,000 clients", value: metric("BenchmarkRedisFanout/conns=1000 gw-cpu-s/1M"), limit: 1.5, unit: "gw CPU-s/1M",
		floor: metric(fanoutFloor1k)},
	{name: "Fan-out via Redis, 10,000 clients", value: metric("BenchmarkRedisFanout/conns=10000 gw-cpu-s/1M"), limit: 1.5, unit: "gw CPU-s/1M",
		floor: metric(fanoutFloor10k)},
	{name: "Fan-out in-memory bus, 1,000 clients", value: metric("BenchmarkFanout/conns=1000 gw-cpu-s/1M"), limit: 1.5, unit: "gw CPU-s/1M",
		floor: metric(fanoutFloor1k)},
	{name: "Fan-out in-memory bus, 10,000 clients", value: metric("BenchmarkFanout/conns=10000 gw-cpu-s/1M"), limit: 1.5, unit: "gw CPU-s/1M",
		floor: metric(fanoutFloor10k)},
	{name: "Fan-out vs raw floor, 1,000 clients", value: ratio("BenchmarkFanout/conns=1000 gw-cpu-s/1M", fanoutFloor1k), limit: 1.5, unit: "×"},
	{name: "Fan-out vs raw floor, 10,000 clients", value: ratio("BenchmarkFanout/conns=10000 gw-cpu-s/1M", fanoutFloor10k), limit: 1.5, unit: "×"},
	{name: "Latency via Redis at 20k deliveries/s, p50", value: metric("BenchmarkRedisLatency p50-ms"), limit: 2, unit: "ms"},
	{name: "Latency via Redis at 20k deliveries/s, p99", value: metric("BenchmarkRedisLatency p99-ms"), limit: 10, unit: "ms"},
	{name: "Negotiate (both hops)", value: metric("BenchmarkNegotiate negotiations/s"), limit: 10000, atLeast: true, unit: "/s",
		floor: metric("BenchmarkNegotiateFloor negotiations/s"), unmeasurable: floorShort("BenchmarkNegotiateFloor negotiations/s", 10000)},
	{name: "Connection setup, in-memory bus", value: metric("BenchmarkIdleMemory conns/s"), limit: 5000, atLeast: true, unit: "/s",
		floor: metric("BenchmarkSetupFloor conns/s"), unmeasurable: floorShort("BenchmarkSetupFloor conns/s", 5000)},
	{name: "Setup server CPU per conn, in-memory bus", value: metric("BenchmarkIdleMemory gw-cpu-us/conn"), limit: 250, unit: "µs",
		floor: metric("BenchmarkSetupFloor floor-cpu-us/conn")},
	{name: "Connection setup via Redis", value: metric("BenchmarkRedisSetup conns/s"), limit: 5000, atLeast: true, unit: "/s",
		floor: metric("BenchmarkSetupFloor conns/s"), unmeasurable: floorShort("BenchmarkSetupFloor conns/s", 5000)},
	{name: "Setup server CPU per conn via Redis", value: metric("BenchmarkRedisSetup srv-cpu-us/conn"), limit: 250, unit: "µs",
		floor: metric("BenchmarkSetupFloor floor-cpu-us/conn")},
	{name: "Concurrent connections on one gateway", value: metric("BenchmarkConcurrentConns conns"), limit: concurrentTarget, atLeast: true, unit: "conns",
		unmeasurable: fdLimited("BenchmarkConcurrentConns", concurrentTarget)},
}

// figure formats a measured value: three significant digits, whole
// numbers from 1,000 up.
func figure(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
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
	const row = "%-44s %10s %10s %8s %18s  %s\n"
	fmt.Fprintf(w, "\n"+row, "target (docs performance.md)", "measured", "floor", "÷ floor", "target", "result")
	for _, t := range targets {
		op := "≤"
		if t.atLeast {
			op = "≥"
		}
		limit := fmt.Sprintf("%s %g %s", op, t.limit, t.unit)
		v, ok := t.value(m)
		if !ok {
			fmt.Fprintf(w, row, t.name, "-", "", "", limit, "not run")
			continue
		}
		floor, times, judged := "", "", v
		if t.floor != nil {
			floor, times = "not run", "-"
			if f, ok := t.floor(m); ok {
				floor = figure(f)
				if f > 0 {
					times = fmt.Sprintf("%.2f×", v/f)
				}
				if t.perFloor {
					judged = v / f
				}
			}
			if t.perFloor && floor == "not run" {
				fmt.Fprintf(w, row, t.name, figure(v), floor, times, limit, "not run")
				continue
			}
		}
		pass := judged <= t.limit
		if t.atLeast {
			pass = judged >= t.limit
		}
		verdict := "FAIL"
		if pass {
			verdict = "pass"
		} else if t.unmeasurable != nil {
			if why, ok := t.unmeasurable(m); ok {
				verdict = why
			}
		}
		fmt.Fprintf(w, row, t.name, figure(v), floor, times, limit, verdict)
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
