package gateway

import (
	"github.com/heraldrt/herald/shared/testsupport"

	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/hubproto"
)

// dialSmallBuffer connects like harness.connect, with a 4 KiB receive
// buffer so that a client that stops reading stalls quickly.
func (h *harness) dialSmallBuffer(hub, user string) *client {
	h.t.Helper()
	nr, tok := negotiated(h.t.(*testing.T), h, hub, user)
	u := "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/client/?hub=" + hub + "&id=" + url.QueryEscape(nr.ConnectionToken)
	nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"Authorization": {"Bearer " + tok}}),
		Timeout: 5 * time.Second, NetDial: nd.DialContext}
	nc, br, _, err := d.Dial(context.Background(), u)
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	h.t.Cleanup(func() { _ = nc.Close() })
	c := &client{t: h.t, nc: nc, br: bufio.NewReader(nc), id: nr.ConnectionID, codec: hubproto.JSON}
	if br != nil {
		c.br = br
	}
	c.handshake(`{"protocol":"json","version":1}`)
	if got := c.readText(); got != "{}\x1e" {
		h.t.Fatalf("handshake response %q", got)
	}
	return c
}

// One client that stops reading among 1,000 is closed as a slow client and
// the 999 others get every broadcast, in order.
func TestOneStalledClientAmongThousand(t *testing.T) {
	testsupport.SkipSlow(t)
	const (
		clients = 1000
		ticks   = 50
	)
	logs := &testsupport.Buffer{}
	h := newHarness(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c.QueueMessages, c.QueueBytes = 64, 256<<10
	})
	stalled := h.dialSmallBuffer("chat", "stalled")
	readers := make([]*client, clients-1)
	for i := range readers {
		readers[i] = h.connect("chat", fmt.Sprintf("u%d", i))
	}
	// Every reader reads its ticks concurrently, as real clients do.
	errs := make(chan error, len(readers))
	var wg sync.WaitGroup
	for _, c := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- readTicks(c, ticks)
		}()
	}
	big := `["` + strings.Repeat("x", 32<<10) + `"]`
	for i := range ticks {
		// The stalled client's share: enough to fill its socket and queue.
		for range 4 {
			publish(t, h.bus, sendEnv("chat", bus.ScopeUser, "stalled", "big", big))
		}
		publish(t, h.bus, sendEnv("chat", bus.ScopeAll, "", "tick", fmt.Sprintf("[%d]", i)))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool {
		ok, _ := h.bus.ConnectionExists(context.Background(), "chat", stalled.id)
		return !ok
	})
	want := `reason="` + ReasonSlowClient + `"`
	waitFor(t, func() bool { return strings.Contains(logs.String(), want) })
	if n := strings.Count(logs.String(), "closing slow client"); n != 1 {
		t.Fatalf("%d slow clients closed, want 1", n)
	}
	if got := h.gw.Connections(); got != clients-1 {
		t.Fatalf("%d connections left, want %d", got, clients-1)
	}
}

// readTicks reads tick(0) … tick(n-1) in order, skipping Pings.
func readTicks(c *client, n int) error {
	return readInOrder(c, n, 30*time.Second, func(i int) string { return fmt.Sprintf("[%d]", i) })
}

// readInOrder reads n "tick" invocations whose arguments are args(0) …
// args(n-1), in order, skipping Pings; each read waits up to timeout.
func readInOrder(c *client, n int, timeout time.Duration, args func(int) string) error {
	next := 0
	for next < n {
		s, err := c.tryRead(timeout)
		if err != nil {
			return fmt.Errorf("%s after tick %d: %w", c.id, next, err)
		}
		msgs, _, err := hubproto.JSON.Decode([]byte(s))
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Type != hubproto.TypeInvocation {
				continue
			}
			if want := args(next); m.Target != "tick" || string(m.Arguments) != want {
				return fmt.Errorf("%s: got %s(%s), want tick %d", c.id, m.Target, clip(string(m.Arguments)), next)
			}
			next++
		}
	}
	return nil
}
