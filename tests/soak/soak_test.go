//go:build soak

package soak

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/tests/internal/mgmt"
)

const (
	hub        = "soak"
	perRound   = 200 // connections opened and closed each round
	broadcasts = 20  // broadcasts each round, plus one group and one user send per client pair
	// warmup is how long the run goes before its baseline is taken: pools
	// and buffers reach their working size first.
	warmup = 15 * time.Second
	window = 3 // samples compared at the baseline and at the end
)

// sample is the process's state after a round, with every client gone.
type sample struct {
	round      int
	at         time.Duration // since the start
	heap       uint64        // HeapInuse after GC
	goroutines int
}

// TestSoak churns connections and messages for SOAK_DURATION (default 3m,
// at least 1m) and fails when the heap or the goroutine count at the end
// is above the baseline taken after the warm-up.
func TestSoak(t *testing.T) {
	duration := 3 * time.Minute
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("SOAK_DURATION: %v", err)
		}
		duration = max(d, time.Minute)
	}
	srv, err := node.New(node.Development(node.Config{Addr: "127.0.0.1:0"}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	rest, err := mgmt.New(srv.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	defer rest.Close()
	hc := &http.Client{Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()

	var samples []sample
	start := time.Now()
	for round := 0; time.Since(start) < duration; round++ {
		if err := churn(ctx, hc, rest, srv, round); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		hc.CloseIdleConnections()
		rest.Close()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		samples = append(samples, sample{round: round, at: time.Since(start), heap: ms.HeapInuse, goroutines: runtime.NumGoroutine()})
	}
	if path := os.Getenv("SOAK_HEAPPROFILE"); path != "" {
		writeHeapProfile(t, path)
	}
	report(t, samples)
}

// writeHeapProfile writes the heap profile to path (SOAK_HEAPPROFILE), for
// finding what grew: go tool pprof -sample_index=inuse_space path.
func writeHeapProfile(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		t.Fatal(err)
	}
}

// churn opens perRound connections, sends to all, to groups and to users,
// checks every client got its messages, and closes them three ways: a
// Close message, a dropped socket and a REST close.
func churn(ctx context.Context, hc *http.Client, rest *mgmt.Client, srv *node.Server, round int) error {
	clients := make([]*client, 0, perRound)
	defer func() {
		for _, c := range clients {
			c.close(true)
		}
	}()
	for i := range perRound {
		c, err := dial(ctx, hc, srv.URL(), hub, fmt.Sprintf("u%d", i/2))
		if err != nil {
			return err
		}
		clients = append(clients, c)
	}
	waitFor := func(what string, cond func() bool) error {
		for end := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(end) {
				return fmt.Errorf("%s: not within 30s", what)
			}
		}
		return nil
	}
	if err := waitFor("connections registered", func() bool { return srv.Gateway().Connections() == perRound }); err != nil {
		return err
	}
	group := fmt.Sprintf("g%d", round)
	for _, c := range clients[:perRound/2] {
		if _, err := rest.AddToGroup(ctx, hub, group, c.id); err != nil {
			return err
		}
	}
	for i := range broadcasts {
		if _, err := rest.SendToAll(ctx, hub, "all", []any{i, "broadcast"}); err != nil {
			return err
		}
	}
	if _, err := rest.SendToGroup(ctx, hub, group, "group", []any{round}); err != nil {
		return err
	}
	for u := range perRound / 2 {
		if _, err := rest.SendToUser(ctx, hub, fmt.Sprintf("u%d", u), "user", []any{u}); err != nil {
			return err
		}
	}
	for i, c := range clients {
		want := int64(broadcasts + 1)
		if i < perRound/2 {
			want++
		}
		if err := waitFor("deliveries to "+c.id, func() bool { return c.received.Load() >= want }); err != nil {
			return fmt.Errorf("%w (got %d, want %d)", err, c.received.Load(), want)
		}
	}
	for i, c := range clients {
		switch i % 3 {
		case 0:
			c.close(false)
		case 1:
			c.close(true)
		case 2:
			if _, err := rest.CloseConnection(ctx, hub, c.id, "soak"); err != nil {
				return err
			}
			<-c.done
			_ = c.nc.Close()
		}
	}
	clients = clients[:0]
	return waitFor("every connection gone", func() bool { return srv.Gateway().Connections() == 0 })
}

// report prints the samples and fails when the last rounds' heap or
// goroutines grew over the baseline taken after the warm-up (the least of
// window samples each, so one GC cycle's noise does not count).
func report(t *testing.T, samples []sample) {
	t.Helper()
	for _, s := range samples {
		t.Logf("round %3d at %5.1fs: heap in use %6.1f MiB, goroutines %d",
			s.round, s.at.Seconds(), float64(s.heap)/(1<<20), s.goroutines)
	}
	i := slices.IndexFunc(samples, func(s sample) bool { return s.at >= warmup })
	if i < 0 || len(samples)-i < 2*window {
		t.Fatalf("too few rounds after the %v warm-up to compare: %d", warmup, len(samples))
	}
	least := func(ss []sample) (uint64, int) {
		h, g := ss[0].heap, ss[0].goroutines
		for _, s := range ss[1:] {
			h, g = min(h, s.heap), min(g, s.goroutines)
		}
		return h, g
	}
	bh, bg := least(samples[i : i+window])
	lh, lg := least(samples[len(samples)-window:])
	t.Logf("%d rounds of %d connections (%d connections, %d or %d messages each): heap %.1f → %.1f MiB, goroutines %d → %d",
		len(samples), perRound, len(samples)*perRound, broadcasts+1, broadcasts+2, float64(bh)/(1<<20), float64(lh)/(1<<20), bg, lg)
	if lh > bh+bh/5+1<<20 {
		t.Errorf("heap grew from %.1f to %.1f MiB", float64(bh)/(1<<20), float64(lh)/(1<<20))
	}
	if lg > bg {
		t.Errorf("goroutines grew from %d to %d", bg, lg)
	}
}
