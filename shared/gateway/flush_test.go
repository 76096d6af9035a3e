package gateway

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// A burst of broadcasts reaches a reading client and one that reads only
// after the burst (its socket fills: the flush worker hands the rest,
// a frame cut in half included, to the connection's writer) whole and in
// order. Every 50th frame is larger than a flush chunk.
func TestFlushBurstKeepsOrder(t *testing.T) {
	const ticks = 600
	h := newHarness(t, func(c *Config) { c.QueueBytes = 64 << 20 })
	late := h.dialSmallBuffer("chat", "late")
	reader := h.connect("chat", "reader")
	small, big := strings.Repeat("x", 16<<10), strings.Repeat("y", flushChunk+1)
	pad := func(i int) string {
		if i%50 == 49 {
			return big
		}
		return small
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs <- readPadded(reader, ticks, pad)
	}()
	for i := range ticks {
		publish(t, h.bus, sendEnv("chat", bus.ScopeAll, "", "tick", fmt.Sprintf(`[%d,"%s"]`, i, pad(i))))
	}
	errs <- readPadded(late, ticks, pad)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := h.gw.Connections(); got != 2 {
		t.Fatalf("%d connections, want 2", got)
	}
}

// readPadded reads tick(i, pad(i)) for i = 0 … n-1 in order, skipping
// Pings.
func readPadded(c *client, n int, pad func(int) string) error {
	return readInOrder(c, n, 10*time.Second, func(i int) string { return fmt.Sprintf(`[%d,"%s"]`, i, pad(i)) })
}

func TestDropHead(t *testing.T) {
	a, b, c := []byte("a"), []byte("b"), []byte("c")
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "abc"}, {1, "bc"}, {2, "c"}, {3, ""}} {
		q := dropHead([][]byte{a, b, c}, tc.n)
		var got strings.Builder
		for _, f := range q {
			got.Write(f)
		}
		if got.String() != tc.want {
			t.Errorf("dropHead(%d) = %q, want %q", tc.n, got.String(), tc.want)
		}
		if full := q[:cap(q)]; len(q) < 3 && full[len(q)] != nil {
			t.Errorf("dropHead(%d) left a frame behind the end", tc.n)
		}
	}
}
