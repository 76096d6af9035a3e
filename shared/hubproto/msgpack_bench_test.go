package hubproto

import (
	"encoding/json"
	"testing"
)

// benchRESTArgs is a typical arguments array of a REST send.
var benchRESTArgs = json.RawMessage(`["user-42",{"text":"hello, world","ts":1700000000000,"score":98.5,"tags":["a","b"],"reply":null}]`)

func BenchmarkAppendMsgpackInvocation(b *testing.B) {
	args, err := JSONToMsgpack(nil, benchRESTArgs)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendMsgpackInvocation(buf[:0], "newMessage", args)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkJSONToMsgpack(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(len(benchRESTArgs)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = JSONToMsgpack(buf[:0], benchRESTArgs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMsgpackToJSON(b *testing.B) {
	mp, err := JSONToMsgpack(nil, benchRESTArgs)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(len(mp)))
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = MsgpackToJSON(buf[:0], mp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMsgpackDecodeInvocation(b *testing.B) {
	args, err := JSONToMsgpack(nil, json.RawMessage(`["room",{"text":"hello, world","ts":1700000000000}]`))
	if err != nil {
		b.Fatal(err)
	}
	data, err := MessagePack.Append(nil, &Message{Type: TypeInvocation, InvocationID: "17", Target: "sendToGroup", Arguments: args})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		msgs, _, err := MessagePack.Decode(data)
		if err != nil || len(msgs) != 1 {
			b.Fatal(err)
		}
	}
}

func BenchmarkMsgpackDecodePing(b *testing.B) {
	data := AppendMsgpackPing(nil)
	b.ReportAllocs()
	for b.Loop() {
		msgs, _, err := MessagePack.Decode(data)
		if err != nil || len(msgs) != 1 {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePayloadMap(b *testing.B) {
	body := payloadMap(b, "newMessage", benchRESTArgs)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePayloadMap(body); err != nil {
			b.Fatal(err)
		}
	}
}
