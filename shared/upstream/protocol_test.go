package upstream_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/heraldrt/herald/shared/hubproto"
	"github.com/heraldrt/herald/shared/upstream"
)

func TestJSONBodyIsRawRecord(t *testing.T) {
	rec := newRecorder(t, nil)
	c := newClient(t, upstream.Config{Settings: settingsFor(rec.URL, "/")})
	s := c.Session(upstream.Connection{Hub: "h", ConnectionID: "a", Codec: hubproto.JSON})
	record := `{ "arguments": [1.50, "x"], "target": "send", "extra": true, "type": 1 }`
	msgs, _, err := hubproto.JSON.Decode([]byte(record + "\x1e"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Invoke(msgs[0], nil); err != nil {
		t.Fatal(err)
	}
	if r := rec.next(t); string(r.body) != record {
		t.Errorf("body %q, want the client's record %q", r.body, record)
	}
}

func TestMessagePackSession(t *testing.T) {
	// The upstream answers as the Functions trigger does for a MessagePack
	// client: a VarInt-framed Completion.
	answer := hubproto.AppendMsgpackCompletion(nil, "1", "", []byte{0xA2, 'o', 'k'})
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.Header.Get(upstream.HeaderEvent) == "fail" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Write(answer)
	})
	c := newClient(t, upstream.Config{Settings: settingsFor(rec.URL, "/")})
	s := c.Session(upstream.Connection{Hub: "h", ConnectionID: "a", Codec: hubproto.MessagePack})

	frame := hubproto.AppendMsgpackInvocation(nil, "echo", []byte{0x91, 0xA2, 'h', 'i'})
	msgs, _, err := hubproto.MessagePack.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	m.InvocationID = "1"
	m.Raw = nil // re-encoded: a blocking invocation built by hand
	out := make(replies, 2)
	if err := s.Invoke(m, out.reply); err != nil {
		t.Fatal(err)
	}
	r := rec.next(t)
	if ct := r.header.Get("Content-Type"); ct != "application/x-msgpack" {
		t.Errorf("content type %q", ct)
	}
	want, _ := hubproto.MessagePack.Append(nil, &m) // short: a one-byte length prefix
	if len(r.body) >= 0x80 || !bytes.Equal(append([]byte{byte(len(r.body))}, r.body...), want) {
		t.Errorf("body % x is not the unframed record % x", r.body, want)
	}
	if got := <-out; !bytes.Equal(got, answer) {
		t.Errorf("reply % x, want the upstream's body % x", got, answer)
	}

	m.Target = "fail"
	if err := s.Invoke(m, out.reply); err != nil {
		t.Fatal(err)
	}
	rec.next(t)
	got := <-out
	dec, rest, err := hubproto.MessagePack.Decode(got)
	if err != nil || len(rest) != 0 || len(dec) != 1 || dec[0].Error != "Invocation failed, status code 500" {
		t.Errorf("reply % x: %+v %v", got, dec, err)
	}
}
