package tests

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/heraldrt/herald/shared/gateway"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// tcpFront is a TCP load balancer for the tests: each connection goes to the first backend
// that accepts it, so a stopped gateway's clients land on the next one.
type tcpFront struct {
	ln       net.Listener
	backends []string
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
}

func startFront(t *testing.T, backends ...string) *tcpFront {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &tcpFront{ln: ln, backends: backends, conns: map[net.Conn]struct{}{}}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		f.mu.Lock()
		for c := range f.conns {
			_ = c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *tcpFront) accept() {
	defer f.wg.Done()
	for {
		in, err := f.ln.Accept()
		if err != nil {
			return
		}
		var out net.Conn
		for _, b := range f.backends {
			if out, err = net.Dial("tcp", b); err == nil {
				break
			}
		}
		if out == nil {
			_ = in.Close()
			continue
		}
		f.track(in, out)
		f.wg.Add(2)
		go f.pipe(out, in)
		go f.pipe(in, out)
	}
}

func (f *tcpFront) track(cs ...net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range cs {
		f.conns[c] = struct{}{}
	}
}

// pipe copies src to dst, then closes both (and forgets them).
func (f *tcpFront) pipe(dst, src net.Conn) {
	defer f.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
	f.mu.Lock()
	delete(f.conns, dst)
	delete(f.conns, src)
	f.mu.Unlock()
}

// connectVia is connectTo through the front, with automatic reconnect.
func (c *cluster) connectVia(t *testing.T, f *tcpFront, name, user string) string {
	t.Helper()
	u, tok := c.clientURL(t, name, user, f.ln.Addr().String())
	return c.js.ConnectWait(t, jsclient.ConnectOptions{
		Name: name, URL: u, AccessToken: tok, Reconnect: true,
		Transport: jsclient.WebSockets, Methods: []string{recv, probe},
	}, wait)
}

// Graceful drain: SIGTERM makes a gateway stop accepting, close its clients with
// "Service reloading, try reconnecting" and allowReconnect, remove its connections from
// Redis and exit; clients with automatic reconnect land on the other node and get
// messages there.
func TestMultiNodeGracefulDrain(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2)
	ctx := context.Background()
	f := startFront(t, c.gateways[gw1].Addr, c.gateways[gw2].Addr)
	names := []string{"d1", "d2", "d3"}
	var ids []string
	for _, name := range names {
		ids = append(ids, c.connectVia(t, f, name, "u-"+name))
	}
	c.settle(t, names...)

	if err := c.gateways[gw1].Stop(); err != nil {
		t.Fatalf("gateway 1 did not drain cleanly: %v", err)
	}
	// Its state left Redis as it stopped: no waiting for a reaper.
	for _, id := range ids {
		if err := want404(codeConnNotExisted)(c.rest.ConnectionExists(ctx, hub, id)); err != nil {
			t.Errorf("connection %s of the drained gateway: %v", id, err)
		}
	}
	for _, name := range names {
		ev := c.js.Expect(t, name, jsclient.KindReconnecting, wait)
		if !strings.Contains(ev.ErrorText(), gateway.ReasonServiceReloading) {
			t.Errorf("%s reconnecting after %q, want %q", name, ev.ErrorText(), gateway.ReasonServiceReloading)
		}
		c.js.Expect(t, name, jsclient.KindReconnected, wait)
	}
	logs := c.gateways[gw1].Logs()
	if !strings.Contains(logs, "stopped") {
		t.Errorf("gateway 1 did not log its stop:\n%s", logs)
	}
	c.settle(t, names...) // delivered by gateway 2
	if got := c.gateways[gw2].Logs(); strings.Count(got, "connection started") < len(names) {
		t.Errorf("gateway 2 started %d connections, want %d", strings.Count(got, "connection started"), len(names))
	}
}
