package hubproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

// payloadMap builds the octet-stream body the Management SDK sends for an
// invocation of target with the JSON arguments args.
func payloadMap(t testing.TB, target string, args json.RawMessage) []byte {
	t.Helper()
	mp, err := JSONToMsgpack(nil, args)
	if err != nil {
		t.Fatal(err)
	}
	return payloadMapOf("json", AppendJSONInvocation(nil, target, args),
		"messagepack", AppendMsgpackInvocation(nil, target, mp))
}

// payloadMapOf builds a MessagePack map of names to bin values.
func payloadMapOf(kv ...any) []byte {
	b := msgp.AppendMapHeader(nil, uint32(len(kv)/2))
	for i := 0; i < len(kv); i += 2 {
		b = appendMPString(b, kv[i].(string))
		v := kv[i+1].([]byte)
		b = append(b, 0xC6, byte(len(v)>>24), byte(len(v)>>16), byte(len(v)>>8), byte(len(v)))
		b = append(b, v...)
	}
	return b
}

func TestParsePayloadMap(t *testing.T) {
	body := payloadMap(t, "newMessage", raw(`["a",{"b":1}]`))
	got, err := ParsePayloadMap(body)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := rec(`{"type":1,"target":"newMessage","arguments":["a",{"b":1}]}`)
	wantMP := AppendMsgpackInvocation(nil, "newMessage", hx("92 a1 61 81 a1 62 01"))
	if len(got) != 2 || string(got["json"]) != wantJSON || !bytes.Equal(got["messagepack"], wantMP) {
		t.Fatalf("ParsePayloadMap = %q", got)
	}
	// The entries are copies.
	for i := range body {
		body[i] = 0
	}
	if string(got["json"]) != wantJSON || !bytes.Equal(got["messagepack"], wantMP) {
		t.Fatal("entries alias the body")
	}
	// Appending to one entry does not overwrite the next.
	_ = append(got["json"], 'x')
	_ = append(got["messagepack"], 'x')
	if string(got["json"]) != wantJSON || !bytes.Equal(got["messagepack"], wantMP) {
		t.Fatal("entries overlap")
	}

	// One protocol only, bin 8, unknown names kept unchecked, invocations
	// with an ID and headers (as a custom SDK might send).
	inv, err := MessagePack.Append(nil, &Message{Type: TypeInvocation, InvocationID: "1", Target: "t",
		Headers: map[string]string{"a": "b"}, StreamIDs: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	small := append(msgp.AppendMapHeader(nil, 2), hx("ab 6d6573736167657061636b c4")...)
	small = append(append(small, byte(len(inv))), inv...)
	small = append(small, hx("a3 786d6c c4 03 3c2f3e")...)
	got, err = ParsePayloadMap(small)
	if err != nil || len(got) != 2 || !bytes.Equal(got["messagepack"], inv) || string(got["xml"]) != "</>" {
		t.Fatalf("ParsePayloadMap(bin 8) = %q, %v", got, err)
	}
}

func TestParsePayloadMapInvalid(t *testing.T) {
	inv := AppendMsgpackInvocation(nil, "t", nil)
	jsonInv := AppendJSONInvocation(nil, "t", nil)
	tests := []struct {
		name, detail string
		body         []byte
	}{
		{"empty body", "payload map", nil},
		{"array", "expected 'payload map' to be a map", hx("90")},
		{"empty map", "no payloads", hx("80")},
		{"int key", "expected 'protocol name' to be a string", hx("81 01 c4 00")},
		{"str value", "to be bin", append(hx("81 a4 6a736f6e"), appendMPString(nil, string(jsonInv))...)},
		{"truncated bin", "truncated", hx("81 a4 6a736f6e c4 05 00")},
		{"duplicate", "appears twice", payloadMapOf("json", jsonInv, "json", jsonInv)},
		{"trailing bytes", "1 bytes after the map", append(payloadMapOf("json", jsonInv), 0)},
		{"json without separator", "one record", payloadMapOf("json", jsonInv[:len(jsonInv)-1])},
		{"json two records", "one record", payloadMapOf("json", append(append([]byte(nil), jsonInv...), jsonInv...))},
		{"json empty", "one record", payloadMapOf("json", []byte{})},
		{"json invalid", "invalid JSON", payloadMapOf("json", []byte("{\x1e"))},
		{"json ping", "holds a Ping message", payloadMapOf("json", AppendJSONPing(nil))},
		{"json no target", "'target'", payloadMapOf("json", []byte(rec(`{"type":1,"arguments":[]}`)))},
		{"messagepack unframed", "length-prefixed", payloadMapOf("messagepack", inv[1:])},
		{"messagepack two records", "length-prefixed", payloadMapOf("messagepack", append(append([]byte(nil), inv...), inv...))},
		{"messagepack truncated", "length-prefixed", payloadMapOf("messagepack", inv[:len(inv)-1])},
		{"messagepack empty", "length-prefixed", payloadMapOf("messagepack", []byte{})},
		{"messagepack empty record", "empty record", payloadMapOf("messagepack", []byte{0})},
		{"messagepack bad prefix", "length prefix", payloadMapOf("messagepack", hx("ff ff ff ff 7f"))},
		{"messagepack close", "holds a Close message", payloadMapOf("messagepack", AppendMsgpackClose(nil, "", false))},
		{"messagepack invalid", "expected 'target'", payloadMapOf("messagepack", framed(hx("95 01 80 c0 01 90")))},
		{"one bad entry spoils all", "payload json", payloadMapOf("messagepack", inv, "json", AppendJSONPing(nil))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePayloadMap(tt.body)
			if !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), tt.detail) {
				t.Fatalf("ParsePayloadMap = %q, %v; want ErrInvalidMessage with %q", got, err, tt.detail)
			}
			if got != nil {
				t.Errorf("map %q returned with the error", got)
			}
		})
	}
}
