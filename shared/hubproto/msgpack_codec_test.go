package hubproto

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestMsgpackDecodeValid(t *testing.T) {
	tests := []struct {
		name string
		body string // hex, without the length prefix
		want Message
	}{
		// The examples of HubProtocol.md.
		{"invocation", "96 01 80 a3 78797a a6 6d6574686f64 91 2a 90",
			Message{Type: TypeInvocation, InvocationID: "xyz", Target: "method", Arguments: hx("91 2a")}},
		{"invocation non-blocking", "96 01 80 c0 a6 6d6574686f64 91 2a 90",
			Message{Type: TypeInvocation, Target: "method", Arguments: hx("91 2a")}},
		{"invocation headers", "96 01 82 a1 78 a1 79 a1 7a a1 7a a3 78797a a6 6d6574686f64 91 2a 90",
			Message{Type: TypeInvocation, InvocationID: "xyz", Target: "method", Arguments: hx("91 2a"),
				Headers: map[string]string{"x": "y", "z": "z"}}},
		{"stream invocation", "96 04 80 a3 78797a a6 6d6574686f64 91 2a 90",
			Message{Type: TypeStreamInvocation, InvocationID: "xyz", Target: "method", Arguments: hx("91 2a")}},
		{"stream item", "94 02 80 a3 78797a 2a", Message{Type: TypeStreamItem, InvocationID: "xyz", Item: hx("2a")}},
		{"completion error", "95 03 80 a3 78797a 01 a5 4572726f72", Message{Type: TypeCompletion, InvocationID: "xyz", Error: "Error"}},
		{"completion void", "94 03 80 a3 78797a 02", Message{Type: TypeCompletion, InvocationID: "xyz"}},
		{"completion result", "95 03 80 a3 78797a 03 2a", Message{Type: TypeCompletion, InvocationID: "xyz", HasResult: true, Result: hx("2a")}},
		{"cancel", "93 05 80 a3 78797a", Message{Type: TypeCancelInvocation, InvocationID: "xyz"}},
		{"ping", "91 06", Message{Type: TypePing}},
		{"close", "92 07 a3 78797a", Message{Type: TypeClose, Error: "xyz"}},
		{"close reconnect", "93 07 a3 78797a c3", Message{Type: TypeClose, Error: "xyz", AllowReconnect: true}},
		{"ack", "92 08 cc 24", Message{Type: TypeAck, SequenceID: 36}},
		{"sequence", "92 09 cc 13", Message{Type: TypeSequence, SequenceID: 19}},
		// Beyond the examples.
		{"invocation five elements", "95 01 80 c0 a1 61 90", Message{Type: TypeInvocation, Target: "a", Arguments: hx("90")}},
		{"invocation empty id is none", "95 01 80 a0 a1 61 90", Message{Type: TypeInvocation, Target: "a", Arguments: hx("90")}},
		{"invocation stream ids", "96 01 80 a1 31 a1 61 90 92 a1 32 a1 33",
			Message{Type: TypeInvocation, InvocationID: "1", Target: "a", Arguments: hx("90"), StreamIDs: []string{"2", "3"}}},
		{"invocation nil stream ids", "96 01 80 c0 a1 61 90 c0", Message{Type: TypeInvocation, Target: "a", Arguments: hx("90")}},
		{"invocation nested args", "95 01 80 c0 a1 61 93 81 a1 78 92 01 02 c4 02 0102 d6 ff 00000000",
			Message{Type: TypeInvocation, Target: "a", Arguments: hx("93 81 a1 78 92 01 02 c4 02 0102 d6 ff 00000000")}},
		{"extra elements skipped", "97 01 80 c0 a1 61 90 90 82 01 02 03 04", Message{Type: TypeInvocation, Target: "a", Arguments: hx("90")}},
		{"long formats", "dc 0005 d0 01 de 0000 d9 01 31 da 0001 61 dd 00000000",
			Message{Type: TypeInvocation, InvocationID: "1", Target: "a", Arguments: hx("dd 00000000")}},
		{"type as uint64", "91 cf 0000000000000006", Message{Type: TypePing}},
		{"type as int8", "91 d0 06", Message{Type: TypePing}},
		{"ping extra", "92 06 c0", Message{Type: TypePing}},
		{"completion nil result", "95 03 80 a1 31 03 c0", Message{Type: TypeCompletion, InvocationID: "1", HasResult: true, Result: hx("c0")}},
		{"completion nil error is void", "95 03 80 a1 31 01 c0", Message{Type: TypeCompletion, InvocationID: "1"}},
		{"completion void extra", "95 03 80 a1 31 02 c0", Message{Type: TypeCompletion, InvocationID: "1"}},
		{"completion headers", "94 03 81 a1 61 a1 62 a1 31 02", Message{Type: TypeCompletion, InvocationID: "1", Headers: map[string]string{"a": "b"}}},
		{"repeated header last wins", "93 05 82 a1 61 a1 62 a1 61 a1 63 a1 31",
			Message{Type: TypeCancelInvocation, InvocationID: "1", Headers: map[string]string{"a": "c"}}},
		{"close nil error", "92 07 c0", Message{Type: TypeClose}},
		{"close as the server writes it", "93 07 c0 c2", Message{Type: TypeClose}},
		{"ack int64", "92 08 d3 8000000000000000", Message{Type: TypeAck, SequenceID: -1 << 63}},
		{"sequence max", "92 09 cf 7fffffffffffffff", Message{Type: TypeSequence, SequenceID: 1<<63 - 1}},
		{"unknown type", "93 63 c0 81 a1 61 c3", Message{Type: 99}},
		{"unknown type negative", "91 ff", Message{Type: -1}},
		{"unknown type zero", "91 00", Message{Type: 0}},
		{"unicode strings", "95 01 80 c0 a6 c3a9f09f9880 90", Message{Type: TypeInvocation, Target: "é😀", Arguments: hx("90")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := hx(tt.body)
			msgs, rest, err := MessagePack.Decode(framed(body))
			if err != nil || rest != nil {
				t.Fatalf("Decode: %v, rest %x", err, rest)
			}
			tt.want.Raw = body
			if len(msgs) != 1 || !reflect.DeepEqual(msgs[0], tt.want) {
				t.Fatalf("Decode = %#v\nwant %#v", msgs, tt.want)
			}
			m, err := DecodeMsgpackMessage(body)
			if err != nil || !reflect.DeepEqual(m, tt.want) {
				t.Errorf("DecodeMsgpackMessage = %#v, %v", m, err)
			}
			checkRoundTrip(t, MessagePack, framed(body))
		})
	}
}

func TestMsgpackDecodeInvalid(t *testing.T) {
	tests := []struct {
		name, body, detail string
	}{
		{"not an array", "81 a1 61 01", "expected 'message' to be an array"},
		{"empty array", "90", "empty message array"},
		{"type string", "91 a1 31", "expected 'type' to be an integer"},
		{"type float", "91 cb 4018000000000000", "expected 'type' to be an integer"},
		{"type out of int32", "91 ce 80000000", "'type' is out of range"},
		{"type beyond int64", "91 cf ffffffffffffffff", "'type' is out of range"},
		{"invocation short", "94 01 80 c0 a1 61", "has 4 elements, want at least 5"},
		{"invocation headers nil", "95 01 c0 c0 a1 61 90", "expected 'headers' to be a map"},
		{"invocation header value int", "95 01 81 a1 61 01 c0 a1 61 90", "expected 'header value' to be a string"},
		{"invocation id int", "95 01 80 01 a1 61 90", "expected 'invocationId' to be a string"},
		{"invocation target nil", "95 01 80 c0 c0 90", "expected 'target' to be a string"},
		{"invocation target empty", "95 01 80 c0 a0 90", "missing required property 'target'"},
		{"invocation target bad utf8", "95 01 80 c0 a1 ff 90", "'target' is not valid UTF-8"},
		{"invocation args map", "95 01 80 c0 a1 61 80", "expected 'arguments' to be an array"},
		{"invocation args truncated", "95 01 80 c0 a1 61 92 01", "reading 'arguments'"},
		{"invocation stream ids ints", "96 01 80 c0 a1 61 90 91 01", "expected 'streamIds' to be a string"},
		{"stream invocation nil id", "95 04 80 c0 a1 61 90", "missing required property 'invocationId'"},
		{"stream item no item", "93 02 80 a1 31", "want at least 4"},
		{"stream item empty id", "94 02 80 a0 01", "missing required property 'invocationId'"},
		{"completion bad kind", "94 03 80 a1 31 04", "invalid resultKind 4"},
		{"completion error missing", "94 03 80 a1 31 01", "missing required property 'error'"},
		{"completion result missing", "94 03 80 a1 31 03", "missing required property 'result'"},
		{"completion error int", "95 03 80 a1 31 01 01", "expected 'error' to be a string"},
		{"cancel nil id", "93 05 80 c0", "missing required property 'invocationId'"},
		{"close short", "91 07", "want at least 2"},
		{"close error int", "92 07 01", "expected 'error' to be a string"},
		{"close allowReconnect nil", "93 07 c0 c0", "expected 'allowReconnect' to be a boolean"},
		{"ack short", "91 08", "want at least 2"},
		{"ack float", "92 08 ca 3f800000", "expected 'sequenceId' to be an integer"},
		{"ack beyond int64", "92 08 cf 8000000000000000", "'sequenceId' is out of range"},
		{"trailing bytes", "91 06 c0", "1 bytes after the message array"},
		{"reserved byte", "92 06 c1", "reserved MessagePack byte 0xc1"},
		{"extra element truncated", "92 06 d9", "truncated"},
		{"array count beyond data", "dd ffffffff 06", "truncated"},
		{"unknown type bad extra", "92 63 c1", "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, rest, err := MessagePack.Decode(framed(hx(tt.body)))
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("Decode err = %v, want ErrInvalidMessage", err)
			}
			if !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("Decode err = %q, want detail %q", err, tt.detail)
			}
			if len(msgs) != 0 || rest != nil {
				t.Errorf("Decode = %v, rest %x; want none", msgs, rest)
			}
			if _, err := DecodeMsgpackMessage(hx(tt.body)); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("DecodeMsgpackMessage err = %v", err)
			}
		})
	}
}

func TestMsgpackDecodeFraming(t *testing.T) {
	ping := "02 91 06"
	tests := []struct {
		name     string
		in       string
		wantN    int
		wantRest string
		wantErr  string
	}{
		{"empty", "", 0, "", ""},
		{"one", ping, 1, "", ""},
		{"three", ping + ping + ping, 3, "", ""},
		{"prefix only", "02", 0, "02", ""},
		{"partial body", "02 91", 0, "02 91", ""},
		{"two and partial", ping + ping + "05 95 01", 2, "05 95 01", ""},
		{"partial prefix", ping + "80", 1, "80", ""},
		{"partial long prefix", ping + "ff ff ff ff", 1, "ff ff ff ff", ""},
		{"big declared length is incomplete", "ff ff ff ff 07 91", 0, "ff ff ff ff 07 91", ""},
		{"overlong prefix accepted", "82 00 91 06", 1, "", ""},
		{"prefix over 2^31-1", ping + "ff ff ff ff 08", 1, "", "record 1: length prefix"},
		{"prefix over five bytes", "80 80 80 80 80 00", 0, "", "record 0: length prefix"},
		{"empty record", ping + "00", 1, "", "record 1: empty record"},
		{"bad middle record keeps earlier", ping + "01 90" + ping, 1, "", "record 1: empty message array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, rest, err := MessagePack.Decode(hx(tt.in))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && (!errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want ErrInvalidMessage with %q", err, tt.wantErr)
			}
			if len(msgs) != tt.wantN {
				t.Errorf("got %d messages, want %d", len(msgs), tt.wantN)
			}
			if want := hx(tt.wantRest); !bytes.Equal(rest, want) || (len(want) == 0 && rest != nil) {
				t.Errorf("rest = % x, want %s", rest, tt.wantRest)
			}
		})
	}
}

// Decoding byte by byte gives the same messages as decoding at once.
func TestMsgpackDecodeSplitReads(t *testing.T) {
	long := Message{Type: TypeInvocation, Target: strings.Repeat("t", 300), Arguments: hx("91 a3 616263")}
	all, err := MessagePack.Append(nil, &long)
	if err != nil {
		t.Fatal(err)
	}
	all = AppendMsgpackPing(all)
	all = AppendMsgpackClose(all, "x", true)
	want, _, err := MessagePack.Decode(all)
	if err != nil || len(want) != 3 {
		t.Fatalf("Decode = %v, %v", want, err)
	}
	var got []Message
	var buf []byte
	for i := range all {
		buf = append(buf, all[i])
		msgs, rest, err := MessagePack.Decode(buf)
		if err != nil {
			t.Fatalf("at byte %d: %v", i, err)
		}
		got = append(got, msgs...)
		buf = append([]byte(nil), rest...)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("split decode = %#v\nwant %#v", got, want)
	}
}

func TestMsgpackDecodeDoesNotAlias(t *testing.T) {
	in := framed(hx("96 01 81 a1 6b a1 76 a1 37 a3 616263 92 01 02 91 a1 73"))
	in = append(in, framed(hx("94 02 80 a1 31 a1 69"))...)
	in = append(in, framed(hx("95 03 80 a1 31 03 a1 72"))...)
	msgs, _, err := MessagePack.Decode(in)
	if err != nil || len(msgs) != 3 {
		t.Fatal(err)
	}
	want := make([]Message, len(msgs))
	for i, m := range msgs {
		want[i] = m
		want[i].Arguments = bytes.Clone(m.Arguments)
		want[i].Item = bytes.Clone(m.Item)
		want[i].Result = bytes.Clone(m.Result)
		want[i].Raw = bytes.Clone(m.Raw)
	}
	for i := range in {
		in[i] = 0xC1
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Fatalf("messages changed with the input buffer: %#v", msgs)
	}
	// Appending to a value field must not overwrite the rest of Raw.
	_ = append(msgs[0].Arguments, 0xFF)
	if !bytes.Equal(msgs[0].Raw, want[0].Raw) {
		t.Fatal("append to Arguments overwrote Raw")
	}
}

func TestMsgpackAppend(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want string // hex body, without the prefix
	}{
		{"invocation", Message{Type: TypeInvocation, InvocationID: "1", Target: "a", Arguments: hx("91 01"), StreamIDs: []string{"s"}},
			"96 01 80 a1 31 a1 61 91 01 91 a1 73"},
		{"invocation nil args", Message{Type: TypeInvocation, Target: "a"}, "95 01 80 c0 a1 61 90"},
		{"invocation headers sorted", Message{Type: TypeInvocation, Target: "a", Headers: map[string]string{"k": "v", "b": "", "z": "1"}},
			"95 01 83 a1 62 a0 a1 6b a1 76 a1 7a a1 31 c0 a1 61 90"},
		{"invocation bad utf8 target", Message{Type: TypeInvocation, Target: "\xff"}, "95 01 80 c0 a3 efbfbd 90"},
		{"stream invocation", Message{Type: TypeStreamInvocation, InvocationID: "1", Target: "a", Arguments: hx("90")},
			"95 04 80 a1 31 a1 61 90"},
		{"stream item", Message{Type: TypeStreamItem, InvocationID: "1", Item: hx("81 a1 61 01")}, "94 02 80 a1 31 81 a1 61 01"},
		{"stream item nil", Message{Type: TypeStreamItem, InvocationID: "1"}, "94 02 80 a1 31 c0"},
		{"completion void", Message{Type: TypeCompletion, InvocationID: "1"}, "94 03 80 a1 31 02"},
		{"completion HasResult nil", Message{Type: TypeCompletion, InvocationID: "1", HasResult: true}, "95 03 80 a1 31 03 c0"},
		{"completion result", Message{Type: TypeCompletion, InvocationID: "1", Result: hx("2a")}, "95 03 80 a1 31 03 2a"},
		{"completion error", Message{Type: TypeCompletion, InvocationID: "1", Error: "e"}, "95 03 80 a1 31 01 a1 65"},
		{"cancel", Message{Type: TypeCancelInvocation, InvocationID: "1"}, "93 05 80 a1 31"},
		{"ping", Message{Type: TypePing}, "91 06"},
		{"ping drops fields", Message{Type: TypePing, Target: "x", Headers: map[string]string{"a": "b"}}, "91 06"},
		{"close", Message{Type: TypeClose}, "93 07 c0 c2"},
		{"close error reconnect", Message{Type: TypeClose, Error: "x", AllowReconnect: true}, "93 07 a1 78 c3"},
		{"ack", Message{Type: TypeAck, SequenceID: 1394}, "92 08 cd 0572"},
		{"sequence negative", Message{Type: TypeSequence, SequenceID: -1}, "92 09 ff"},
		{"unknown", Message{Type: 1000}, "91 cd 03e8"},
		{"unknown negative", Message{Type: -40}, "91 d0 d8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MessagePack.Append([]byte("pre"), &tt.m)
			if err != nil {
				t.Fatal(err)
			}
			if want := append([]byte("pre"), framed(hx(tt.want))...); !bytes.Equal(got, want) {
				t.Errorf("Append = % x\nwant     % x", got, want)
			}
		})
	}
}

func TestMsgpackAppendInvalid(t *testing.T) {
	tests := []struct {
		name string
		m    *Message
	}{
		{"nil", nil},
		{"invocation no target", &Message{Type: TypeInvocation}},
		{"invocation args map", &Message{Type: TypeInvocation, Target: "a", Arguments: hx("80")}},
		{"invocation args JSON", &Message{Type: TypeInvocation, Target: "a", Arguments: raw(`[1]`)}},
		{"invocation args truncated", &Message{Type: TypeInvocation, Target: "a", Arguments: hx("92 01")}},
		{"invocation args two values", &Message{Type: TypeInvocation, Target: "a", Arguments: hx("90 90")}},
		{"stream invocation no id", &Message{Type: TypeStreamInvocation, Target: "a"}},
		{"stream item no id", &Message{Type: TypeStreamItem}},
		{"stream item reserved byte", &Message{Type: TypeStreamItem, InvocationID: "1", Item: hx("c1")}},
		{"completion no id", &Message{Type: TypeCompletion}},
		{"completion both", &Message{Type: TypeCompletion, InvocationID: "1", Error: "e", HasResult: true}},
		{"completion bad result", &Message{Type: TypeCompletion, InvocationID: "1", Result: hx("a5 61")}},
		{"cancel no id", &Message{Type: TypeCancelInvocation}},
		{"type out of range", &Message{Type: 1 << 40}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MessagePack.Append([]byte("pre"), tt.m)
			if err == nil {
				t.Fatalf("Append = % x, want error", got)
			}
			if string(got) != "pre" {
				t.Errorf("dst changed to % x", got)
			}
		})
	}
}

// Every message Append writes decodes back to itself.
func TestMsgpackAppendRoundTrip(t *testing.T) {
	msgs := []Message{
		{Type: TypeInvocation, InvocationID: "1", Target: strings.Repeat("t", 70000), Arguments: hx("93 01 a1 78 81 a1 79 c0"),
			StreamIDs: []string{"a", "b"}, Headers: map[string]string{"k1": "v1", "k2": strings.Repeat("v", 40)}},
		{Type: TypeStreamInvocation, InvocationID: "2", Target: "s", Arguments: hx("90")},
		{Type: TypeStreamItem, InvocationID: "3", Item: hx("a1 69")},
		{Type: TypeCompletion, InvocationID: "4", HasResult: true, Result: hx("c0")},
		{Type: TypeCompletion, InvocationID: "5", Error: "e"},
		{Type: TypeCompletion, InvocationID: "5"},
		{Type: TypeCancelInvocation, InvocationID: "6", Headers: map[string]string{"a": "b"}},
		{Type: TypePing},
		{Type: TypeClose, Error: "bye", AllowReconnect: true},
		{Type: TypeClose},
		{Type: TypeAck, SequenceID: 1 << 62},
		{Type: TypeSequence, SequenceID: -1 << 63},
		{Type: 1000},
	}
	var buf []byte
	for i := range msgs {
		var err error
		if buf, err = MessagePack.Append(buf, &msgs[i]); err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
	}
	got, rest, err := MessagePack.Decode(buf)
	if err != nil || rest != nil {
		t.Fatalf("Decode: %v, rest %x", err, rest)
	}
	if !reflect.DeepEqual(withoutRaw(got), msgs) {
		t.Fatalf("round trip\n got %#v\nwant %#v", withoutRaw(got), msgs)
	}
}

func TestAppendMsgpackFast(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string // hex, prefix included
	}{
		{"ping", AppendMsgpackPing(nil), "02 91 06"},
		{"invocation", AppendMsgpackInvocation(nil, "method", hx("91 2a")), "0d 95 01 80 c0 a6 6d6574686f64 91 2a"},
		{"invocation nil args", AppendMsgpackInvocation(nil, "a", nil), "07 95 01 80 c0 a1 61 90"},
		{"invocation bad utf8", AppendMsgpackInvocation(nil, "a\xff", nil), "0a 95 01 80 c0 a4 61efbfbd 90"},
		{"invocation appends", AppendMsgpackInvocation([]byte{0xAA}, "a", nil), "aa 07 95 01 80 c0 a1 61 90"},
		{"close", AppendMsgpackClose(nil, "", false), "04 93 07 c0 c2"},
		{"close error reconnect", AppendMsgpackClose(nil, "xyz", true), "07 93 07 a3 78797a c3"},
		{"completion void", AppendMsgpackCompletion(nil, "xyz", "", nil), "08 94 03 80 a3 78797a 02"},
		{"completion result", AppendMsgpackCompletion(nil, "xyz", "", hx("2a")), "09 95 03 80 a3 78797a 03 2a"},
		{"completion error", AppendMsgpackCompletion(nil, "xyz", "Error", hx("2a")), "0e 95 03 80 a3 78797a 01 a5 4572726f72"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if want := hx(tt.want); !bytes.Equal(tt.got, want) {
				t.Errorf("got  % x\nwant % x", tt.got, want)
			}
		})
	}
	// A long target needs a two-byte prefix and a str 16.
	target := strings.Repeat("x", 300)
	got := AppendMsgpackInvocation(nil, target, nil)
	want, err := MessagePack.Append(nil, &Message{Type: TypeInvocation, Target: target})
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("fast invocation % x\nAppend          % x (%v)", got[:8], want[:8], err)
	}
}

func TestMsgpackFastEncodersDoNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 512)
	args := hx("92 a7 757365722d3432 82 a4 74657874 ac 68656c6c6f2c20776f726c64 a2 7473 cf 0000018bcfe56800")
	if n := testing.AllocsPerRun(100, func() {
		buf = AppendMsgpackInvocation(buf[:0], "newMessage", args)
		buf = AppendMsgpackCompletion(buf, "17", "", args)
		buf = AppendMsgpackClose(buf, "bye", true)
		buf = AppendMsgpackPing(buf)
	}); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func TestMessagePackCodecProperties(t *testing.T) {
	if MessagePack.Name() != "messagepack" || MessagePack.Version() != 2 || !MessagePack.Binary() {
		t.Fatalf("MessagePack = %q v%d binary=%v", MessagePack.Name(), MessagePack.Version(), MessagePack.Binary())
	}
	for _, v := range []int{1, 2} {
		if c, errText := SelectCodec(HandshakeRequest{"messagepack", v}); c != MessagePack {
			t.Errorf("version %d refused: %s", v, errText)
		}
	}
	if c, _ := SelectCodec(HandshakeRequest{"json", 1}); c != JSON {
		t.Errorf("SelectCodec() without codecs does not offer JSON")
	}
	if c, errText := SelectCodec(HandshakeRequest{"messagepack", 3}); c != nil || !strings.Contains(errText, "version 3") {
		t.Errorf("version 3: %v, %q", c, errText)
	}
}
