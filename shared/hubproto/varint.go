package hubproto

import (
	"encoding/binary"
	"fmt"
)

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
// last (the unsigned varint of encoding/binary). It returns the declared
// length n and the prefix length k; k is 0 when b ends inside the prefix.
// Overlong encodings of small values are accepted, as the ASP.NET Core and
// JavaScript parsers accept them; more than maxVarIntLen bytes, or a value
// over MaxMsgpackRecordSize, is an error.
func readVarInt(b []byte) (n, k int, err error) {
	p := b[:min(len(b), maxVarIntLen)]
	v, k := binary.Uvarint(p)
	switch {
	case k == 0 && len(p) < maxVarIntLen:
		return 0, 0, nil
	case k <= 0:
		return 0, 0, fmt.Errorf("length prefix %#x runs past %d bytes", p, maxVarIntLen)
	case v > MaxMsgpackRecordSize:
		return 0, 0, fmt.Errorf("length prefix %#x exceeds %d bytes", p[:k], MaxMsgpackRecordSize)
	}
	return int(v), k, nil
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
	var prefix [maxVarIntLen]byte
	k := binary.PutUvarint(prefix[:], uint64(n))
	copy(dst[start+k:], dst[start+maxVarIntLen:])
	copy(dst[start:], prefix[:k])
	return dst[:len(dst)-maxVarIntLen+k], true
}
