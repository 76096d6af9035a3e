package gateway

import (
	"testing"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/heraldrt/herald/shared/diag"
)

// A client that ends its WebSocket with a close frame (1000 from stop(),
// 1001 from a closed tab or a page left) ended normally: ConnectionEnded and
// client_closed, never ConnectionAborted with app_closed.
func TestClientCloseFrameIsANormalEnd(t *testing.T) {
	for _, code := range []ws.StatusCode{ws.StatusNormalClosure, ws.StatusGoingAway} {
		m := &closeLabels{}
		tr := diag.New(diag.Config{Connectivity: true})
		var got events
		stop := tr.Watch(got.add)
		h := newHarness(t, func(c *Config) { c.Metrics = m; c.Tracer = tr })
		c := h.connect("chat", "alice")
		if err := wsutil.WriteClientMessage(c.nc, ws.OpClose, ws.NewCloseFrameBody(code, "")); err != nil {
			t.Fatal(err)
		}
		got.wait(t, func(e diag.Event) bool { return e.ConnectionID == c.id && e.Name == diag.ConnectionEnded })
		waitFor(t, func() bool { return m.get() == CloseClientClosed })
		got.mu.Lock()
		for _, e := range got.all {
			if e.ConnectionID == c.id && e.Name == diag.ConnectionAborted {
				t.Errorf("close code %d logged as %s (%s, %s)", code, e.Name, e.Reason, e.ReasonLabel)
			}
		}
		got.mu.Unlock()
		stop()
	}
}
