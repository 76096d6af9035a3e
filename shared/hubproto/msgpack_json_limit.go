package hubproto

import (
	"encoding/base64"
	"errors"
	"unicode/utf8"
)

// ErrJSONTooLarge is returned (wrapped) by MsgpackToJSONLimit when the JSON
// form of a value would be longer than the limit.
var ErrJSONTooLarge = errors.New("hubproto: JSON form exceeds the limit")

// MsgpackToJSONLimit is MsgpackToJSON for a value whose JSON form must not
// exceed limit bytes (what it appends to dst). It fails with an error
// wrapping ErrJSONTooLarge before appending a string or binary value that
// would cross the limit, so converting a hostile value costs at most about
// limit bytes of output, however much the JSON form of its strings expands
// (up to six bytes per input byte for control characters and invalid
// UTF-8). On error it returns dst unchanged.
func MsgpackToJSONLimit(dst, v []byte, limit int) ([]byte, error) {
	out, err := appendMsgpackAsJSONLimit(dst, v, limit)
	if errors.Is(err, ErrJSONTooLarge) {
		return dst, err
	}
	if err != nil {
		return dst, invalid("MessagePack to JSON", err)
	}
	return out, nil
}

// jsonScalarLen is the length appendMPScalarAsJSON writes for a string or
// binary token (content b), and 0 for the other kinds, whose JSON forms are
// shorter than 40 bytes.
func jsonScalarLen(t mpToken, b []byte) int {
	switch t.kind {
	case mpStr:
		return jsonStringLen(b)
	case mpBin:
		return base64.StdEncoding.EncodedLen(len(b)) + 2
	}
	return 0
}

// jsonStringLen is len(appendJSONString(nil, s)), computed without writing.
func jsonStringLen(s []byte) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 0x20 && c != '"' && c != '\\':
				n++
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			default:
				n += 6
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:min(i+utf8.UTFMax, len(s))])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6
			i++
		case r == '\u2028' || r == '\u2029':
			n += 6
			i += size
		default:
			n += size
			i += size
		}
	}
	return n
}
