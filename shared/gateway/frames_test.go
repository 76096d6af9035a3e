package gateway

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gobwas/ws"

	"github.com/heraldrt/herald/shared/hubproto"
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

func TestInvocationFrames(t *testing.T) {
	f, err := invocationFrame(protoJSON, "news", []byte(`[1,"two"]`))
	want := `{"type":1,"target":"news","arguments":[1,"two"]}` + "\x1e"
	if err != nil || !strings.HasSuffix(string(f), want) || f[0] != 0x81 || int(f[1]) != len(want) {
		t.Fatalf("json frame %q %v", f, err)
	}
	f, err = invocationFrame(protoMsgpack, "news", []byte(`[1,"two",{"x":1.5}]`))
	if err != nil || f[0] != 0x82 {
		t.Fatalf("msgpack frame %x %v", f, err)
	}
	msgs, rest, err := hubproto.MessagePack.Decode(f[2:])
	if err != nil || len(rest) != 0 || len(msgs) != 1 || msgs[0].Target != "news" {
		t.Fatalf("decode: %+v %x %v", msgs, rest, err)
	}
	js, err := hubproto.MsgpackToJSON(nil, msgs[0].Arguments)
	if err != nil || string(js) != `[1,"two",{"x":1.5}]` {
		t.Fatalf("arguments %s %v", js, err)
	}
	if _, err := invocationFrame(protoMsgpack, "news", []byte(`[1,`)); err == nil {
		t.Fatal("invalid JSON converted")
	}
}
