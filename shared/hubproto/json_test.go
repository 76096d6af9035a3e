package hubproto

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// rec appends the record separator to a JSON text.
func rec(s string) string { return s + string(RecordSeparator) }

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func TestDecodeValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Message
	}{
		{"invocation", `{"type":1,"invocationId":"123","target":"Send","arguments":[42,"Test Message"]}`,
			Message{Type: TypeInvocation, InvocationID: "123", Target: "Send", Arguments: raw(`[42,"Test Message"]`)}},
		{"invocation non-blocking", `{"type":1,"target":"Send","arguments":[]}`,
			Message{Type: TypeInvocation, Target: "Send", Arguments: raw(`[]`)}},
		{"invocation empty id is none", `{"type":1,"invocationId":"","target":"Send","arguments":[]}`,
			Message{Type: TypeInvocation, Target: "Send", Arguments: raw(`[]`)}},
		{"invocation type last", `{"target":"echo","arguments":[1],"invocationId":"0","type":1}`,
			Message{Type: TypeInvocation, InvocationID: "0", Target: "echo", Arguments: raw(`[1]`)}},
		{"invocation streamIds and headers", `{"type":1,"headers":{"Foo":"Bar"},"invocationId":"1","target":"Up","arguments":[42],"streamIds":["1","2"]}`,
			Message{Type: TypeInvocation, InvocationID: "1", Target: "Up", Arguments: raw(`[42]`),
				StreamIDs: []string{"1", "2"}, Headers: map[string]string{"Foo": "Bar"}}},
		{"invocation empty streamIds and headers are nil", `{"type":1,"headers":{},"target":"a","arguments":[],"streamIds":[]}`,
			Message{Type: TypeInvocation, Target: "a", Arguments: raw(`[]`)}},
		{"whitespace everywhere", " \t{ \"type\" : 1 ,\n\"target\" : \"a\" , \"arguments\" : [ 1 , 2 ] }\r\n",
			Message{Type: TypeInvocation, Target: "a", Arguments: raw(`[ 1 , 2 ]`)}},
		{"escaped strings", `{"type":1,"target":"a\"b\\c\u00e9\ud83d\ude00","arguments":[]}`,
			Message{Type: TypeInvocation, Target: "a\"b\\cé😀", Arguments: raw(`[]`)}},
		{"escaped key", `{"typ\u0065":6}`, Message{Type: TypePing}},
		{"unknown properties ignored", `{"type":6,"x":{"y":[1,{"z":"}"}]},"target":"t"}`, Message{Type: TypePing}},
		{"duplicate key last wins", `{"type":1,"type":6}`, Message{Type: TypePing}},
		{"stream invocation", `{"type":4,"invocationId":"123","target":"Stream","arguments":[5]}`,
			Message{Type: TypeStreamInvocation, InvocationID: "123", Target: "Stream", Arguments: raw(`[5]`)}},
		{"stream item", `{"type":2,"invocationId":"123","item":42}`,
			Message{Type: TypeStreamItem, InvocationID: "123", Item: raw(`42`)}},
		{"stream item null", `{"type":2,"invocationId":"123","item":null}`,
			Message{Type: TypeStreamItem, InvocationID: "123", Item: raw(`null`)}},
		{"completion void", `{"type":3,"invocationId":"123"}`,
			Message{Type: TypeCompletion, InvocationID: "123"}},
		{"completion result", `{"type":3,"invocationId":"123","result":{"a":[1,2]}}`,
			Message{Type: TypeCompletion, InvocationID: "123", HasResult: true, Result: raw(`{"a":[1,2]}`)}},
		{"completion null result", `{"type":3,"invocationId":"123","result":null}`,
			Message{Type: TypeCompletion, InvocationID: "123", HasResult: true, Result: raw(`null`)}},
		{"completion error", `{"type":3,"invocationId":"123","error":"It didn't work!"}`,
			Message{Type: TypeCompletion, InvocationID: "123", Error: "It didn't work!"}},
		{"completion headers", `{"type":3,"invocationId":"1","headers":{"a":"b"}}`,
			Message{Type: TypeCompletion, InvocationID: "1", Headers: map[string]string{"a": "b"}}},
		{"cancel", `{"type":5,"invocationId":"123"}`, Message{Type: TypeCancelInvocation, InvocationID: "123"}},
		{"ping", `{"type":6}`, Message{Type: TypePing}},
		{"ping drops fields of other types", `{"type":6,"invocationId":"1","headers":{"a":"b"},"error":"x"}`, Message{Type: TypePing}},
		{"close", `{"type":7}`, Message{Type: TypeClose}},
		{"close error reconnect", `{"type":7,"error":"boom","allowReconnect":true}`,
			Message{Type: TypeClose, Error: "boom", AllowReconnect: true}},
		{"close allowReconnect false", `{"type":7,"allowReconnect":false}`, Message{Type: TypeClose}},
		{"close drops headers", `{"type":7,"headers":{"a":"b"}}`, Message{Type: TypeClose}},
		{"ack", `{"type":8,"sequenceId":1394}`, Message{Type: TypeAck, SequenceID: 1394}},
		{"sequence", `{"type":9,"sequenceId":1234}`, Message{Type: TypeSequence, SequenceID: 1234}},
		{"sequence max", `{"type":9,"sequenceId":9223372036854775807}`, Message{Type: TypeSequence, SequenceID: 1<<63 - 1}},
		{"sequence negative", `{"type":9,"sequenceId":-9223372036854775808}`, Message{Type: TypeSequence, SequenceID: -1 << 63}},
		{"unknown type", `{"type":99,"whatever":true,"target":"x"}`, Message{Type: 99}},
		{"unknown type zero", `{"type":0}`, Message{Type: 0}},
		{"unknown type negative", `{"type":-5}`, Message{Type: -5}},
		{"unknown type skips required checks", `{"type":10,"arguments":[]}`, Message{Type: 10}},
		{"lone surrogate", `{"type":7,"error":"\ud800x"}`, Message{Type: TypeClose, Error: "\uFFFDx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.Raw = []byte(tt.in)
			msgs, rest, err := JSON.Decode([]byte(rec(tt.in)))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if rest != nil {
				t.Errorf("rest = %q, want nil", rest)
			}
			if len(msgs) != 1 || !reflect.DeepEqual(msgs[0], tt.want) {
				t.Fatalf("Decode = %#v\nwant %#v", msgs, tt.want)
			}
			m, err := DecodeJSONMessage([]byte(tt.in))
			if err != nil || !reflect.DeepEqual(m, tt.want) {
				t.Errorf("DecodeJSONMessage = %#v, %v", m, err)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	tests := []struct {
		name, in, detail string
	}{
		{"empty record", ``, "invalid JSON"},
		{"not json", `{type:1}`, "invalid JSON"},
		{"trailing garbage", `{"type":6}x`, "invalid JSON"},
		{"two values", `{"type":6}{"type":6}`, "invalid JSON"},
		{"array", `[1]`, "not a JSON object"},
		{"string", `"x"`, "not a JSON object"},
		{"invalid utf8", "{\"type\":7,\"error\":\"\xff\"}", "UTF-8"},
		{"missing type", `{"target":"a"}`, "'type'"},
		{"type string", `{"type":"1"}`, "'type' to be an integer"},
		{"type float", `{"type":1.0}`, "'type' to be an integer"},
		{"type exponent", `{"type":1e0}`, "'type' to be an integer"},
		{"type null", `{"type":null}`, "'type' to be an integer"},
		{"type overflow", `{"type":2147483648}`, "'type' to be an integer"},
		{"type case sensitive", `{"Type":6}`, "missing required property 'type'"},
		{"invocation missing target", `{"type":1,"arguments":[]}`, "'target'"},
		{"invocation empty target", `{"type":1,"target":"","arguments":[]}`, "'target'"},
		{"invocation missing arguments", `{"type":1,"target":"a"}`, "'arguments'"},
		{"invocation arguments object", `{"type":1,"target":"a","arguments":{}}`, "'arguments' to be an array"},
		{"invocation arguments null", `{"type":1,"target":"a","arguments":null}`, "'arguments' to be an array"},
		{"invocation id number", `{"type":1,"invocationId":1,"target":"a","arguments":[]}`, "'invocationId' to be a string"},
		{"invocation id null", `{"type":1,"invocationId":null,"target":"a","arguments":[]}`, "'invocationId' to be a string"},
		{"target number", `{"type":1,"target":1,"arguments":[]}`, "'target' to be a string"},
		{"streamIds not array", `{"type":1,"target":"a","arguments":[],"streamIds":"1"}`, "'streamIds' to be an array"},
		{"streamIds number", `{"type":1,"target":"a","arguments":[],"streamIds":[1]}`, "'streamIds' to hold strings"},
		{"streamIds null element", `{"type":1,"target":"a","arguments":[],"streamIds":[null]}`, "'streamIds' to hold strings"},
		{"headers array", `{"type":1,"target":"a","arguments":[],"headers":[]}`, "'headers' to be an object"},
		{"headers number value", `{"type":1,"target":"a","arguments":[],"headers":{"a":1}}`, "header values to be strings"},
		{"headers checked on ping", `{"type":6,"headers":{"a":1}}`, "header values"},
		{"field types checked on unknown type", `{"type":99,"invocationId":5}`, "'invocationId'"},
		{"stream invocation missing id", `{"type":4,"target":"a","arguments":[]}`, "'invocationId'"},
		{"stream item missing id", `{"type":2,"item":1}`, "'invocationId'"},
		{"stream item missing item", `{"type":2,"invocationId":"1"}`, "'item'"},
		{"completion missing id", `{"type":3}`, "'invocationId'"},
		{"completion empty id", `{"type":3,"invocationId":""}`, "'invocationId'"},
		{"completion result and error", `{"type":3,"invocationId":"1","result":1,"error":"x"}`, "mutually exclusive"},
		{"completion null result and empty error", `{"type":3,"invocationId":"1","result":null,"error":""}`, "mutually exclusive"},
		{"completion error null", `{"type":3,"invocationId":"1","error":null}`, "'error' to be a string"},
		{"cancel missing id", `{"type":5}`, "'invocationId'"},
		{"close allowReconnect string", `{"type":7,"allowReconnect":"true"}`, "'allowReconnect' to be a boolean"},
		{"close allowReconnect null", `{"type":7,"allowReconnect":null}`, "'allowReconnect' to be a boolean"},
		{"ack missing sequence", `{"type":8}`, "'sequenceId'"},
		{"ack sequence float", `{"type":8,"sequenceId":1.5}`, "'sequenceId' to be an integer"},
		{"sequence overflow", `{"type":9,"sequenceId":9223372036854775808}`, "'sequenceId' to be an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, rest, err := JSON.Decode([]byte(rec(tt.in)))
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("Decode err = %v, want ErrInvalidMessage", err)
			}
			if !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("Decode err = %q, want detail %q", err, tt.detail)
			}
			if len(msgs) != 0 || rest != nil {
				t.Errorf("Decode = %v, rest %q; want none", msgs, rest)
			}
			if _, err := DecodeJSONMessage([]byte(tt.in)); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("DecodeJSONMessage err = %v", err)
			}
		})
	}
}

func TestDecodeFraming(t *testing.T) {
	ping := rec(`{"type":6}`)
	tests := []struct {
		name     string
		in       string
		wantN    int
		wantRest string
		wantErr  bool
	}{
		{"empty", "", 0, "", false},
		{"only partial", `{"type":`, 0, `{"type":`, false},
		{"one", ping, 1, "", false},
		{"three", ping + ping + ping, 3, "", false},
		{"two and partial", ping + ping + `{"ty`, 2, `{"ty`, false},
		{"partial is only whitespace", ping + " ", 1, " ", false},
		{"bad middle record keeps earlier", ping + rec(`{}`) + ping, 1, "", true},
		{"empty record", ping + rec(""), 1, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, rest, err := JSON.Decode([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if len(msgs) != tt.wantN {
				t.Errorf("got %d messages, want %d", len(msgs), tt.wantN)
			}
			if string(rest) != tt.wantRest || (tt.wantRest == "" && rest != nil) {
				t.Errorf("rest = %q, want %q", rest, tt.wantRest)
			}
		})
	}
}

func TestDecodeRecordIndexInError(t *testing.T) {
	_, _, err := JSON.Decode([]byte(rec(`{"type":6}`) + rec(`{"type":1}`)))
	if err == nil || !strings.Contains(err.Error(), "record 1") {
		t.Fatalf("err = %v, want it to name record 1", err)
	}
}

// Decoding byte by byte must give the same messages as decoding at once: the
// caller keeps rest and prepends it to the next read.
func TestDecodeSplitReads(t *testing.T) {
	all := rec(`{"type":1,"target":"a","arguments":[1,"\u001e"]}`) + rec(`{"type":6}`) + rec(`{"type":7,"error":"x"}`)
	want, _, err := JSON.Decode([]byte(all))
	if err != nil || len(want) != 3 {
		t.Fatalf("Decode = %v, %v", want, err)
	}
	var got []Message
	var buf []byte
	for i := 0; i < len(all); i++ {
		buf = append(buf, all[i])
		msgs, rest, err := JSON.Decode(buf)
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

func TestDecodeDoesNotAlias(t *testing.T) {
	in := []byte(rec(`{"type":1,"invocationId":"7","target":"abc","arguments":[1,2],"headers":{"k":"v"},"streamIds":["s"]}`) +
		rec(`{"type":2,"invocationId":"1","item":"i"}`) + rec(`{"type":3,"invocationId":"1","result":"r"}`))
	msgs, _, err := JSON.Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]Message, len(msgs))
	for i, m := range msgs {
		want[i] = m
		want[i].Arguments = append(json.RawMessage(nil), m.Arguments...)
		want[i].Item = append(json.RawMessage(nil), m.Item...)
		want[i].Result = append(json.RawMessage(nil), m.Result...)
	}
	for i := range in {
		in[i] = 'X'
	}
	for i := range msgs {
		if string(msgs[i].Arguments) != string(want[i].Arguments) || string(msgs[i].Item) != string(want[i].Item) ||
			string(msgs[i].Result) != string(want[i].Result) || msgs[i].Target != want[i].Target ||
			msgs[i].InvocationID != want[i].InvocationID {
			t.Fatalf("message %d changed with the input buffer: %#v", i, msgs[i])
		}
	}
}

func TestDecodeJSONMessageSeparator(t *testing.T) {
	if m, err := DecodeJSONMessage([]byte(rec(`{"type":6}`))); err != nil || m.Type != TypePing {
		t.Fatalf("with separator: %v, %v", m, err)
	}
	if _, err := DecodeJSONMessage([]byte(rec(rec(`{"type":6}`)))); !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("two separators: err = %v", err)
	}
}

func TestCodecProperties(t *testing.T) {
	if JSON.Name() != "json" || JSON.Version() != 2 || JSON.Binary() {
		t.Fatalf("JSON = %q v%d binary=%v", JSON.Name(), JSON.Version(), JSON.Binary())
	}
}

func TestMessageTypeString(t *testing.T) {
	tests := []struct {
		t    MessageType
		want string
	}{
		{TypeInvocation, "Invocation"}, {TypeSequence, "Sequence"}, {TypePing, "Ping"},
		{0, "MessageType(0)"}, {10, "MessageType(10)"}, {-1, "MessageType(-1)"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("%d.String() = %q, want %q", int(tt.t), got, tt.want)
		}
	}
}
