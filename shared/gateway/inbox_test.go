//go:build unix

package gateway

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/testsupport"
)

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// smallFrames sends data as one WebSocket text message per n bytes.
func smallFrames(data string, n int) []byte {
	out := make([]byte, 0, len(data)+(len(data)/n+1)*6)
	for i := 0; i < len(data); i += n {
		out = append(out, maskedFrame(ws.OpText, true, []byte(data[i:min(i+n, len(data))]))...)
	}
	return out
}

// bigRecord is one JSON Invocation record of about n bytes, with an
// invocation id, so that the gateway answers it (no upstream: an error
// Completion).
func bigRecord(n int) string {
	return `{"type":1,"invocationId":"1","target":"t","arguments":["` + strings.Repeat("x", n) + `"]}` + "\x1e"
}

// smallRecords is about n bytes of 256-byte Invocation records without an
// invocation id (nothing answers them), then bigRecord(0).
func smallRecords(n int) string {
	one := `{"type":1,"target":"t","arguments":["` + strings.Repeat("x", 256-40) + `"]}` + "\x1e"
	return strings.Repeat(one, n/len(one)) + bigRecord(0)
}

// awaitCompletion reads until the error Completion of invocation "1".
func awaitCompletion(t *testing.T, c *client) {
	t.Helper()
	for {
		s, err := c.tryRead(2 * time.Minute)
		if err != nil {
			t.Fatalf("no completion: %v", err)
		}
		if strings.Contains(s, `"type":3`) {
			return
		}
	}
}

// sendCPU writes stream on c and returns the CPU time this process (client
// and gateway) spent until done returned.
func sendCPU(t *testing.T, c *client, stream []byte, done func()) time.Duration {
	t.Helper()
	start := cpuTime(t)
	if _, err := c.nc.Write(stream); err != nil {
		t.Fatal(err)
	}
	done()
	return cpuTime(t) - start
}

// A record sent in tiny frames costs time linear in its size (D3 of issue
// 12), before and after the handshake: the control sends as many frames
// holding small records. Before the fix every frame re-scanned the whole
// pending record (a 1 MB record in one-byte frames took 6.3 CPU-s): 4 MiB in
// 64-byte frames took 7 times the control's CPU under -race, 19 without. (The
// frames are not of one byte so that the quadratic term shows under -race,
// which slows the per-frame work but not the scanning.)
func TestTinyFramesCostLinearTime(t *testing.T) {
	testsupport.SkipSlow(t)
	const size, frame = 4 << 20, 64
	h := newHarness(t, func(c *Config) { c.MaxMessageBytes = 2 * size })
	control := h.connect("chat", "control")
	ctl := sendCPU(t, control, smallFrames(smallRecords(size), frame), func() { awaitCompletion(t, control) })

	t.Run("record", func(t *testing.T) {
		c := h.connect("chat", "record")
		att := sendCPU(t, c, smallFrames(bigRecord(size), frame), func() { awaitCompletion(t, c) })
		checkRatio(t, "one record", att, ctl, 4)
	})
	t.Run("handshake", func(t *testing.T) {
		tok := h.clientToken("chat", "hs", nil)
		code, body := h.negotiate("hub=chat&negotiateVersion=1", tok)
		var nr hubproto.NegotiateResponse
		if err := json.Unmarshal(body, &nr); code != 200 || err != nil {
			t.Fatalf("negotiate: %d %s", code, body)
		}
		c := h.dial("chat", nr.ConnectionToken, tok)
		hs := `{"protocol":"json","version":1,"pad":"` + strings.Repeat(" ", size) + `"}` + "\x1e"
		att := sendCPU(t, c, smallFrames(hs, frame), func() {
			if got, err := c.tryRead(2 * time.Minute); err != nil || got != "{}\x1e" {
				t.Fatalf("handshake response %q, %v", got, err)
			}
		})
		checkRatio(t, "the handshake", att, ctl, 4)
	})
}

func checkRatio(t *testing.T, what string, att, ctl time.Duration, most float64) {
	t.Helper()
	ctl = max(ctl, 10*time.Millisecond) // the kernel's accounting resolution
	r := float64(att) / float64(ctl)
	t.Logf("%s: %v, control %v (%.1fx)", what, att, ctl, r)
	if r > most {
		t.Fatalf("%s in tiny frames took %v of CPU, %.1f times the control's %v (want at most %.0f)", what, att, r, ctl, most)
	}
}

// Long Polling and Server-Sent Events clients may send a record over many
// POSTs: what is pending is kept, not copied again with every POST (quadratic
// framing). The control POSTs as many bodies, each a complete record.
// Before the fix 256 KiB in 1 KiB POSTs allocated about 20 times the control.
func TestPostedPiecesCostLinearMemory(t *testing.T) {
	const pieces, piece = 256, 1 << 10
	h := newHarness(t, nil)
	post := func(c *httpClient, bodies []string) uint64 {
		return allocated(func() {
			for i, b := range bodies {
				if code, got, _ := c.call("POST", "", b); code != 200 {
					t.Fatalf("POST %d: %d %s", i, code, got)
				}
			}
		})
	}
	one := `{"type":1,"target":"t","arguments":["` + strings.Repeat("x", piece-40) + `"]}` + "\x1e"
	ctlBodies := make([]string, pieces)
	for i := range ctlBodies {
		ctlBodies[i] = one
	}
	rec := `{"type":1,"target":"t","arguments":["` + strings.Repeat("x", pieces*piece-40) + `"]}` + "\x1e"
	var attBodies []string
	for len(rec) > 0 {
		n := min(piece, len(rec))
		attBodies, rec = append(attBodies, rec[:n]), rec[n:]
	}
	ctl := post(h.pollConn(t, "chat", "control"), ctlBodies)
	c := h.pollConn(t, "chat", "pieces")
	att := post(c, attBodies)
	r := float64(att) / float64(ctl)
	t.Logf("pieces %d B, control %d B (%.1fx)", att, ctl, r)
	if r > 3 {
		t.Fatalf("a record in %d POSTs allocated %d bytes, %.1f times the control's %d (want at most 3)", len(attBodies), att, r, ctl)
	}
	// The connection is still open and in order: a ping round trip.
	c.want("ping", "POST", "", `{"type":6}`+"\x1e", 200, "")
}

// A stray byte left after a large body must not keep the body's buffer:
// a client could hold about a message limit of memory per connection
// with one byte.
func TestInboxKeepDoesNotPinLargeBuffer(t *testing.T) {
	body := make([]byte, 1<<20)
	in := inbox{buf: body}
	in.keep(body[len(body)-1:])
	if &in.buf[0] == &body[len(body)-1] {
		t.Fatal("a 1-byte tail still points into the 1 MiB body")
	}
	in = inbox{buf: body}
	in.keep(body[1<<19:]) // a large tail stays where it is
	if &in.buf[0] != &body[1<<19] {
		t.Fatal("a large tail was copied")
	}
}
