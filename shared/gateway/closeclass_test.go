package gateway

import (
	"bufio"
	"context"
	"net/http"
	"testing"
	"time"

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

// A WebSocket that ends without a close frame (the client's process
// killed, its network gone) was lost: ConnectionAborted and
// connection_lost, never ConnectionEnded.
func TestWebSocketWithoutCloseFrameIsLost(t *testing.T) {
	m := &closeLabels{}
	tr := diag.New(diag.Config{Connectivity: true})
	var got events
	defer tr.Watch(got.add)()
	h := newHarness(t, func(c *Config) { c.Metrics = m; c.Tracer = tr })
	c := h.connect("chat", "alice")
	_ = c.nc.Close() // end of stream, no close frame
	e := got.wait(t, func(e diag.Event) bool {
		return e.ConnectionID == c.id && (e.Name == diag.ConnectionAborted || e.Name == diag.ConnectionEnded)
	})
	if e.Name != diag.ConnectionAborted || e.Reason != ReasonConnectionLost || e.ReasonLabel != CloseConnectionLost {
		t.Fatalf("ended as %s (%q, %s), want ConnectionAborted (%q, %s)", e.Name, e.Reason, e.ReasonLabel, ReasonConnectionLost, CloseConnectionLost)
	}
	waitFor(t, func() bool { return m.get() == CloseConnectionLost })
}

// openStream opens c's event stream and completes the handshake; cancel
// cuts the stream as a closed EventSource or a lost socket would.
func openStream(t *testing.T, c *httpClient) (cancel func()) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+c.path, nil)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.tok)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	expectLines(t, br, ":")
	c.want("handshake", "POST", "", jsonHandshake, 200, "")
	expectLines(t, br, "data: {}\x1e", "")
	return func() { stop(); resp.Body.Close() }
}

// A Server-Sent Events stream cut off without a Close message was lost,
// even when the client timeout passes while the gateway waits for the
// Close message; with a Close message posted just after the stream ended
// (the official client's stop() races the two) the client closed it.
func TestServerSentEventsCutStream(t *testing.T) {
	for _, tc := range []struct {
		name  string
		close bool
		event string
		label string
	}{
		{"lost", false, diag.ConnectionAborted, CloseConnectionLost},
		{"Close message after the stream ended", true, diag.ConnectionEnded, CloseClientClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &closeLabels{}
			tr := diag.New(diag.Config{Connectivity: true})
			var got events
			defer tr.Watch(got.add)()
			h := newHarness(t, func(c *Config) { c.Metrics = m; c.Tracer = tr; c.ClientTimeout = 200 * time.Millisecond })
			c := h.httpConn(t, "chat", "bob", nil)
			cut := openStream(t, c)
			cut()
			if tc.close {
				c.want("Close message", "POST", "", `{"type":7}`+"\x1e", 200, "")
			}
			e := got.wait(t, func(e diag.Event) bool {
				return e.ConnectionID == c.id && (e.Name == diag.ConnectionAborted || e.Name == diag.ConnectionEnded)
			})
			if e.Name != tc.event || e.ReasonLabel != tc.label {
				t.Fatalf("ended as %s (%q, %s), want %s (%s)", e.Name, e.Reason, e.ReasonLabel, tc.event, tc.label)
			}
			waitFor(t, func() bool { return m.get() == tc.label })
		})
	}
}

// A Long Polling client whose pending poll was cut off and that neither
// polls again nor sends DELETE was lost (connection_lost), not timed out:
// TestLongPollingIdle is the client that just stopped polling.
func TestLongPollingCutPoll(t *testing.T) {
	m := &closeLabels{}
	h := newHarness(t, func(c *Config) { c.ClientTimeout = 200 * time.Millisecond; c.Metrics = m })
	c := h.pollConn(t, "chat", "")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+c.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.tok)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the poll was answered %d before the client cut it", resp.StatusCode)
	}
	waitFor(t, func() bool { return h.gw.Connections() == 0 })
	waitFor(t, func() bool { return m.get() == CloseConnectionLost })
}

// The upstream's disconnected event follows the same rule as the logs:
// no error when the client closed (a Close message on any transport, a
// Long Polling DELETE), the reason when the connection was lost.
func TestDisconnectedEventErrorFollowsTheCloseLabel(t *testing.T) {
	h, log := upstreamHarness(t)

	ws := h.connect("chat", "alice")
	waitFor(t, func() bool { return log.has("connected " + ws.id + " alice") })
	_ = ws.nc.Close() // no close frame
	waitFor(t, func() bool { return log.has("disconnected " + ws.id + " error=" + ReasonConnectionLost) })

	lp := h.pollConn(t, "chat", "bob")
	waitFor(t, func() bool { return log.has("connected " + lp.id + " bob") })
	lp.want("Close message", "POST", "", `{"type":7}`+"\x1e", 200, "")
	waitFor(t, func() bool { return log.has("disconnected " + lp.id + " error=") })
}
