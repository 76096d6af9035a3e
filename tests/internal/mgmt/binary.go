package mgmt

import "encoding/binary"

// Framed is one invocation already framed in a hub protocol: Protocol is "json" or
// "messagepack", Record the complete record (JSON ending in 0x1E, or MessagePack with
// its VarInt length prefix).
type Framed struct {
	Protocol string
	Record   []byte
}

// PayloadMap builds the application/octet-stream body the Management SDK sends when the
// app configured its hub protocols: a MessagePack map with one entry per protocol, in
// order, from the protocol name (str) to the framed record (bin). Names are at most 31
// bytes and there are at most 15 entries.
func PayloadMap(entries ...Framed) []byte {
	b := []byte{0x80 | byte(len(entries))}
	for _, e := range entries {
		b = append(b, 0xa0|byte(len(e.Protocol)))
		b = append(b, e.Protocol...)
		switch n := len(e.Record); {
		case n < 1<<8:
			b = append(b, 0xc4, byte(n))
		case n < 1<<16:
			b = binary.BigEndian.AppendUint16(append(b, 0xc5), uint16(n))
		default:
			b = binary.BigEndian.AppendUint32(append(b, 0xc6), uint32(n))
		}
		b = append(b, e.Record...)
	}
	return b
}
