package gateway

import "encoding/binary"

// WebSocket opcodes (RFC 6455 §5.2) for the frames the server writes.
const (
	opText   byte = 0x1
	opBinary byte = 0x2
	opClose  byte = 0x8
	opPing   byte = 0x9
	opPong   byte = 0xA
)

// maxFrameHeader is the largest server frame header: no mask, 64-bit length.
const maxFrameHeader = 10

// frameBuf returns a buffer with room for a frame header in front, ready for
// a payload to be appended; finishFrame turns it into the frame's bytes.
func frameBuf(payloadHint int) []byte {
	return make([]byte, maxFrameHeader, maxFrameHeader+payloadHint)
}

// finishFrame writes the header for the payload in b[maxFrameHeader:] in
// front of it and returns the whole frame, FIN set, unmasked (server frames
// are never masked, so every recipient gets the very same bytes).
func finishFrame(b []byte, op byte) []byte {
	n := len(b) - maxFrameHeader
	var h int
	switch {
	case n < 126:
		h = 2
	case n <= 0xFFFF:
		h = 4
	default:
		h = 10
	}
	start := maxFrameHeader - h
	f := b[start:]
	f[0] = 0x80 | op
	switch h {
	case 2:
		f[1] = byte(n)
	case 4:
		f[1] = 126
		binary.BigEndian.PutUint16(f[2:], uint16(n))
	default:
		f[1] = 127
		binary.BigEndian.PutUint64(f[2:], uint64(n))
	}
	return f
}

// controlFrame builds a control frame (payload ≤ 125 bytes).
func controlFrame(op byte, payload []byte) []byte {
	return finishFrame(append(frameBuf(len(payload)), payload...), op)
}

// closeFrame builds a WebSocket Close frame with a status code.
func closeFrame(code uint16) []byte {
	var p [2]byte
	binary.BigEndian.PutUint16(p[:], code)
	return controlFrame(opClose, p[:])
}
