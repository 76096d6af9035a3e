package gateway

import (
	"bufio"
	"fmt"
	"io"

	"github.com/gobwas/ws"
)

// frameReader reads client WebSocket frames and reassembles messages.
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
	h, err := ws.ReadHeader(r.br)
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
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(r.br, p); err != nil {
			return nil, err
		}
		ws.Cipher(p, h.Mask, 0)
		switch h.OpCode {
		case ws.OpClose:
			r.c.close("client closed the WebSocket", closeEcho(p))
			return nil, errClientClosed
		case ws.OpPing:
			r.c.enqueue(controlFrame(opPong, p))
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
	start := len(r.frag)
	buf := append(r.frag, make([]byte, h.Length)...)
	if _, err := io.ReadFull(r.br, buf[start:]); err != nil {
		return nil, err
	}
	ws.Cipher(buf[start:], h.Mask, 0)
	if !h.Fin {
		r.frag, r.in = buf, true
		return nil, nil
	}
	r.frag, r.in = nil, false
	return buf, nil
}

// closeEcho answers a client's Close frame with the same status code.
func closeEcho(p []byte) []byte {
	if len(p) >= 2 {
		return controlFrame(opClose, p[:2])
	}
	return controlFrame(opClose, nil)
}
