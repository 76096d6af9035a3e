package gateway

import (
	"bufio"
	"testing"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/hubproto"
)

// A message the sender framed itself reaches each client in its protocol
// byte for byte, even where Herald would encode it differently; clients of
// a protocol it has no record for get nothing.
func TestFramedSend(t *testing.T) {
	h := newHarness(t, nil)
	j := h.connect("chat", "a")
	m := h.connectWith(hubproto.MessagePack, "chat", "b")

	// Key order, spacing and a 6-element array with str8 target: not what
	// Herald's encoders write.
	jsonRec := "{ \"target\":\"news\", \"type\":1, \"arguments\":[1.50, \"\\u00e9\"] }\x1e"
	mpRec := string([]byte{0x0c, 0x96, 0x01, 0x80, 0xc0, 0xd9, 0x04, 'n', 'e', 'w', 's', 0x91, 0x01, 0x90})
	framed := func(jsonRec, mpRec string) *bus.Envelope {
		f := &bus.Framed{}
		if jsonRec != "" {
			f.JSON = []byte(jsonRec)
		}
		if mpRec != "" {
			f.MessagePack = []byte(mpRec)
		}
		return &bus.Envelope{Kind: bus.KindSend, Hub: "chat", Scope: bus.ScopeAll,
			Message: &bus.Message{Target: "news", Framed: f}}
	}
	publish(t, h.bus, framed(jsonRec, mpRec))
	if got := j.readText(); got != jsonRec {
		t.Fatalf("JSON client got %q, want %q", got, jsonRec)
	}
	if got := m.readText(); got != mpRec {
		t.Fatalf("MessagePack client got %x, want %x", got, mpRec)
	}

	publish(t, h.bus, framed("", mpRec))
	publish(t, h.bus, framed(jsonRec, ""))
	publish(t, h.bus, sendEnv("chat", bus.ScopeAll, "", "end", `[]`))
	if got := m.readText(); got != mpRec {
		t.Fatalf("MessagePack client got %x, want %x", got, mpRec)
	}
	m.expectInvocation("end", `[]`)
	if got := j.readText(); got != jsonRec {
		t.Fatalf("JSON client got %q, want %q", got, jsonRec)
	}
	j.expectInvocation("end", `[]`)
}

// A framed record reaches Server-Sent Events and Long Polling clients byte
// for byte too: the poll body or the event's data is the record, without
// the WebSocket frame header it is queued in.
func TestFramedSendHTTPTransports(t *testing.T) {
	h := newHarness(t, nil)
	lpJSON := h.pollConn(t, "chat", "a")
	lpMP := h.httpConn(t, "chat", "b", nil)
	lpMP.want("first poll", "GET", "", "", 200, "")
	lpMP.want("handshake", "POST", "", `{"protocol":"messagepack","version":1}`+"\x1e", 200, "")
	lpMP.want("handshake response", "GET", "", "", 200, "{}\x1e")
	sse := h.httpConn(t, "chat", "c", nil)
	resp := sse.do("GET", "", "", "Accept", "text/event-stream")
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	expectLines(t, br, ":")
	sse.want("handshake", "POST", "", jsonHandshake, 200, "")
	expectLines(t, br, "data: {}\x1e", "")

	jsonRec := "{ \"target\":\"news\", \"type\":1, \"arguments\":[1.50] }\x1e"
	mpRec := string([]byte{0x0c, 0x96, 0x01, 0x80, 0xc0, 0xd9, 0x04, 'n', 'e', 'w', 's', 0x91, 0x01, 0x90})
	publish(t, h.bus, &bus.Envelope{Kind: bus.KindSend, Hub: "chat", Scope: bus.ScopeAll,
		Message: &bus.Message{Target: "news", Framed: &bus.Framed{JSON: []byte(jsonRec), MessagePack: []byte(mpRec)}}})
	lpJSON.want("Long Polling JSON", "GET", "", "", 200, jsonRec)
	lpMP.want("Long Polling MessagePack", "GET", "", "", 200, mpRec)
	expectLines(t, br, "data: "+jsonRec, "")
	lpJSON.want("stop", "DELETE", "", "", 202, "*")
	lpMP.want("stop", "DELETE", "", "", 202, "*")
}
