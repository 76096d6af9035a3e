package hubproto

import (
	"encoding/json"
	"testing"
)

var benchArgs = json.RawMessage(`["user-42",{"text":"hello, world","ts":1700000000000}]`)

func BenchmarkAppendJSONInvocation(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendJSONInvocation(buf[:0], "newMessage", benchArgs)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkAppendInvocation(b *testing.B) {
	m := &Message{Type: TypeInvocation, Target: "newMessage", Arguments: benchArgs}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = JSON.Append(buf[:0], m); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodePing(b *testing.B) {
	data := AppendJSONPing(nil)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		msgs, _, err := JSON.Decode(data)
		if err != nil || len(msgs) != 1 {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeInvocation(b *testing.B) {
	data := []byte(`{"type":1,"invocationId":"17","target":"sendToGroup","arguments":["room",{"text":"hello, world","ts":1700000000000}]}` + "\x1e")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		msgs, _, err := JSON.Decode(data)
		if err != nil || len(msgs) != 1 {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseHandshake(b *testing.B) {
	data := []byte(`{"protocol":"json","version":1}` + "\x1e")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseHandshake(data); err != nil {
			b.Fatal(err)
		}
	}
}
