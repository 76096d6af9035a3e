package hubproto

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"time"
)

// MsgpackToJSON converts one MessagePack value (such as the Arguments of a
// message from a MessagePack client) to JSON and appends it to dst, for logs
// and for JSON consumers such as upstream requests. The mapping:
//
//   - nil, booleans, integers, str, array and map map to their JSON
//     counterparts; strings are escaped as AppendJSONInvocation escapes them
//     (invalid UTF-8 becomes U+FFFD);
//   - float32 and float64 are written in their shortest form, as
//     encoding/json writes them (so 2.0 becomes 2); NaN and ±Inf, which JSON
//     cannot hold, become null, as JavaScript's JSON.stringify writes them;
//   - bin becomes a base64 string (standard alphabet, padded), the JSON form
//     of .NET byte arrays;
//   - the timestamp extension (type -1) becomes an RFC 3339 string in UTC
//     with nanoseconds, such as "2024-01-02T03:04:05.678Z"; any other
//     extension type has no JSON form and is an error;
//   - map keys that are not strings (integers, floats, booleans, nil, bin,
//     timestamps) become the JSON text of the key as a string, as .NET
//     writes dictionaries with such keys; array and map keys are an error.
//
// v must be exactly one MessagePack value, nested no deeper than
// encoding/json accepts. On error MsgpackToJSON returns dst unchanged and an
// error wrapping ErrInvalidMessage. It is linear in len(v).
func MsgpackToJSON(dst []byte, v []byte) ([]byte, error) {
	out, err := appendMsgpackAsJSONLimit(dst, v, -1)
	if err != nil {
		return dst, invalid("MessagePack to JSON", err)
	}
	return out, nil
}

// mpOpen is an array or map MsgpackToJSON is writing: how many items (map
// keys and values counted separately) it has and how many remain.
type mpOpen struct {
	total, left uint64
	isMap       bool
}

// appendMsgpackAsJSONLimit converts b; with limit ≥ 0 it fails with
// ErrJSONTooLarge once more than limit bytes would be appended.
func appendMsgpackAsJSONLimit(dst, b []byte, limit int) ([]byte, error) {
	base := len(dst)
	var buf [32]mpOpen
	open := buf[:0]
	i := 0
	for {
		isKey := false
		if n := len(open); n > 0 {
			top := &open[n-1]
			idx := top.total - top.left
			switch {
			case top.isMap && idx%2 == 1:
				dst = append(dst, ':')
			case idx > 0:
				dst = append(dst, ',')
			}
			isKey = top.isMap && idx%2 == 0
			top.left--
		}
		t, j, err := mpNext(b, i)
		if err != nil {
			return nil, err
		}
		if limit >= 0 && len(dst)-base+jsonScalarLen(t, b[t.pos:j]) > limit {
			return nil, ErrJSONTooLarge
		}
		i = j
		switch {
		case t.kind == mpArray || t.kind == mpMap:
			if isKey {
				return nil, errors.New("array or map as a map key")
			}
			if len(open) >= maxDepth {
				return nil, errors.New("MessagePack nested too deeply for JSON")
			}
			items := t.u
			if t.kind == mpMap {
				items *= 2
				dst = append(dst, '{')
			} else {
				dst = append(dst, '[')
			}
			if items > uint64(len(b)-i) {
				return nil, errTruncated
			}
			if items > 0 {
				open = append(open, mpOpen{total: items, left: items, isMap: t.kind == mpMap})
				continue
			}
			dst = appendCloser(dst, t.kind == mpMap)
		case isKey && t.kind != mpStr:
			start := len(dst)
			dst = append(dst, '"')
			if dst, err = appendMPScalarAsJSON(dst, b, t, i); err != nil {
				return nil, err
			}
			if dst[start+1] == '"' { // bin and timestamps are strings already
				dst = append(dst[:start], dst[start+1:]...)
			} else {
				dst = append(dst, '"')
			}
		default:
			if dst, err = appendMPScalarAsJSON(dst, b, t, i); err != nil {
				return nil, err
			}
		}
		if limit >= 0 && len(dst)-base > limit {
			return nil, ErrJSONTooLarge
		}
		// A value ended: close the containers it completes.
		for len(open) > 0 && open[len(open)-1].left == 0 {
			dst = appendCloser(dst, open[len(open)-1].isMap)
			open = open[:len(open)-1]
		}
		if len(open) == 0 {
			if i != len(b) {
				return nil, errors.New("data after the MessagePack value")
			}
			if limit >= 0 && len(dst)-base > limit {
				return nil, ErrJSONTooLarge
			}
			return dst, nil
		}
	}
}

func appendCloser(dst []byte, isMap bool) []byte {
	if isMap {
		return append(dst, '}')
	}
	return append(dst, ']')
}

// appendMPScalarAsJSON appends the JSON form of a value that is not an array
// or map; end is the index just past it in b.
func appendMPScalarAsJSON(dst, b []byte, t mpToken, end int) ([]byte, error) {
	switch t.kind {
	case mpNil:
		return append(dst, "null"...), nil
	case mpBool:
		if t.u == 1 {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case mpUint:
		return strconv.AppendUint(dst, t.u, 10), nil
	case mpInt:
		return strconv.AppendInt(dst, int64(t.u), 10), nil
	case mpFloat32:
		return appendJSONFloat(dst, float64(math.Float32frombits(uint32(t.u))), 32), nil
	case mpFloat64:
		return appendJSONFloat(dst, math.Float64frombits(t.u), 64), nil
	case mpStr:
		return appendJSONString(dst, b[t.pos:end]), nil
	case mpBin:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, b[t.pos:end])
		return append(dst, '"'), nil
	}
	// mpExt
	if t.ext != -1 {
		return nil, errors.New("MessagePack extension type " + strconv.Itoa(int(t.ext)) + " has no JSON form")
	}
	ts, err := mpTimestamp(b[t.pos:end])
	if err != nil {
		return nil, err
	}
	dst = append(dst, '"')
	dst = ts.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"'), nil
}

// mpTimestamp decodes the data of a timestamp extension: 32-bit seconds;
// 30-bit nanoseconds and 34-bit seconds; or 32-bit nanoseconds and 64-bit
// signed seconds.
func mpTimestamp(data []byte) (time.Time, error) {
	var sec int64
	var nsec uint64
	switch len(data) {
	case 4:
		sec = int64(binary.BigEndian.Uint32(data))
	case 8:
		u := binary.BigEndian.Uint64(data)
		nsec, sec = u>>34, int64(u&(1<<34-1))
	case 12:
		nsec = uint64(binary.BigEndian.Uint32(data))
		sec = int64(binary.BigEndian.Uint64(data[4:]))
	default:
		return time.Time{}, errors.New("timestamp extension of " + strconv.Itoa(len(data)) + " bytes")
	}
	if nsec >= 1e9 {
		return time.Time{}, errors.New("timestamp nanoseconds out of range")
	}
	return time.Unix(sec, int64(nsec)).UTC(), nil
}

// appendJSONFloat writes f as encoding/json does: the shortest decimal that
// reads back as f at the given bit size, in exponent form only below 1e-6 or
// from 1e21 on; NaN and ±Inf as null.
func appendJSONFloat(dst []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 {
		if bits == 32 {
			a = float64(float32(a))
		}
		if a < 1e-6 || a >= 1e21 {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// Shorten a two-digit negative exponent: 1e-07 becomes 1e-7.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}
