package gateway

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

func TestFinishFrameHeaders(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 200000} {
		b := append(frameBuf(n), bytes.Repeat([]byte{'x'}, n)...)
		f := finishFrame(b, opText)
		h, err := ws.ReadHeader(bytes.NewReader(f))
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if !h.Fin || h.OpCode != ws.OpText || h.Masked || h.Length != int64(n) {
			t.Fatalf("n=%d: header %+v", n, h)
		}
		if len(f) != ws.HeaderSize(h)+n {
			t.Fatalf("n=%d: frame length %d", n, len(f))
		}
	}
}

func TestInvocationFrameEncodesOnce(t *testing.T) {
	f := invocationFrame("news", []byte(`[1,"two"]`))
	want := `{"type":1,"target":"news","arguments":[1,"two"]}` + "\x1e"
	if !strings.HasSuffix(string(f), want) || f[0] != 0x81 || int(f[1]) != len(want) {
		t.Fatalf("frame %q", f)
	}
}
