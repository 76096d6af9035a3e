package hubproto

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/tinylib/msgp/msgp"
)

// JSONToMsgpack converts one JSON value (typically the arguments array of a
// REST send) to MessagePack and appends it to dst, for delivery to
// MessagePack clients. The mapping:
//
//   - an integer (no fraction, no exponent) that fits int64 or uint64 becomes
//     a MessagePack integer in its shortest format; -0 becomes float64 -0;
//   - every other number becomes a float64: 1e3 and 1.0 too, and numbers
//     beyond the float64 range become ±Inf, as JavaScript's JSON.parse reads
//     them;
//   - a string becomes a str: escapes are decoded, lone surrogate escapes and
//     invalid UTF-8 bytes become U+FFFD, as in encoding/json;
//   - an object becomes a map with str keys, in input order; repeated keys
//     are kept, and decoders keep the last;
//   - arrays, true, false and null map to their MessagePack counterparts.
//
// Whitespace around the value is allowed. Invalid JSON, or nesting deeper
// than encoding/json accepts, returns dst unchanged and an error wrapping
// ErrInvalidMessage. JSONToMsgpack makes two linear passes over v and does
// not allocate beyond growing dst, except for nesting or container counts
// above 32.
func JSONToMsgpack(dst []byte, v json.RawMessage) ([]byte, error) {
	var buf [32]uint32
	counts, err := countJSON(v, buf[:0])
	if err != nil {
		return dst, invalid("JSON to MessagePack", err)
	}
	return appendJSONAsMsgpack(dst, v, counts), nil
}

// jsonOpen is a container countJSON has open: its index in counts and
// whether it is an object.
type jsonOpen struct {
	idx int
	obj bool
}

// countJSON validates that b is one JSON value with optional surrounding
// space, and appends to counts the number of elements (arrays) or members
// (objects) of each container, in the order the containers open.
func countJSON(b []byte, counts []uint32) ([]uint32, error) {
	var buf [32]jsonOpen
	open := buf[:0]
	i := skipSpace(b, 0)
	for {
		// A value is expected at i.
		if i >= len(b) {
			return nil, detailf("unexpected end of JSON")
		}
		start := i
		switch c := b[i]; c {
		case '{', '[':
			if len(open) >= maxDepth {
				return nil, detailf("JSON nested deeper than %d", maxDepth)
			}
			closer := byte(']')
			if c == '{' {
				closer = '}'
			}
			counts = append(counts, 0)
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == closer {
				i++
				break
			}
			counts[len(counts)-1] = 1
			open = append(open, jsonOpen{idx: len(counts) - 1, obj: c == '{'})
			if c == '{' {
				if _, i = scanMemberName(b, i); i < 0 {
					return nil, detailf("invalid JSON object member at offset %d", start)
				}
			}
			continue
		default:
			i = scanScalar(b, i)
		}
		if i < 0 {
			return nil, detailf("invalid JSON value at offset %d", start)
		}
		// A value ended at i: close containers until one continues.
		for {
			if len(open) == 0 {
				if i = skipSpace(b, i); i != len(b) {
					return nil, detailf("invalid JSON: data after the value at offset %d", i)
				}
				return counts, nil
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return nil, detailf("unexpected end of JSON")
			}
			top := open[len(open)-1]
			if b[i] == ',' {
				if counts[top.idx] == math.MaxUint32 {
					return nil, detailf("JSON container too long")
				}
				counts[top.idx]++
				i = skipSpace(b, i+1)
				if top.obj {
					at := i
					if _, i = scanMemberName(b, i); i < 0 {
						return nil, detailf("invalid JSON object member at offset %d", at)
					}
				}
				break
			}
			if (top.obj && b[i] == '}') || (!top.obj && b[i] == ']') {
				open = open[:len(open)-1]
				i++
				continue
			}
			return nil, detailf("invalid JSON at offset %d", i)
		}
	}
}

// appendJSONAsMsgpack converts b, validated by countJSON, to MessagePack.
// MessagePack containers are prefixed with their lengths and need no
// closers, so a flat walk over the tokens of b, taking the lengths from
// counts in order, writes the whole value.
func appendJSONAsMsgpack(dst, b []byte, counts []uint32) []byte {
	k := 0
	for i := 0; i < len(b); {
		switch c := b[i]; c {
		case ' ', '\t', '\n', '\r', ',', ':', ']', '}':
			i++
		case '[':
			dst = msgp.AppendArrayHeader(dst, counts[k])
			k++
			i++
		case '{':
			dst = msgp.AppendMapHeader(dst, counts[k])
			k++
			i++
		case '"':
			end := scanString(b, i)
			dst = appendMPStringLiteral(dst, b[i:end])
			i = end
		case 't':
			dst = append(dst, 0xC3)
			i += len("true")
		case 'f':
			dst = append(dst, 0xC2)
			i += len("false")
		case 'n':
			dst = append(dst, 0xC0)
			i += len("null")
		default:
			end := scanNumber(b, i)
			dst = appendMPNumber(dst, b[i:end])
			i = end
		}
	}
	return dst
}

// appendMPStringLiteral appends the valid JSON string literal lit (with
// quotes) as a str.
func appendMPStringLiteral(dst, lit []byte) []byte {
	s := lit[1 : len(lit)-1]
	if bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		dst = appendMPStrHeader(dst, len(s))
		return append(dst, s...)
	}
	// Decode after room for the longest header, then move the text down
	// next to the header it turns out to need.
	start := len(dst)
	dst = appendUnquoted(append(dst, 0, 0, 0, 0, 0), lit)
	n := len(dst) - start - 5
	h := mpStrHeaderLen(n)
	copy(dst[start+h:], dst[start+5:])
	appendMPStrHeader(dst[start:start], n)
	return dst[:start+h+n]
}

// appendMPNumber appends the valid JSON number tok as an integer when it is
// written as one and fits, else as a float64.
func appendMPNumber(dst, tok []byte) []byte {
	if !bytes.ContainsAny(tok, ".eE") {
		if tok[0] != '-' {
			if u, ok := parseUint(tok); ok {
				return msgp.AppendUint64(dst, u)
			}
		} else if len(tok) > 2 || tok[1] != '0' { // -0 is a float
			if n, ok := parseInt(tok, math.MinInt64, math.MaxInt64); ok {
				return appendMPInt(dst, n)
			}
		}
	}
	// Out of range yields ±Inf (or 0) with an error we do not need: the
	// syntax is valid, so the value is what JSON.parse would read.
	f, _ := strconv.ParseFloat(string(tok), 64)
	return msgp.AppendFloat64(dst, f)
}

// parseUint parses a string of decimal digits that fits uint64.
func parseUint(b []byte) (uint64, bool) {
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, len(b) > 0
}
