package gateway

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"

	"github.com/gobwas/ws"
)

// maskedFrame returns one client frame: masked, as browsers send them.
func maskedFrame(op ws.OpCode, fin bool, payload []byte) []byte {
	var b bytes.Buffer
	mask := [4]byte{0x12, 0x34, 0x56, 0x78}
	_ = ws.WriteHeader(&b, ws.Header{Fin: fin, OpCode: op, Masked: true, Mask: mask, Length: int64(len(payload))})
	p := bytes.Clone(payload)
	ws.Cipher(p, mask, 0)
	b.Write(p)
	return b.Bytes()
}

// loopReader replays the same bytes forever.
type loopReader struct {
	b []byte
	i int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := copy(p, r.b[r.i:])
	r.i = (r.i + n) % len(r.b)
	return n, nil
}

// BenchmarkFrameReader reads client messages of several sizes, whole and in
// fragments, through the reader the gateway uses.
func BenchmarkFrameReader(b *testing.B) {
	for _, size := range []int{64, 4 << 10, 64 << 10} {
		for _, parts := range []int{1, 4} {
			payload := bytes.Repeat([]byte("x"), size)
			var stream []byte
			for i := range parts {
				op := ws.OpText
				if i > 0 {
					op = ws.OpContinuation
				}
				stream = append(stream, maskedFrame(op, i == parts-1, payload[i*size/parts:(i+1)*size/parts])...)
			}
			b.Run(fmt.Sprintf("%dB/%dframes", size, parts), func(b *testing.B) {
				r := &frameReader{br: bufio.NewReaderSize(&loopReader{b: stream}, readBufferSize), max: 1 << 20}
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					for {
						msg, err := r.next()
						if err != nil {
							b.Fatal(err)
						}
						if msg != nil {
							if len(msg) != size {
								b.Fatalf("message of %d bytes, want %d", len(msg), size)
							}
							break
						}
					}
				}
			})
		}
	}
}
