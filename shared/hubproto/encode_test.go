package hubproto

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestAppendJSONFast(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"invocation", AppendJSONInvocation(nil, "notify", raw(`["hi",{"n":1}]`)), `{"type":1,"target":"notify","arguments":["hi",{"n":1}]}`},
		{"invocation nil args", AppendJSONInvocation(nil, "a", nil), `{"type":1,"target":"a","arguments":[]}`},
		{"invocation empty args", AppendJSONInvocation(nil, "a", raw(``)), `{"type":1,"target":"a","arguments":[]}`},
		{"invocation escaped target", AppendJSONInvocation(nil, "a\"b\\c\n\x01\u2028é", nil),
			`{"type":1,"target":"a\"b\\c\n\u0001\u2028é","arguments":[]}`},
		{"invocation appends", AppendJSONInvocation([]byte("x"), "a", nil), `x{"type":1,"target":"a","arguments":[]}`},
		{"ping", AppendJSONPing(nil), `{"type":6}`},
		{"close", AppendJSONClose(nil, "", false), `{"type":7}`},
		{"close error", AppendJSONClose(nil, "Connection ping timeout", false), `{"type":7,"error":"Connection ping timeout"}`},
		{"close reconnect", AppendJSONClose(nil, "", true), `{"type":7,"allowReconnect":true}`},
		{"close both", AppendJSONClose(nil, "x", true), `{"type":7,"error":"x","allowReconnect":true}`},
		{"completion void", AppendJSONCompletion(nil, "1", "", nil), `{"type":3,"invocationId":"1"}`},
		{"completion result", AppendJSONCompletion(nil, "1", "", raw(`42`)), `{"type":3,"invocationId":"1","result":42}`},
		{"completion null", AppendJSONCompletion(nil, "1", "", raw(`null`)), `{"type":3,"invocationId":"1","result":null}`},
		{"completion error wins", AppendJSONCompletion(nil, "1", "bad", raw(`42`)), `{"type":3,"invocationId":"1","error":"bad"}`},
		{"handshake ok", AppendHandshakeResponse(nil, ""), `{}`},
		{"handshake error", AppendHandshakeResponse(nil, "Requested protocol 'x' is not available."),
			`{"error":"Requested protocol 'x' is not available."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := string(tt.got), rec(tt.want); got != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestAppend(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{"invocation", Message{Type: TypeInvocation, InvocationID: "1", Target: "a", Arguments: raw(`[1]`), StreamIDs: []string{"s"}},
			`{"type":1,"invocationId":"1","target":"a","arguments":[1],"streamIds":["s"]}`},
		{"invocation nil args", Message{Type: TypeInvocation, Target: "a"}, `{"type":1,"target":"a","arguments":[]}`},
		{"invocation headers sorted", Message{Type: TypeInvocation, Target: "a", Headers: map[string]string{"k": "v", "b": "\"", "z": ""}},
			`{"type":1,"headers":{"b":"\"","k":"v","z":""},"target":"a","arguments":[]}`},
		{"stream invocation", Message{Type: TypeStreamInvocation, InvocationID: "1", Target: "a", Arguments: raw(`[]`)},
			`{"type":4,"invocationId":"1","target":"a","arguments":[]}`},
		{"stream item", Message{Type: TypeStreamItem, InvocationID: "1", Item: raw(`{"a":1}`)}, `{"type":2,"invocationId":"1","item":{"a":1}}`},
		{"stream item nil", Message{Type: TypeStreamItem, InvocationID: "1"}, `{"type":2,"invocationId":"1","item":null}`},
		{"completion void", Message{Type: TypeCompletion, InvocationID: "1"}, `{"type":3,"invocationId":"1"}`},
		{"completion HasResult nil", Message{Type: TypeCompletion, InvocationID: "1", HasResult: true}, `{"type":3,"invocationId":"1","result":null}`},
		{"completion result without HasResult", Message{Type: TypeCompletion, InvocationID: "1", Result: raw(`2`)}, `{"type":3,"invocationId":"1","result":2}`},
		{"completion error", Message{Type: TypeCompletion, InvocationID: "1", Error: "e"}, `{"type":3,"invocationId":"1","error":"e"}`},
		{"cancel", Message{Type: TypeCancelInvocation, InvocationID: "1"}, `{"type":5,"invocationId":"1"}`},
		{"ping", Message{Type: TypePing, InvocationID: "ignored", Headers: map[string]string{"a": "b"}}, `{"type":6}`},
		{"close", Message{Type: TypeClose, Error: "e", AllowReconnect: true}, `{"type":7,"error":"e","allowReconnect":true}`},
		{"ack", Message{Type: TypeAck, SequenceID: 5}, `{"type":8,"sequenceId":5}`},
		{"sequence", Message{Type: TypeSequence, SequenceID: -1}, `{"type":9,"sequenceId":-1}`},
		{"unknown", Message{Type: 42, Target: "x"}, `{"type":42}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JSON.Append([]byte("pre"), &tt.m)
			if err != nil {
				t.Fatal(err)
			}
			if want := "pre" + rec(tt.want); string(got) != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestAppendInvalid(t *testing.T) {
	tests := []struct {
		name string
		m    *Message
	}{
		{"nil", nil},
		{"invocation no target", &Message{Type: TypeInvocation}},
		{"invocation args object", &Message{Type: TypeInvocation, Target: "a", Arguments: raw(`{}`)}},
		{"invocation args bad json", &Message{Type: TypeInvocation, Target: "a", Arguments: raw(`[1,`)}},
		{"invocation args two values", &Message{Type: TypeInvocation, Target: "a", Arguments: raw(`[][]`)}},
		{"stream invocation no id", &Message{Type: TypeStreamInvocation, Target: "a"}},
		{"stream item no id", &Message{Type: TypeStreamItem}},
		{"stream item bad json", &Message{Type: TypeStreamItem, InvocationID: "1", Item: raw("\x1e")}},
		{"completion no id", &Message{Type: TypeCompletion}},
		{"completion both", &Message{Type: TypeCompletion, InvocationID: "1", Error: "e", HasResult: true}},
		{"completion bad result", &Message{Type: TypeCompletion, InvocationID: "1", Result: raw(`nope`)}},
		{"completion result bad utf8", &Message{Type: TypeCompletion, InvocationID: "1", Result: raw("\"\xff\"")}},
		{"invocation args too deep", &Message{Type: TypeInvocation, Target: "a", Arguments: raw(strings.Repeat("[", 10000) + strings.Repeat("]", 10000))}},
		{"cancel no id", &Message{Type: TypeCancelInvocation}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JSON.Append([]byte("pre"), tt.m)
			if err == nil {
				t.Fatalf("Append = %q, want error", got)
			}
			if string(got) != "pre" {
				t.Errorf("dst changed to %q", got)
			}
		})
	}
}

// Every message Append writes decodes back to itself.
func TestAppendRoundTrip(t *testing.T) {
	msgs := []Message{
		{Type: TypeInvocation, InvocationID: "1", Target: "t\u2029\x00", Arguments: raw(`[1, "x", {"y": null}]`),
			StreamIDs: []string{"a", "b\""}, Headers: map[string]string{"k1": "v1", "k\n2": "v2"}},
		{Type: TypeStreamInvocation, InvocationID: "2", Target: "s", Arguments: raw(`[]`)},
		{Type: TypeStreamItem, InvocationID: "3", Item: raw(`"i"`)},
		{Type: TypeCompletion, InvocationID: "4", HasResult: true, Result: raw(`null`)},
		{Type: TypeCompletion, InvocationID: "5", Error: "e"},
		{Type: TypeCancelInvocation, InvocationID: "6", Headers: map[string]string{"a": "b"}},
		{Type: TypePing},
		{Type: TypeClose, Error: "bye", AllowReconnect: true},
		{Type: TypeAck, SequenceID: 1 << 62},
		{Type: TypeSequence, SequenceID: 7},
		{Type: 1000},
	}
	var buf []byte
	for i := range msgs {
		var err error
		if buf, err = JSON.Append(buf, &msgs[i]); err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
	}
	got, rest, err := JSON.Decode(buf)
	if err != nil || rest != nil {
		t.Fatalf("Decode: %v, rest %q", err, rest)
	}
	if !reflect.DeepEqual(withoutRaw(got), msgs) {
		t.Fatalf("round trip\n got %#v\nwant %#v", got, msgs)
	}
}

// appendJSONString must agree with encoding/json on what a string means.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	inputs := []string{"", "plain", "quote\"back\\slash", "ctl\x00\x01\x1e\x1f\x7f", "tab\tnl\ncr\rbs\bff\f",
		"é😀", "\u2028\u2029", "bad\xffutf8\xc3", "<html>&amp;", strings.Repeat("long ", 100)}
	for _, in := range inputs {
		enc := appendJSONString(nil, in)
		if !json.Valid(enc) {
			t.Errorf("%q encodes to invalid JSON %q", in, enc)
			continue
		}
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatal(err)
		}
		want := string([]rune(in)) // each invalid byte becomes U+FFFD
		if got != want {
			t.Errorf("%q -> %q -> %q, want %q", in, enc, got, want)
		}
		for _, c := range enc {
			if c < 0x20 {
				t.Errorf("%q encodes with raw control byte: %q", in, enc)
			}
		}
	}
}
