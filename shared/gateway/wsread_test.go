package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/gobwas/ws"
)

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// frameHeader returns the header of a masked client frame declaring n bytes,
// with no payload after it.
func frameHeader(op ws.OpCode, fin bool, n int64) []byte {
	var b bytes.Buffer
	_ = ws.WriteHeader(&b, ws.Header{Fin: fin, OpCode: op, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: n})
	return b.Bytes()
}

// readAllFrames reads stream to its end with a frame reader as the gateway
// configures it, and returns the messages read and the error it ended with.
func readAllFrames(stream []byte, limit int) (msgs [][]byte, err error) {
	r := &frameReader{br: bufio.NewReaderSize(bytes.NewReader(stream), readBufferSize), max: limit}
	for {
		msg, err := r.next()
		if err != nil {
			return msgs, err
		}
		if msg != nil {
			msgs = append(msgs, msg)
		}
	}
}

// The frame reader's memory follows the bytes that arrive, not the length a
// header declares (an attack SECURITY.md lists): each case's allocations are compared with
// a control that sends the same bytes but declares what it sends, or little.
// Before the fix a header declaring 1 MiB cost 1 MiB at once.
func TestFrameReaderAllocatesWhatArrives(t *testing.T) {
	const limit = 1 << 20
	some := bytes.Repeat([]byte("x"), 14)
	part := bytes.Repeat([]byte("y"), 200<<10)
	cases := []struct {
		name            string
		attack, control []byte
		ratio           float64 // most attack/control bytes allowed
	}{{
		name:    "1 MiB declared, 14 bytes sent",
		attack:  append(frameHeader(ws.OpText, true, limit), some...),
		control: append(frameHeader(ws.OpText, true, 4<<10), some...),
		ratio:   2,
	}, {
		name:    "1 MiB declared, 200 KiB sent",
		attack:  append(frameHeader(ws.OpBinary, true, limit), part...),
		control: maskedFrame(ws.OpBinary, true, part),
		ratio:   3,
	}, {
		name: "fragment declaring the rest of 1 MiB, 14 bytes sent",
		attack: append(append(maskedFrame(ws.OpText, false, some),
			frameHeader(ws.OpContinuation, true, limit-int64(len(some)))...), some...),
		control: append(append(maskedFrame(ws.OpText, false, some),
			frameHeader(ws.OpContinuation, true, 4<<10)...), some...),
		ratio: 2,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const rounds = 20
			measure := func(stream []byte) uint64 {
				return allocated(func() {
					for range rounds {
						if _, err := readAllFrames(stream, limit); !errors.Is(err, io.ErrUnexpectedEOF) && err != io.EOF {
							t.Errorf("stream ended with %v, want the end of the input", err)
						}
					}
				})
			}
			ctl, att := measure(tc.control), measure(tc.attack)
			t.Logf("attack %d B, control %d B per stream", att/rounds, ctl/rounds)
			if float64(att) > tc.ratio*float64(ctl) {
				t.Fatalf("attack allocated %d bytes per stream, %.1f times the control's %d (want at most %.0f times)",
					att/rounds, float64(att)/float64(ctl), ctl/rounds, tc.ratio)
			}
		})
	}
}

// A message in one-byte fragments costs about what it costs in one frame:
// the reassembly buffer doubles, it does not grow a byte at a time.
func TestFrameReaderOneByteFragments(t *testing.T) {
	const size = 64 << 10
	payload := bytes.Repeat([]byte("z"), size)
	var frags []byte
	for i := range size {
		op := ws.OpText
		if i > 0 {
			op = ws.OpContinuation
		}
		frags = append(frags, maskedFrame(op, i == size-1, payload[i:i+1])...)
	}
	whole := maskedFrame(ws.OpText, true, payload)
	for _, stream := range [][]byte{frags, whole} {
		msgs, err := readAllFrames(stream, 1<<20)
		if err != io.EOF || len(msgs) != 1 || !bytes.Equal(msgs[0], payload) {
			t.Fatalf("read %d messages, %v; want the payload, then EOF", len(msgs), err)
		}
	}
	ctl := allocated(func() { _, _ = readAllFrames(whole, 1<<20) })
	att := allocated(func() { _, _ = readAllFrames(frags, 1<<20) })
	t.Logf("fragments %d B, one frame %d B", att, ctl)
	if att > 4*ctl {
		t.Fatalf("one-byte fragments allocated %d bytes, %.1f times one frame's %d (want at most 4)", att, float64(att)/float64(ctl), ctl)
	}
}

// Messages read whole, in fragments, and cut short come out as before.
func TestFrameReaderMessages(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 3000) // past the first chunk
	stream := append(maskedFrame(ws.OpText, true, []byte("hi")), maskedFrame(ws.OpBinary, true, big)...)
	stream = append(stream, maskedFrame(ws.OpText, false, big[:5000])...)
	stream = append(stream, maskedFrame(ws.OpContinuation, false, big[5000:5001])...)
	stream = append(stream, maskedFrame(ws.OpContinuation, true, big[5001:])...)
	msgs, err := readAllFrames(stream, 1<<20)
	if err != io.EOF || len(msgs) != 3 || string(msgs[0]) != "hi" || !bytes.Equal(msgs[1], big) || !bytes.Equal(msgs[2], big) {
		t.Fatalf("got %d messages, %v", len(msgs), err)
	}
	if _, err := readAllFrames(append(frameHeader(ws.OpText, true, 10), "abc"...), 1<<20); err != io.ErrUnexpectedEOF {
		t.Fatalf("cut payload: %v, want %v", err, io.ErrUnexpectedEOF)
	}
	if _, err := readAllFrames(frameHeader(ws.OpText, true, 10), 1<<20); err != io.EOF {
		t.Fatalf("no payload: %v, want %v", err, io.EOF)
	}
	if _, err := readAllFrames(frameHeader(ws.OpText, true, 11), 10); err != errTooLarge {
		t.Fatalf("over the limit: %v, want %v", err, errTooLarge)
	}
	two := append(maskedFrame(ws.OpText, false, big[:6]), frameHeader(ws.OpContinuation, true, 5)...)
	if _, err := readAllFrames(two, 10); err != errTooLarge {
		t.Fatalf("fragments over the limit: %v, want %v", err, errTooLarge)
	}
}
