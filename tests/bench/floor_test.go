package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gobwas/ws"

	"github.com/heraldrt/herald/tests/internal/proc"
)

// floorRecord is the hub message record the gateway writes for
// broadcastBody, which the floor server frames and writes as it is.
var floorRecord = []byte(`{"type":1,"target":"news","arguments":["Herald benchmark payload",42]}` + "\x1e")

// floorBinary builds ./tests/bench/floor once per run, into the run's
// build directory.
var floorBinary = sync.OnceValues(func() (string, error) {
	if _, err := emulatorBinary(); err != nil { // creates buildDir
		return "", err
	}
	bin := filepath.Join(buildDir, "floor")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/heraldrt/herald/tests/bench/floor").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("bench: go build floor: %w\n%s", err, out)
	}
	return bin, nil
})

// BenchmarkFanoutFloor is BenchmarkFanout against the raw floor
// (tests/bench/floor): a minimal gobwas/ws server that writes the same
// pre-encoded frame to every socket with one write each, no SignalR
// negotiate, handshake, bus or queues. Its floor-cpu-s/1M is the
// denominator of the "fan-out vs floor" row of the summary.
func BenchmarkFanoutFloor(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchFloor(b, n) })
	}
}

// launchFloor starts a floor server; stop stops it, reporting a failed
// shutdown as an error.
func launchFloor(b *testing.B) (child *proc.Child, stop func()) {
	b.Helper()
	bin, err := floorBinary()
	if err != nil {
		b.Fatal(err)
	}
	child, err = proc.Start(bin, "--addr", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	return child, func() {
		if err := child.Stop(); err != nil {
			b.Errorf("floor: %v\nstderr:\n%s", err, child.Logs())
		}
	}
}

// startFloor starts a floor server with n clients that call h, and a
// Client whose Broadcast sends to the floor; Cleanup stops them.
func startFloor(b *testing.B, n int, h Handler) (*proc.Child, *Client, *Pool) {
	child, stop := launchFloor(b)
	b.Cleanup(stop)
	c, err := NewClient(child.Addr, hub, accessKey)
	if err != nil {
		b.Fatal(err)
	}
	c.sendURL = "http://" + child.Addr + "/send"
	b.Cleanup(c.Close)
	p, _, err := DialEach(context.Background(), n, dialWorkers, func(ctx context.Context, _ int) (*Conn, error) {
		return dialFloor(ctx, "ws://"+child.Addr+"/ws")
	}, h)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	return child, c, p
}

func benchFloor(b *testing.B, n int) {
	window := int64(max(1, min(200, 200_000/n)))
	tally := NewTally()
	per := make([]atomic.Int64, n)
	child, c, p := startFloor(b, n, func(i int, payload []byte) {
		if IsInvocation(payload) {
			per[i].Add(1)
			tally.Add()
		}
	})
	ctx := context.Background()
	waitFor := func(want int64) {
		if err := tally.WaitFor(want, stall); err != nil {
			b.Fatalf("%v (%d connections closed by the server)\nstderr:\n%s", err, p.Ended(), child.Logs())
		}
	}
	srv0, drv0 := cpu(b, child.PID()), cpu(b, os.Getpid())
	sent := int64(0)
	for b.Loop() {
		if err := c.Broadcast(ctx, floorRecord); err != nil {
			b.Fatal(err)
		}
		sent++
		if sent > window {
			waitFor((sent - window) * int64(n))
		}
	}
	b.StartTimer()
	waitFor(sent * int64(n))
	b.StopTimer()
	srv, drv := cpu(b, child.PID())-srv0, cpu(b, os.Getpid())-drv0
	for i := range per {
		if got := per[i].Load(); got != sent {
			b.Fatalf("connection %d got %d messages, want %d", i, got, sent)
		}
	}
	deliveries := float64(sent) * float64(n)
	report(b, srv.Seconds()/deliveries*1e6, "floor-cpu-s/1M")
	report(b, drv.Seconds()/deliveries*1e6, "drv-cpu-s/1M")
}

// dialFloor opens a WebSocket to the floor server: no negotiate, no
// handshake.
func dialFloor(ctx context.Context, target string) (*Conn, error) {
	nc, br, _, err := ws.Dialer{Timeout: ioTimeout}.Dial(ctx, target)
	if err != nil {
		return nil, fmt.Errorf("websocket: %w", err)
	}
	if br != nil {
		ws.PutReader(br) // the floor writes nothing before the first send
	}
	return &Conn{nc: nc, proto: JSON, br: bufio.NewReaderSize(nc, ReadBufferSize)}, nil
}
