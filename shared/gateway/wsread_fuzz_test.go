package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"github.com/gobwas/ws"
)

// fuzzLimit is the message limit of FuzzFrameReader: small, so that the
// fuzzer reaches it.
const fuzzLimit = 1 << 12

// refFrames reads stream as the gateway's first frame reader did (the length
// a header declares read with io.ReadFull), as the reference for
// FuzzFrameReader. It rewrites the opcode of Close and Ping frames in stream
// to Pong, which the reader handles without a connection, and returns the
// messages and the error the stream ends with.
func refFrames(stream []byte, limit int) (msgs [][]byte, err error) {
	var frag []byte
	in := false
	for pos := 0; ; {
		r := bytes.NewReader(stream[pos:])
		h, err := ws.ReadHeader(r)
		if err != nil {
			return msgs, err
		}
		if h.OpCode == ws.OpClose || h.OpCode == ws.OpPing {
			stream[pos] = stream[pos]&0xf0 | byte(ws.OpPong)
		}
		if h.Rsv != 0 || !h.Masked {
			return msgs, errProtocol
		}
		hlen := len(stream[pos:]) - r.Len()
		if h.OpCode.IsControl() {
			if h.Length > 125 || !h.Fin {
				return msgs, errProtocol
			}
			if int64(r.Len()) < h.Length {
				return msgs, cutShort(r.Len())
			}
			pos += hlen + int(h.Length)
			continue
		}
		switch {
		case h.OpCode == ws.OpText || h.OpCode == ws.OpBinary:
			if in {
				return msgs, errProtocol
			}
		case h.OpCode == ws.OpContinuation:
			if !in {
				return msgs, errProtocol
			}
		default:
			return msgs, errProtocol
		}
		if int64(len(frag))+h.Length > int64(limit) {
			return msgs, errTooLarge
		}
		if int64(r.Len()) < h.Length {
			return msgs, cutShort(r.Len())
		}
		p := bytes.Clone(stream[pos+hlen : pos+hlen+int(h.Length)])
		ws.Cipher(p, h.Mask, 0)
		frag = append(frag, p...)
		pos += hlen + int(h.Length)
		if !h.Fin {
			in = true
			continue
		}
		if len(frag) > 0 {
			msgs = append(msgs, frag)
		}
		frag, in = nil, false
	}
}

// cutShort is io.ReadFull's error for a payload of which n bytes arrived.
func cutShort(n int) error {
	if n == 0 {
		return io.EOF
	}
	return io.ErrUnexpectedEOF
}

// errClass names the errors the frame reader ends with, for comparison.
func errClass(err error) string {
	for _, e := range []error{ws.ErrHeaderLengthMSB, errProtocol, errTooLarge, io.ErrUnexpectedEOF, io.EOF} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return fmt.Sprint(err)
}

// FuzzFrameReader reads arbitrary client byte streams, delivered whole or one
// byte per read, and checks the messages and the final error against the
// reference reader, and that no message buffer is larger than twice its
// message plus the first chunk: memory follows what arrived.
func FuzzFrameReader(f *testing.F) {
	text := maskedFrame(ws.OpText, true, []byte(`{"protocol":"json","version":1}`+"\x1e"))
	f.Add(text)
	f.Add(append(maskedFrame(ws.OpBinary, false, []byte{0x02, 0x91}), maskedFrame(ws.OpContinuation, true, []byte{0x06})...))
	f.Add(append(maskedFrame(ws.OpPing, true, []byte("hi")), text...))
	f.Add(maskedFrame(ws.OpClose, true, []byte{0x03, 0xe8}))
	f.Add(maskedFrame(ws.OpPong, true, nil))
	// Attack shapes (SECURITY.md): huge declared lengths followed by little,
	// one-byte fragments, oversized and malformed headers.
	f.Add(append(frameHeader(ws.OpText, true, 1<<20), "14 bytes sent."...))
	f.Add(append(frameHeader(ws.OpBinary, true, fuzzLimit), "short"...))
	f.Add(append(maskedFrame(ws.OpText, false, []byte("a")), append(frameHeader(ws.OpContinuation, true, fuzzLimit-1), 'b')...))
	var ones []byte
	for i, c := range []byte(`{"type":6}` + "\x1e") {
		op := ws.OpText
		if i > 0 {
			op = ws.OpContinuation
		}
		ones = append(ones, maskedFrame(op, i == 10, []byte{c})...)
	}
	f.Add(ones)
	f.Add([]byte{0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4})
	f.Add([]byte{0x81, 0x02, '{', '}'})
	f.Add([]byte{0xc1, 0x80, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, stream []byte) {
		stream = bytes.Clone(stream)
		want, wantErr := refFrames(stream, fuzzLimit) // rewrites control opcodes first
		for _, oneByte := range []bool{false, true} {
			var src io.Reader = bytes.NewReader(stream)
			if oneByte {
				src = iotest.OneByteReader(src)
			}
			r := &frameReader{br: bufio.NewReaderSize(src, readBufferSize), max: fuzzLimit}
			var got [][]byte
			var err error
			for {
				var msg []byte
				if msg, err = r.next(); err != nil {
					break
				}
				if msg == nil {
					continue
				}
				if cap(msg) > 2*len(msg)+readChunk {
					t.Fatalf("a %d-byte message holds a %d-byte buffer", len(msg), cap(msg))
				}
				got = append(got, msg)
			}
			if errClass(err) != errClass(wantErr) {
				t.Fatalf("one byte per read %v: ended with %v, want %v", oneByte, err, wantErr)
			}
			if len(got) != len(want) {
				t.Fatalf("one byte per read %v: %d messages, want %d", oneByte, len(got), len(want))
			}
			for i := range got {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("message %d = %q, want %q", i, got[i], want[i])
				}
			}
		}
	})
}
