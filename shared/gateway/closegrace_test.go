package gateway

import (
	"context"
	"testing"
	"time"
)

// A server-side close gives the client a short grace for its close reply,
// then stops reading. The reader renews its deadline before every read; a
// renewal that runs after the close (the reader was busy with a message
// when the close came) must not undo the grace, or the connection stays
// registered until the client timeout. Seen as TestCloseEnvelope failing
// under load: the connection was still registered 15 s after its close.
func TestCloseGraceSurvivesReadRenewal(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.ClientTimeout = time.Minute })
	a := h.connect("chat", "a")
	var c *conn
	waitFor(t, func() bool {
		for _, x := range h.gw.idx.all() {
			if x.id == a.id {
				c = x
			}
		}
		return c != nil
	})
	c.closeWithMessage("bye", false)
	c.waitClosed() // the final frames are written and the grace is set
	// What the read loop does before its next read.
	c.extendRead(time.Now().Add(time.Minute))
	start := time.Now()
	waitFor(t, func() bool {
		ok, _ := h.bus.ConnectionExists(context.Background(), "chat", a.id)
		return !ok
	})
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the connection ended %v after its close", took)
	}
}
