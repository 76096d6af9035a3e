package gateway

import (
	"bufio"
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// deadlineBus is the memory bus, recording how long each registry call
// was given.
type deadlineBus struct {
	*bus.Memory
	mu    sync.Mutex
	given map[string]time.Duration
}

func (b *deadlineBus) note(call string, ctx context.Context) {
	d, ok := ctx.Deadline()
	b.mu.Lock()
	defer b.mu.Unlock()
	if !ok {
		b.given[call] = -1
		return
	}
	b.given[call] = time.Until(d)
}

func (b *deadlineBus) Register(ctx context.Context, c bus.Conn) ([]string, error) {
	b.note("register", ctx)
	return b.Memory.Register(ctx, c)
}

func (b *deadlineBus) Unregister(ctx context.Context, hub, id string) error {
	b.note("unregister", ctx)
	return b.Memory.Unregister(ctx, hub, id)
}

func (b *deadlineBus) got(call string) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.given[call]
	return d, ok
}

// Registry calls are bounded by BusTimeout, not by the client socket's
// WriteTimeout, for every transport.
func TestBusCallsHaveTheirOwnDeadline(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration // Config.BusTimeout
		want    time.Duration
	}{
		{"configured", 2 * time.Second, 2 * time.Second},
		{"default", 0, DefaultBusTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var db *deadlineBus
			h := newHarness(t, func(c *Config) {
				db = &deadlineBus{Memory: c.Bus.(*bus.Memory), given: map[string]time.Duration{}}
				c.Bus = db
				c.WriteTimeout = time.Minute
				c.BusTimeout = tc.timeout
			})
			check := func(transport string) {
				t.Helper()
				for _, call := range []string{"register", "unregister"} {
					var d time.Duration
					waitFor(t, func() bool {
						var ok bool
						d, ok = db.got(call)
						return ok
					})
					if d <= 0 || d > tc.want {
						t.Fatalf("%s: %s was given %v, want at most %v", transport, call, d, tc.want)
					}
				}
				db.mu.Lock()
				clear(db.given)
				db.mu.Unlock()
			}
			c := h.connect("chat", "a")
			c.send(`{"type":7}` + "\x1e")
			check("WebSockets")
			p := h.pollConn(t, "chat", "b")
			p.want("stop", "DELETE", "", "", 202, "*")
			check("LongPolling")
		})
	}
}

// The authentication expiry of asrs.s.coae closes a connection whatever
// its transport: it belongs to the shared lifecycle.
func TestAuthExpiryClosesServerSentEvents(t *testing.T) {
	h := newHarness(t, nil)
	soon := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	c := h.httpConn(t, "chat", "a", map[string]any{"asrs.s.coae": "true", "asrs.s.aeo": soon})
	resp := c.do("GET", "", "", "Accept", "text/event-stream")
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	expectLines(t, br, ":")
	c.want("handshake", "POST", "", jsonHandshake, 200, "")
	expectLines(t, br, "data: {}\x1e", "", `data: {"type":7,"error":"`+ReasonTokenExpired+`"}`+"\x1e", "")
}
