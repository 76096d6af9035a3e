package hubproto

import "fmt"

// MaxMsgpackRecordSize is the largest record length a MessagePack VarInt
// prefix may declare: 2^31-1 bytes, the 2 GB limit of HubProtocol.md. A
// prefix declaring more, or running past five bytes, is invalid. Transports
// enforce their own, far smaller, maximum message size; see
// [MsgpackRecordSize].
const MaxMsgpackRecordSize = 1<<31 - 1

// maxVarIntLen is the longest VarInt length prefix: five 7-bit groups, of
// which the last may use only its low 3 bits.
const maxVarIntLen = 5

// MsgpackRecordSize returns the size of the first MessagePack record in data,
// length prefix included, as the prefix declares it; the record itself need
// not be complete. A transport holding an incomplete record (the rest of
// [Codec.Decode]) uses it to refuse a record larger than its limit before
// buffering it. It returns [ErrIncomplete] when data ends inside the prefix,
// and [ErrInvalidMessage] wrapped with the detail when the prefix is invalid.
func MsgpackRecordSize(data []byte) (int, error) {
	n, k, err := readVarInt(data)
	switch {
	case err != nil:
		return 0, invalid("length prefix", err)
	case k == 0:
		return 0, ErrIncomplete
	}
	return k + n, nil
}

// readVarInt reads the VarInt length prefix at the start of b: 7 bits per
// byte, least significant group first, high bit set on every byte but the
// last. It returns the declared length n and the prefix length k; k is 0 when
// b ends inside the prefix. Overlong encodings of small values are accepted,
// as the ASP.NET Core and JavaScript parsers accept them.
func readVarInt(b []byte) (n, k int, err error) {
	var v uint32
	for i := range maxVarIntLen {
		if i == len(b) {
			return 0, 0, nil
		}
		c := b[i]
		if i == maxVarIntLen-1 && c > 0x07 {
			return 0, 0, fmt.Errorf("length prefix %#x exceeds %d bytes", b[:i+1], MaxMsgpackRecordSize)
		}
		v |= uint32(c&0x7F) << (7 * i)
		if c&0x80 == 0 {
			return int(v), i + 1, nil
		}
	}
	panic("unreachable: the fifth byte either ends the prefix or is refused")
}

// varIntLen returns the length of the shortest VarInt encoding of n >= 0.
func varIntLen(n int) int {
	k := 1
	for n >= 0x80 {
		n >>= 7
		k++
	}
	return k
}

// appendVarInt appends the shortest VarInt encoding of n >= 0.
func appendVarInt(dst []byte, n int) []byte {
	for n >= 0x80 {
		dst = append(dst, byte(n)|0x80)
		n >>= 7
	}
	return append(dst, byte(n))
}

// recordStart reserves room for the longest length prefix at the end of dst
// and returns the extended slice; finishRecord fills it in.
func recordStart(dst []byte) []byte {
	return append(dst, 0, 0, 0, 0, 0)
}

// finishRecord writes the length prefix of the record whose body follows the
// maxVarIntLen bytes reserved at dst[start:], moving the body down over the
// unused part of the reservation. ok is false, and dst[:start] is returned,
// when the body is longer than MaxMsgpackRecordSize.
func finishRecord(dst []byte, start int) (out []byte, ok bool) {
	n := len(dst) - start - maxVarIntLen
	if n > MaxMsgpackRecordSize {
		return dst[:start], false
	}
	k := varIntLen(n)
	copy(dst[start+k:], dst[start+maxVarIntLen:])
	appendVarInt(dst[start:start], n)
	return dst[:len(dst)-maxVarIntLen+k], true
}
