package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/hubproto"
)

// BenchmarkFanout measures one broadcast reaching N local connections: bus
// hand-off, encode once, queue, vectored write, and the client reading the
// frame. Connections run over in-memory pipes, so the number measures the
// gateway rather than the kernel, and 10,000 connections fit in one process
// (real sockets are measured across processes by tests/bench). Pipes have
// no raw socket, so frames take the writer-goroutine path here, not the
// flush workers that write to real sockets.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchFanout(b, n, hubproto.JSON, nil) })
	}
}

// BenchmarkFanoutMsgpack is BenchmarkFanout with MessagePack connections:
// the JSON arguments are converted once per broadcast and the same binary
// frame is queued to every connection.
func BenchmarkFanoutMsgpack(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchFanout(b, n, hubproto.MessagePack, nil) })
	}
}

func benchFanout(b *testing.B, n int, codec hubproto.Codec, configure func(*Config)) {
	handshake := []byte(`{"protocol":"` + codec.Name() + `","version":1}` + "\x1e")
	dataOp := ws.OpText
	if codec.Binary() {
		dataOp = ws.OpBinary
	}
	h := newHarness(b, func(c *Config) {
		c.KeepAliveInterval = time.Hour
		c.ClientTimeout = time.Hour
		if configure != nil {
			configure(c)
		}
	})
	counts := make([]atomic.Int64, n) // deliveries per connection
	var closed atomic.Int64           // connections the gateway closed
	var readers, serving sync.WaitGroup
	clients := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		srvSide, cliSide := net.Pipe()
		id := fmt.Sprintf("c%d", i)
		if h.gw.idx.reserve("bench", id, "") != nil {
			b.Fatal("reserve failed")
		}
		serving.Add(1)
		h.gw.conns.Add(1) // what admit counts; the connection's end releases it
		go func() { defer serving.Done(); h.gw.serveConn(srvSide, srvSide, connRequest{hub: "bench", id: id}) }()
		if err := wsutil.WriteClientText(cliSide, handshake); err != nil {
			b.Fatal(err)
		}
		br := bufio.NewReader(cliSide)
		if _, _, err := wsutil.ReadServerData(struct {
			io.Reader
			io.Writer
		}{br, cliSide}); err != nil {
			b.Fatal(err)
		}
		clients = append(clients, cliSide)
		readers.Add(1)
		count := &counts[i]
		go func() {
			defer readers.Done()
			for {
				hd, err := ws.ReadHeader(br)
				if err != nil {
					return
				}
				if _, err := io.CopyN(io.Discard, br, hd.Length); err != nil {
					return
				}
				switch hd.OpCode {
				case dataOp:
					count.Add(1)
				case ws.OpClose:
					closed.Add(1)
				}
			}
		}()
	}
	// waitUntil waits until EVERY connection has want deliveries, so no
	// connection lags far enough behind to be closed as a slow consumer;
	// it fails the benchmark if one was closed or nothing moves for 10s.
	waitUntil := func(want int64) {
		last, lastMove := int64(-1), time.Now()
		for i := 0; i < n; {
			if got := counts[i].Load(); got >= want {
				i++
				continue
			} else if got != last {
				last, lastMove = got, time.Now()
			}
			if closed.Load() > 0 || time.Since(lastMove) > 10*time.Second {
				hist := map[int64]int{}
				for j := range counts {
					hist[counts[j].Load()]++
				}
				b.Fatalf("connection %d has %d of %d deliveries (%d connections closed by the gateway); deliveries→connections %v", i, counts[i].Load(), want, closed.Load(), hist)
			}
			time.Sleep(20 * time.Microsecond)
		}
	}
	env := sendEnv("bench", bus.ScopeAll, "", "news", `["Herald broadcast benchmark payload",42]`)
	ctx := context.Background()
	const window = 256 // stay well inside the per-connection queue bound
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := h.bus.Publish(ctx, env); err != nil {
			b.Fatal(err)
		}
		if (i+1)%window == 0 {
			waitUntil(int64(i + 1 - window/2))
		}
	}
	waitUntil(int64(b.N))
	b.StopTimer()
	total := float64(b.N) * float64(n)
	b.ReportMetric(total/b.Elapsed().Seconds(), "deliveries/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/delivery")
	for _, c := range clients {
		_ = c.Close()
	}
	readers.Wait()
	serving.Wait()
}
