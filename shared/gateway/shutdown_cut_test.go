package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/hubproto"
)

// A WebSocket client that upgraded but never sends its handshake is not in
// the index yet; at the shutdown deadline its socket is cut like every
// other, instead of holding Shutdown until its handshake times out.
func TestShutdownDeadlineCutsHandshakingClient(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.HandshakeTimeout = time.Hour })
	tok := h.clientToken("chat", "", nil)
	code, body := h.negotiate("hub=chat&negotiateVersion=1", tok)
	if code != 200 {
		t.Fatalf("negotiate: %d %s", code, body)
	}
	var nr hubproto.NegotiateResponse
	if err := json.Unmarshal(body, &nr); err != nil {
		t.Fatal(err)
	}
	h.dial("chat", nr.ConnectionToken, tok) // upgraded; no handshake
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.gw.Shutdown(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("shutdown: %v, want the deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown still waits for a client in its handshake 10s after its deadline")
	}
}
