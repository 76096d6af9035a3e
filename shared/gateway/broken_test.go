package gateway

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/hubproto"
)

// Malformed WebSocket frames after the handshake close only the connection
// that sent them, with a Close message and close code 1002.
func TestMalformedFramesCloseOnlyThatConnection(t *testing.T) {
	h := newHarness(t, nil)
	good := h.connect("chat", "good")
	frames := map[string][]byte{
		"unmasked":           {0x81, 0x02, '{', '}'},
		"reserved bits":      {0xC1, 0x80, 0, 0, 0, 0},
		"reserved opcode":    {0x83, 0x80, 0, 0, 0, 0},
		"stray continuation": {0x80, 0x80, 0, 0, 0, 0},
		"long ping":          append([]byte{0x89, 0xFE, 0, 200, 0, 0, 0, 0}, make([]byte, 200)...),
		"fragmented ping":    {0x09, 0x80, 0, 0, 0, 0},
	}
	for name, f := range frames {
		t.Run(name, func(t *testing.T) {
			bad := h.connect("chat", "bad")
			if _, err := bad.nc.Write(f); err != nil {
				t.Fatal(err)
			}
			m := bad.next()
			if m.Type != hubproto.TypeClose || m.Error != ReasonProtocolError {
				t.Fatalf("got %+v, want Close %q", m, ReasonProtocolError)
			}
			if code := closeCode(t, bad); code != 1002 {
				t.Fatalf("close code %d, want 1002", code)
			}
		})
	}
	publish(t, h.bus, sendEnv("chat", bus.ScopeAll, "", "still", `[]`))
	good.expectInvocation("still", `[]`)
}

// closeCode reads frames until the WebSocket Close frame and returns its
// status code.
func closeCode(t *testing.T, c *client) int {
	t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		h, err := ws.ReadHeader(c.br)
		if err != nil {
			t.Fatalf("no close frame: %v", err)
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(c.br, p); err != nil {
			t.Fatal(err)
		}
		if h.OpCode == ws.OpClose {
			if len(p) < 2 {
				return 0
			}
			return int(binary.BigEndian.Uint16(p))
		}
	}
}

// Clients that vanish without a word (no Close, no FIN: a dead network) are
// dropped after the client timeout, from the node and from the bus, so the
// connection count cannot grow forever.
func TestDeadConnectionsAreDropped(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.ClientTimeout = 300 * time.Millisecond })
	var ids []string
	for i := range 20 {
		ids = append(ids, h.connect("chat", fmt.Sprintf("u%d", i)).id) // registered once connected
	}
	waitFor(t, func() bool { return h.gw.Connections() == 0 })
	// The bus forgets a connection just after the node's index does.
	for _, id := range ids {
		waitFor(t, func() bool {
			ok, err := h.bus.ConnectionExists(context.Background(), "chat", id)
			return !ok && err == nil
		})
	}
}
