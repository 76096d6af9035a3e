package gateway

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"slices"

	"github.com/gobwas/ws"
)

// readChunk bounds what the frame reader allocates ahead of bytes that have
// arrived: a payload declared no longer than this is read into one buffer of
// its exact size; a longer one starts with this much and doubles with what
// arrives. A header declaring 1 MiB followed by silence costs readChunk, not
// 1 MiB.
const readChunk = 4 << 10

// frameReader reads client WebSocket frames and reassembles messages. It
// allocates in proportion to the bytes that arrive, never to the lengths
// frame headers declare.
type frameReader struct {
	br   *bufio.Reader
	max  int
	c    *conn
	frag []byte // message being reassembled from fragments
	in   bool   // a fragmented message is in progress
}

// next returns the next complete data message, or nil after handling a
// control frame. Client frames must be masked; extensions are not
// negotiated, so RSV bits must be clear.
func (r *frameReader) next() ([]byte, error) {
	h, err := readHeader(r.br)
	if err != nil {
		return nil, err
	}
	if h.Rsv != 0 || !h.Masked {
		return nil, fmt.Errorf("%w: unmasked frame or reserved bits set", errProtocol)
	}
	if h.OpCode.IsControl() {
		if h.Length > 125 || !h.Fin {
			return nil, fmt.Errorf("%w: invalid control frame", errProtocol)
		}
		p := make([]byte, h.Length) // at most 125 bytes
		if _, err := io.ReadFull(r.br, p); err != nil {
			return nil, err
		}
		ws.Cipher(p, h.Mask, 0)
		switch h.OpCode {
		case ws.OpClose:
			r.c.close(reasonClientCloseFrame, closeEcho(p))
			return nil, errClientClosed
		case ws.OpPing:
			r.c.enqueueControl(controlFrame(opPong, p))
		}
		return nil, nil
	}
	switch h.OpCode {
	case ws.OpText, ws.OpBinary:
		if r.in {
			return nil, fmt.Errorf("%w: new message inside a fragmented one", errProtocol)
		}
	case ws.OpContinuation:
		if !r.in {
			return nil, fmt.Errorf("%w: continuation without a message", errProtocol)
		}
	default:
		return nil, fmt.Errorf("%w: reserved opcode %d", errProtocol, h.OpCode)
	}
	total := int64(len(r.frag)) + h.Length
	if total > int64(r.max) {
		return nil, errTooLarge
	}
	buf, err := r.payload(r.frag, int(h.Length), h.Mask, r.in || !h.Fin)
	if err != nil {
		return nil, err
	}
	if !h.Fin {
		r.frag, r.in = buf, true
		return nil, nil
	}
	r.frag, r.in = nil, false
	return buf, nil
}

// payload appends the n-byte payload of a frame to dst, unmasked. Its buffer
// grows with the bytes read (see readChunk), so memory follows what the peer
// sent, not what it declared; the bytes themselves are read straight into it.
// The buffer of an unfragmented message never grows past its end; that of a
// fragmented one (frag) at least doubles, within the message limit, so that
// tiny fragments cost no more than one frame. A payload cut short is
// io.ErrUnexpectedEOF, as with io.ReadFull.
func (r *frameReader) payload(dst []byte, n int, mask [4]byte, frag bool) ([]byte, error) {
	start := len(dst)
	for left := n; left > 0; {
		if len(dst) == cap(dst) {
			// Double what is there (at least readChunk), never past the
			// payload's end.
			grow := min(left, max(len(dst), readChunk))
			if frag {
				grow = max(grow, min(len(dst), r.max-len(dst)))
			}
			dst = slices.Grow(dst, grow)
		}
		room := dst[len(dst):min(cap(dst), len(dst)+left)]
		k, err := r.br.Read(room)
		dst = dst[:len(dst)+k]
		left -= k
		if err != nil && left > 0 {
			if err == io.EOF && len(dst) > start {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	ws.Cipher(dst[start:], mask, 0)
	return dst, nil
}

// readHeader reads a frame header as ws.ReadHeader does, errors included,
// without allocating: a frame of one byte costs no more than its seven bytes.
func readHeader(br *bufio.Reader) (h ws.Header, err error) {
	var b [14]byte
	b[0], err = br.ReadByte()
	if err != nil {
		return h, err // io.EOF between frames
	}
	n := 2
	for i := 1; i < n; i++ {
		if b[i], err = br.ReadByte(); err != nil {
			// As ws.ReadHeader, which reads the first two bytes, then
			// the rest: io.EOF when the stream ends between the two.
			if err == io.EOF && i != 2 {
				err = io.ErrUnexpectedEOF
			}
			return h, err
		}
		if i == 1 {
			if b[1]&0x80 != 0 {
				n += 4
			}
			switch b[1] & 0x7f {
			case 126:
				n += 2
			case 127:
				n += 8
			}
		}
	}
	h.Fin = b[0]&0x80 != 0
	h.Rsv = (b[0] & 0x70) >> 4
	h.OpCode = ws.OpCode(b[0] & 0x0f)
	h.Masked = b[1]&0x80 != 0
	rest := b[2:n]
	switch length := b[1] & 0x7f; length {
	case 126:
		h.Length, rest = int64(binary.BigEndian.Uint16(rest)), rest[2:]
	case 127:
		if rest[0]&0x80 != 0 {
			return h, fmt.Errorf("%w: %w", errProtocol, ws.ErrHeaderLengthMSB)
		}
		h.Length, rest = int64(binary.BigEndian.Uint64(rest)), rest[8:]
	default:
		h.Length = int64(length)
	}
	if h.Masked {
		copy(h.Mask[:], rest)
	}
	return h, nil
}

// closeEcho answers a client's Close frame with the same status code.
func closeEcho(p []byte) []byte {
	if len(p) >= 2 {
		return controlFrame(opClose, p[:2])
	}
	return controlFrame(opClose, nil)
}
