package httpapi_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/heraldrt/herald/shared/hubproto"
)

// payloadMap builds the Management SDK's application/octet-stream body: a
// MessagePack map from protocol name to a bin holding a framed message.
func payloadMap(kv ...string) string {
	b := []byte{0x80 | byte(len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		b = append(b, 0xa0|byte(len(kv[i])))
		b = append(b, kv[i]...)
		b = append(b, 0xc6)
		b = binary.BigEndian.AppendUint32(b, uint32(len(kv[i+1])))
		b = append(b, kv[i+1]...)
	}
	return string(b)
}

func TestSendFramed(t *testing.T) {
	const target = "/api/hubs/chat/:send?api-version=2022-06-01"
	jsonRec := string(hubproto.AppendJSONInvocation(nil, "m", []byte(`[1,"x"]`)))
	mpRec := string(hubproto.AppendMsgpackInvocation(nil, "m", []byte{0x92, 0x01, 0xa1, 'x'}))
	otherRec := string(hubproto.AppendMsgpackInvocation(nil, "other", []byte{0x90}))
	ping := string(hubproto.AppendMsgpackPing(nil))
	tests := []struct {
		name           string
		ct             string
		body           string
		status         int
		msg            string
		wantJSON, want string // the records published
	}{
		{name: "both protocols", body: payloadMap("json", jsonRec, "messagepack", mpRec), status: 202, wantJSON: jsonRec, want: mpRec},
		{name: "messagepack only", body: payloadMap("messagepack", mpRec), status: 202, want: mpRec},
		{name: "json only", body: payloadMap("json", jsonRec), status: 202, wantJSON: jsonRec},
		{name: "unknown protocol ignored", body: payloadMap("xml", "<x/>", "messagepack", mpRec), status: 202, want: mpRec},
		{name: "empty", body: "", status: 400, msg: "Message in request body is required."},
		{name: "truncated", body: "\x82", status: 400, msg: "Invalid binary message body"},
		{name: "json body", body: `{"target":"m"}`, status: 400, msg: `"messagepack"`},
		{name: "empty map", body: payloadMap(), status: 400, msg: "no payloads"},
		{name: "unknown protocol only", body: payloadMap("xml", "<x/>"), status: 400, msg: `no "json" or "messagepack" entry`},
		{name: "different targets", body: payloadMap("json", jsonRec, "messagepack", otherRec), status: 400, msg: "different targets"},
		{name: "not an invocation", body: payloadMap("messagepack", ping), status: 400, msg: "want Invocation"},
		{name: "json not framed", body: payloadMap("json", jsonRec[:len(jsonRec)-1]), status: 400, msg: "record separator"},
		{name: "trailing bytes", body: payloadMap("messagepack", mpRec) + "x", status: 400, msg: "after the map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			m := f.sendOne(t, target, tt.body, tt.status, "Error.Request.Invalid", tt.msg, "Content-Type", "application/octet-stream")
			if m == nil {
				return
			}
			if m.Framed == nil {
				t.Fatalf("message %+v has no framed records", m)
			}
			if m.Target != "m" || len(m.Arguments) != 0 {
				t.Errorf("target %q arguments %s, want m and none", m.Target, m.Arguments)
			}
			if !bytes.Equal(m.Framed.JSON, []byte(tt.wantJSON)) || (tt.wantJSON == "") != (m.Framed.JSON == nil) {
				t.Errorf("json record %q, want %q", m.Framed.JSON, tt.wantJSON)
			}
			if !bytes.Equal(m.Framed.MessagePack, []byte(tt.want)) || (tt.want == "") != (m.Framed.MessagePack == nil) {
				t.Errorf("messagepack record %x, want %x", m.Framed.MessagePack, tt.want)
			}
		})
	}
}

func TestSendFramedTooLarge(t *testing.T) {
	f := newFixture(t)
	big := string(hubproto.AppendJSONInvocation(nil, "m", []byte(`["`+string(bytes.Repeat([]byte("x"), 1<<20))+`"]`)))
	w := f.do("POST", "/api/hubs/chat/:send", payloadMap("json", big), "Content-Type", "application/octet-stream")
	wantError(t, w, 413, "Error.Request.TooLarge", "1 MiB")
}
