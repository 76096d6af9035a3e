package bench

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"
)

const (
	// concurrentTarget is the connection count of BenchmarkConcurrentConns
	// (performance.md: ≥ 50,000 on one gateway node).
	concurrentTarget = 50000
	// concurrentWindow bounds the connecting.
	concurrentWindow = 90 * time.Second
	// fdLimit is the RLIMIT_NOFILE the benchmark sets for itself and so
	// for the emulator it starts: the clients' sockets here, the
	// server's there, with room for everything else.
	fdLimit = concurrentTarget + fdReserve
	// fdReserve is what each process keeps for everything but the
	// connections: HTTP keep-alive connections, the binary, logs.
	fdReserve = 1000
)

// concurrentSources are the loopback addresses the clients connect from:
// one source address has about 28,000 ephemeral ports towards the
// emulator's one listening address, so they are used above 25,000
// connections. 127.0.0.1 is left to the others.
var concurrentSources = []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}

// BenchmarkConcurrentConns raises the fd limit, connects up to 50,000 idle
// clients to one fresh emulator (both negotiate hops, WebSocket, handshake;
// 64 at a time, from four 127.0.0.x source addresses), for at most 90 s,
// and reports the connections reached and open after a 1 s settle
// (conns), the setup rate (conns/s) and the emulator's RSS growth per
// connection (KiB/conn), and the fd limit it ran under (fd-limit). It
// fails when fewer than all connect only through the summary's
// "Concurrent connections" row, and fails outright when a connected client
// is closed while idle. Where the hard limit cannot be raised (no
// CAP_SYS_RESOURCE, as in an unprivileged container) it connects as many
// as the limit leaves room for and says so; the summary row then reads
// "not measurable here (fd limit N)" rather than FAIL.
func BenchmarkConcurrentConns(b *testing.B) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
	if lim.Cur < fdLimit {
		// Raising the hard limit needs CAP_SYS_RESOURCE; the emulator
		// (started below) inherits the new limit.
		want := syscall.Rlimit{Cur: fdLimit, Max: max(lim.Max, fdLimit)}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			b.Logf("cannot raise the fd limit to %d (%v): at most %d connections", fdLimit, err, lim.Max-fdReserve)
			want = syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
			_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want)
		}
		b.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) })
	}
	var now syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now); err != nil {
		b.Fatal(err)
	}
	// Each process holds one side of every connection.
	n := int(min(concurrentTarget, now.Cur-fdReserve))
	// One op is one whole round, which takes far longer than any
	// -benchtime: b.Loop runs it once.
	for b.Loop() {
		concurrentRound(b, n)
	}
	report(b, float64(now.Cur), "fd-limit")
}

func concurrentRound(b *testing.B, target int) {
	child, c, stop := launch(b)
	defer stop()
	if target > 25000 {
		c.Sources = concurrentSources
	}
	warm, _ := dial(b, c, 100, ignore)
	warm.Close()
	time.Sleep(500 * time.Millisecond)
	before := rss(b, child.PID())

	ctx, cancel := context.WithTimeout(context.Background(), concurrentWindow)
	defer cancel()
	p, took, err := DialUpTo(ctx, target, dialWorkers, func(ctx context.Context, i int) (*Conn, error) {
		return c.Connect(ctx, fmt.Sprintf("u%d", i))
	}, ignore)
	if err != nil {
		b.Logf("stopped at %d connections: %v", p.Len(), err)
	}
	defer p.Close()
	time.Sleep(time.Second)
	after := rss(b, child.PID())
	if ended := p.Ended(); ended > 0 {
		b.Fatalf("%d connections closed while idle\nstderr:\n%s", ended, child.Logs())
	}
	n := float64(p.Len())
	report(b, n, "conns")
	report(b, n/took.Seconds(), "conns/s")
	if n > 0 {
		report(b, float64(after-before)/n, "KiB/conn")
	}
}
