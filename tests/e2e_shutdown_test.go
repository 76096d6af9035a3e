package tests

import (
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/gateway"
	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// Stopping the emulator closes every client with a Close message (not a dropped socket);
// with automatic reconnect off the client reports closed, and Serve returns cleanly.
func TestShutdownClosesClients(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.connect(t, "c1", "alice")
	e.connect(t, "c2", "")

	if err := e.stop(); err != nil {
		t.Fatalf("Serve returned %v after cancel, want nil", err)
	}
	for _, name := range []string{"c1", "c2"} {
		closed := e.js.Expect(t, name, jsclient.KindClosed, wait)
		if !strings.Contains(closed.ErrorText(), gateway.ReasonServiceReloading) {
			t.Errorf("%s closed with %q, want the server's close reason %q", name, closed.ErrorText(), gateway.ReasonServiceReloading)
		}
	}
	if got := e.js.Pending(func(ev jsclient.Event) bool { return ev.Kind == jsclient.KindReconnecting }); len(got) > 0 {
		t.Errorf("clients without automatic reconnect tried to reconnect: %v", got)
	}
}
