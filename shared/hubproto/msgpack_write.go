package hubproto

import (
	"encoding/binary"
	"math"
	"unicode/utf8"

	"github.com/tinylib/msgp/msgp"
)

// This file writes MessagePack values, always in their shortest format, and
// holds the unvalidated fast paths for the records a server writes most.

// AppendMsgpackInvocation appends a non-blocking Invocation record,
// VarInt-prefixed [1, {}, nil, target, args]: the five-element form servers
// send. args is written as given and must be one MessagePack array (such as
// JSONToMsgpack writes for a JSON array); nil or empty args encode as the
// empty array. Invalid UTF-8 in target is replaced with U+FFFD, byte by byte,
// as AppendJSONInvocation does. Like the other AppendMsgpack functions, it
// writes nothing when the record would exceed MaxMsgpackRecordSize.
func AppendMsgpackInvocation(dst []byte, target string, args []byte) []byte {
	if !utf8.ValidString(target) {
		target = validUTF8(target)
	}
	nargs := len(args)
	if nargs == 0 {
		nargs = 1
	}
	body := 4 + mpStrHeaderLen(len(target)) + len(target) + nargs
	if body > MaxMsgpackRecordSize {
		return dst
	}
	dst = binary.AppendUvarint(dst, uint64(body))
	dst = append(dst, 0x95, byte(TypeInvocation), 0x80, 0xC0)
	dst = msgp.AppendString(dst, target)
	if len(args) == 0 {
		return append(dst, 0x90)
	}
	return append(dst, args...)
}

// AppendMsgpackPing appends the Ping record: length 2, then [6] (0x91 0x06).
func AppendMsgpackPing(dst []byte) []byte {
	return append(dst, 0x02, 0x91, byte(TypePing))
}

// AppendMsgpackClose appends a Close record, [7, error, allowReconnect] as the
// ASP.NET Core server writes it; error is nil when errText is "".
func AppendMsgpackClose(dst []byte, errText string, allowReconnect bool) []byte {
	start := len(dst)
	dst = recordStart(dst)
	dst = append(dst, 0x93, byte(TypeClose))
	dst = appendMPStringOrNil(dst, errText)
	dst = msgp.AppendBool(dst, allowReconnect)
	dst, _ = finishRecord(dst, start)
	return dst
}

// AppendMsgpackCompletion appends a Completion record for invocationID:
// [3, {}, id, 1, errText] when errText is not "", else [3, {}, id, 3, result]
// when result is not empty (pass []byte{0xC0} for a nil result), else
// [3, {}, id, 2] (void). result is written as given and must be one
// MessagePack value.
func AppendMsgpackCompletion(dst []byte, invocationID, errText string, result []byte) []byte {
	start := len(dst)
	dst = recordStart(dst)
	switch {
	case errText != "":
		dst = append(dst, 0x95, byte(TypeCompletion), 0x80)
		dst = appendMPString(dst, invocationID)
		dst = append(dst, 1)
		dst = appendMPString(dst, errText)
	case len(result) > 0:
		dst = append(dst, 0x95, byte(TypeCompletion), 0x80)
		dst = appendMPString(dst, invocationID)
		dst = append(dst, 3)
		dst = append(dst, result...)
	default:
		dst = append(dst, 0x94, byte(TypeCompletion), 0x80)
		dst = appendMPString(dst, invocationID)
		dst = append(dst, 2)
	}
	dst, _ = finishRecord(dst, start)
	return dst
}

// appendMPInt appends v in the shortest format: unsigned when v >= 0, as the
// JavaScript and .NET encoders do (msgp.AppendInt64 alone would write a
// signed format for v >= 128).
func appendMPInt(dst []byte, v int64) []byte {
	if v >= 0 {
		return msgp.AppendUint64(dst, uint64(v))
	}
	return msgp.AppendInt64(dst, v)
}

// mpStrHeaderLen returns the length of the header of a str of n bytes.
func mpStrHeaderLen(n int) int {
	switch {
	case n <= 31:
		return 1
	case n <= math.MaxUint8:
		return 2
	case n <= math.MaxUint16:
		return 3
	}
	return 5
}

// appendMPStrHeader appends the header of a str of n bytes.
func appendMPStrHeader(dst []byte, n int) []byte {
	switch {
	case n <= 31:
		return append(dst, 0xA0|byte(n))
	case n <= math.MaxUint8:
		return append(dst, 0xD9, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xDA), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xDB), uint32(n))
}

// appendMPString appends s as a str. Invalid UTF-8 is replaced with U+FFFD
// byte by byte, so that what Decode accepts and what the JSON encoder writes
// for the same string agree.
func appendMPString(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = validUTF8(s)
	}
	return msgp.AppendString(dst, s)
}

// appendMPStringOrNil appends s as a str, or nil when s is "".
func appendMPStringOrNil(dst []byte, s string) []byte {
	if s == "" {
		return msgp.AppendNil(dst)
	}
	return appendMPString(dst, s)
}

// validUTF8 returns s with each byte that is not part of valid UTF-8
// replaced with U+FFFD.
func validUTF8(s string) string {
	out := make([]byte, 0, len(s)+8)
	for _, r := range s { // range yields U+FFFD for each invalid byte
		out = utf8.AppendRune(out, r)
	}
	return string(out)
}
