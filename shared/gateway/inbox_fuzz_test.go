package gateway

import (
	"bytes"
	"errors"
	"testing"

	"github.com/heraldrt/herald/shared/hubproto"
)

// FuzzInbox splits a stream of hub protocol records into pieces (the
// lengths cycle through cuts) and feeds them through an inbox as the read
// loop does; the records decoded must be those of the whole stream decoded
// at once, up to the first invalid one, and what is left pending must be
// the incomplete tail.
func FuzzInbox(f *testing.F) {
	f.Add(false, []byte(`{"type":6}`+"\x1e"+`{"type":1,"target":"t","arguments":[]}`+"\x1e{"), []byte{1})
	f.Add(false, []byte(`{"type":1,"target":"t","arguments":["`+string(bytes.Repeat([]byte("x"), 40))+`"]}`+"\x1e"), []byte{1, 7, 64})
	f.Add(true, []byte{0x02, 0x91, 0x06, 0x02, 0x91, 0x06, 0x05}, []byte{1, 2})
	f.Add(true, []byte{0xff, 0xff, 0xff, 0x7f, 0x91}, []byte{3})
	f.Add(true, []byte{0x80, 0x80, 0x80, 0x80, 0x10}, []byte{1})
	f.Fuzz(func(t *testing.T, msgpack bool, data, cuts []byte) {
		const limit = 1 << 12
		p := protoJSON
		if msgpack {
			p = protoMsgpack
		}
		want, wantRest, wantErr := p.codec().Decode(bytes.Clone(data))
		var got []hubproto.Message
		var in inbox
		var err error
		for i, rest := 0, data; len(rest) > 0 && err == nil; i++ {
			n := len(rest)
			if len(cuts) > 0 {
				n = min(n, max(1, int(cuts[i%len(cuts)])))
			}
			in.add(bytes.Clone(rest[:n]))
			rest = rest[n:]
			var ready bool
			if ready, err = in.ready(p, limit); err == nil && ready {
				var msgs []hubproto.Message
				var left []byte
				msgs, left, err = p.codec().Decode(in.buf)
				got = append(got, msgs...)
				if err == nil {
					in.keep(left)
				}
			}
		}
		if errors.Is(err, errTooLarge) {
			// Only for a pending JSON record over the limit, or a
			// MessagePack prefix declaring more.
			size, serr := hubproto.MsgpackRecordSize(in.buf)
			if p == protoJSON && len(in.buf) <= limit || p == protoMsgpack && (serr != nil || size <= limit) {
				t.Fatalf("errTooLarge with %d bytes pending", len(in.buf))
			}
			return // the whole-stream decode has no limit
		}
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("pieces ended with %v, whole with %v", err, wantErr)
		}
		if len(got) != len(want) {
			t.Fatalf("pieces decoded %d messages, whole %d", len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i].Raw, want[i].Raw) {
				t.Fatalf("message %d: %q, want %q", i, got[i].Raw, want[i].Raw)
			}
		}
		if err == nil && !bytes.Equal(in.buf, wantRest) {
			t.Fatalf("pending %q, want %q", in.buf, wantRest)
		}
	})
}
