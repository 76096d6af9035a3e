package redisbus_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/redistest"
)

// Sizes of BenchmarkIdleConnMemory: the gateway nodes of the 100,000
// connection scale run (docs/bench-scale.md), and the connections they
// register between the two readings of used_memory.
const (
	memNodes = 6
	memConns = 10_000
)

// BenchmarkIdleConnMemory measures the Redis memory of idle connections:
// memNodes gateway nodes, each with its own internal address, register
// memConns connections of one hub (ids as the gateway makes them, one
// user each, as the scale benchmark's clients are) on a throwaway
// redis-server of its own, and it reports the growth of used_memory per
// connection (B/conn) and MEMORY USAGE of the hub's keys by record (the
// key's name after the hub's base, up to its first colon), per
// connection. One run is enough (-benchtime=1x):
//
//	go test -run '^$' -bench IdleConnMemory -benchtime=1x ./shared/bus/redisbus/
func BenchmarkIdleConnMemory(b *testing.B) {
	srv := redistest.Start(b)
	rdb := newClient(b, srv.URL())
	d := newDeployment(b, rdb)
	ctx := b.Context()
	nodes := make([]*redisbus.Bus, memNodes)
	addrs := make([]string, memNodes)
	for i := range nodes {
		nodes[i] = d.node(redisbus.Config{})
		addrs[i] = fmt.Sprintf("http://127.0.0.1:%d", 18080+i)
	}
	round := 0
	for b.Loop() {
		round++
		hub := "scale" + strconv.Itoa(round)
		// Each node holds one connection of the hub before the first
		// reading: the per-node records (live entry, node sets, scripts)
		// are counted there, not against the idle connections.
		for i, n := range nodes {
			_, err := n.Register(ctx, bus.Conn{Hub: hub, ID: connID(), User: "warm" + strconv.Itoa(i), Addr: addrs[i]})
			must(b, err)
		}
		before := usedMemory(b, rdb)
		registerIdle(b, ctx, nodes, addrs, hub, memConns)
		grown := usedMemory(b, rdb) - before
		b.ReportMetric(float64(grown)/memConns, "B/conn")
		for rec, n := range recordBytes(b, rdb, d.prefix+":{h:"+hub+"}:") {
			b.ReportMetric(float64(n)/memConns, rec+"-B/conn")
		}
	}
}

// registerIdle registers n connections of hub, spread over nodes, user
// u<i> for the i-th, 32 at a time.
func registerIdle(b *testing.B, ctx context.Context, nodes []*redisbus.Bus, addrs []string, hub string, n int) {
	b.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	slots := make(chan struct{}, 32)
	for i := range n {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			k := i % len(nodes)
			_, err := nodes[k].Register(ctx, bus.Conn{Hub: hub, ID: connID(), User: "u" + strconv.Itoa(i), Addr: addrs[k]})
			if err != nil {
				mu.Lock()
				first = cmp.Or(first, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	must(b, first)
}

// connID returns an id shaped like the gateway's: 16 random bytes,
// base64url without padding.
func connID() string {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// usedMemory returns INFO's used_memory.
func usedMemory(b *testing.B, rdb redis.UniversalClient) int64 {
	b.Helper()
	info, err := rdb.Info(b.Context(), "memory").Result()
	must(b, err)
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			must(b, err)
			return n
		}
	}
	b.Fatal("INFO memory has no used_memory")
	return 0
}

// recordBytes returns MEMORY USAGE (every element sampled) of the keys
// under base, added up by record: the key's name after base up to its
// first colon ("conns", "u" for the per-user sets, ...).
func recordBytes(b *testing.B, rdb redis.UniversalClient, base string) map[string]int64 {
	b.Helper()
	ctx := b.Context()
	keys, err := rdb.Keys(ctx, base+"*").Result()
	must(b, err)
	slices.Sort(keys)
	out := map[string]int64{}
	for chunk := range slices.Chunk(keys, 1000) {
		pipe := rdb.Pipeline()
		cmds := make([]*redis.IntCmd, len(chunk))
		for i, k := range chunk {
			cmds[i] = pipe.MemoryUsage(ctx, k, 0)
		}
		_, err := pipe.Exec(ctx)
		must(b, err)
		for i, k := range chunk {
			rec, _, _ := strings.Cut(strings.TrimPrefix(k, base), ":")
			out[rec] += cmds[i].Val()
		}
	}
	return out
}
