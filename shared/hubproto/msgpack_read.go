package hubproto

import (
	"encoding/binary"
	"errors"
	"unicode/utf8"
)

// This file reads the MessagePack subset SignalR needs: nil, booleans,
// integers of every width, float32 and float64, str, bin, array, map, and ext
// (which is skipped over, never interpreted, except that MsgpackToJSON
// converts the timestamp extension -1). Every function is linear in the bytes
// it passes over and none recurses, so nesting depth costs nothing.

// mpKind is the format family of a MessagePack value.
type mpKind uint8

const (
	mpNil mpKind = iota
	mpBool
	mpUint // positive fixint, uint 8-64: the value is u
	mpInt  // negative fixint, int 8-64: the value is int64(u)
	mpFloat32
	mpFloat64
	mpStr
	mpBin
	mpExt
	mpArray
	mpMap
)

// mpToken is the header of one MessagePack value.
type mpToken struct {
	kind mpKind
	ext  int8   // the type of an ext
	u    uint64 // bool (0 or 1), integer or float bits, payload length (str, bin, ext) or element count (array, map)
	pos  int    // where the payload of a str, bin or ext starts
}

var errTruncated = errors.New("truncated MessagePack value")

// mpNext reads the value header at b[i]. It returns the index after the
// value for scalars, str, bin and ext (their payload is b[t.pos:j]), and the
// index after the header for array and map, whose elements follow.
func mpNext(b []byte, i int) (t mpToken, j int, err error) {
	if i >= len(b) {
		return t, 0, errTruncated
	}
	c := b[i]
	i++
	switch {
	case c <= 0x7F:
		return mpToken{kind: mpUint, u: uint64(c)}, i, nil
	case c >= 0xE0:
		return mpToken{kind: mpInt, u: uint64(int64(int8(c)))}, i, nil
	case c <= 0x8F:
		return mpToken{kind: mpMap, u: uint64(c & 0x0F)}, i, nil
	case c <= 0x9F:
		return mpToken{kind: mpArray, u: uint64(c & 0x0F)}, i, nil
	case c <= 0xBF:
		return mpPayload(b, i, mpStr, 0, uint64(c&0x1F))
	}
	switch c {
	case 0xC0:
		return mpToken{kind: mpNil}, i, nil
	case 0xC2, 0xC3:
		return mpToken{kind: mpBool, u: uint64(c & 1)}, i, nil
	case 0xC4, 0xC5, 0xC6: // bin 8, 16, 32
		n, i, ok := beUint(b, i, 1<<(c-0xC4))
		if !ok {
			return t, 0, errTruncated
		}
		return mpPayload(b, i, mpBin, 0, n)
	case 0xC7, 0xC8, 0xC9: // ext 8, 16, 32: length, type, data
		n, i, ok := beUint(b, i, 1<<(c-0xC7))
		if !ok || i >= len(b) {
			return t, 0, errTruncated
		}
		return mpPayload(b, i+1, mpExt, int8(b[i]), n)
	case 0xCA, 0xCB: // float 32, 64
		kind, size := mpFloat32, 4
		if c == 0xCB {
			kind, size = mpFloat64, 8
		}
		u, i, ok := beUint(b, i, size)
		if !ok {
			return t, 0, errTruncated
		}
		return mpToken{kind: kind, u: u}, i, nil
	case 0xCC, 0xCD, 0xCE, 0xCF: // uint 8-64
		u, i, ok := beUint(b, i, 1<<(c-0xCC))
		if !ok {
			return t, 0, errTruncated
		}
		return mpToken{kind: mpUint, u: u}, i, nil
	case 0xD0, 0xD1, 0xD2, 0xD3: // int 8-64, sign-extended
		size := 1 << (c - 0xD0)
		u, i, ok := beUint(b, i, size)
		if !ok {
			return t, 0, errTruncated
		}
		shift := 64 - 8*size
		return mpToken{kind: mpInt, u: uint64(int64(u<<shift) >> shift)}, i, nil
	case 0xD4, 0xD5, 0xD6, 0xD7, 0xD8: // fixext 1-16: type, data
		if i >= len(b) {
			return t, 0, errTruncated
		}
		return mpPayload(b, i+1, mpExt, int8(b[i]), 1<<(c-0xD4))
	case 0xD9, 0xDA, 0xDB: // str 8, 16, 32
		n, i, ok := beUint(b, i, 1<<(c-0xD9))
		if !ok {
			return t, 0, errTruncated
		}
		return mpPayload(b, i, mpStr, 0, n)
	case 0xDC, 0xDD, 0xDE, 0xDF: // array 16, 32, map 16, 32
		n, i, ok := beUint(b, i, 2<<(c&1))
		if !ok {
			return t, 0, errTruncated
		}
		kind := mpArray
		if c >= 0xDE {
			kind = mpMap
		}
		return mpToken{kind: kind, u: n}, i, nil
	}
	return t, 0, errors.New("reserved MessagePack byte 0xc1")
}

// mpPayload returns the token of a str, bin or ext whose n payload bytes
// start at b[i], checking that they are there.
func mpPayload(b []byte, i int, kind mpKind, ext int8, n uint64) (mpToken, int, error) {
	if i > len(b) || n > uint64(len(b)-i) {
		return mpToken{}, 0, errTruncated
	}
	return mpToken{kind: kind, ext: ext, u: n, pos: i}, i + int(n), nil
}

// beUint reads a big-endian unsigned integer of size 1, 2, 4 or 8 bytes.
func beUint(b []byte, i, size int) (u uint64, j int, ok bool) {
	if len(b)-i < size {
		return 0, 0, false
	}
	switch size {
	case 1:
		u = uint64(b[i])
	case 2:
		u = uint64(binary.BigEndian.Uint16(b[i:]))
	case 4:
		u = uint64(binary.BigEndian.Uint32(b[i:]))
	default:
		u = binary.BigEndian.Uint64(b[i:])
	}
	return u, i + size, true
}

// mpSkip validates the one value at b[i], with everything nested in it, and
// returns the index just past it. Ext values are skipped whatever their type.
func mpSkip(b []byte, i int) (int, error) {
	pending := uint64(1) // values still to read; each takes at least one byte
	for pending > 0 {
		t, j, err := mpNext(b, i)
		if err != nil {
			return 0, err
		}
		i = j
		pending--
		switch t.kind {
		case mpArray:
			pending += t.u
		case mpMap:
			pending += 2 * t.u
		}
		if pending > uint64(len(b)-i) {
			return 0, errTruncated
		}
	}
	return i, nil
}

// isMsgpackValue reports whether b is exactly one valid MessagePack value.
func isMsgpackValue(b []byte) bool {
	end, err := mpSkip(b, 0)
	return err == nil && end == len(b)
}

// isMsgpackArray reports whether b is exactly one valid MessagePack array.
func isMsgpackArray(b []byte) bool {
	return len(b) > 0 && (b[0]&0xF0 == 0x90 || b[0] == 0xDC || b[0] == 0xDD) && isMsgpackValue(b)
}

// mpReader reads the fields of a hub message array in order. Its methods
// return details for ErrInvalidMessage; what names the field.
type mpReader struct {
	b []byte
	i int
}

// next reads the next value header.
func (r *mpReader) next(what string) (mpToken, error) {
	t, j, err := mpNext(r.b, r.i)
	if err != nil {
		return t, detailf("reading '%s': %v", what, err)
	}
	r.i = j
	return t, nil
}

// header reads an array or map header (kind says which) and returns its
// element count, checked against the bytes left.
func (r *mpReader) header(what string, kind mpKind) (int, error) {
	t, err := r.next(what)
	if err != nil {
		return 0, err
	}
	if t.kind != kind {
		if kind == mpArray {
			return 0, detailf("expected '%s' to be an array", what)
		}
		return 0, detailf("expected '%s' to be a map", what)
	}
	n := t.u
	if kind == mpMap {
		n *= 2
	}
	if n > uint64(len(r.b)-r.i) {
		return 0, detailf("reading '%s': %v", what, errTruncated)
	}
	return int(t.u), nil
}

// integer reads an integer within [minVal, maxVal], whatever its width.
func (r *mpReader) integer(what string, minVal, maxVal int64) (int64, error) {
	t, err := r.next(what)
	if err != nil {
		return 0, err
	}
	var n int64
	switch {
	case t.kind == mpInt:
		n = int64(t.u)
	case t.kind == mpUint && t.u <= 1<<63-1:
		n = int64(t.u)
	case t.kind == mpUint:
		return 0, detailf("'%s' is out of range", what)
	default:
		return 0, detailf("expected '%s' to be an integer", what)
	}
	if n < minVal || n > maxVal {
		return 0, detailf("'%s' is out of range", what)
	}
	return n, nil
}

// text reads a string that must be valid UTF-8; nil reads as "" when
// nilOK, and is refused otherwise.
func (r *mpReader) text(what string, nilOK bool) (string, error) {
	t, err := r.next(what)
	if err != nil {
		return "", err
	}
	switch {
	case t.kind == mpNil && nilOK:
		return "", nil
	case t.kind != mpStr:
		return "", detailf("expected '%s' to be a string", what)
	}
	s := r.b[t.pos:r.i]
	if !utf8.Valid(s) {
		return "", detailf("'%s' is not valid UTF-8", what)
	}
	return string(s), nil
}

// boolean reads a boolean.
func (r *mpReader) boolean(what string) (bool, error) {
	t, err := r.next(what)
	if err != nil {
		return false, err
	}
	if t.kind != mpBool {
		return false, detailf("expected '%s' to be a boolean", what)
	}
	return t.u == 1, nil
}

// raw skips one value and returns its bytes, capped so that appending to
// them cannot overwrite what follows.
func (r *mpReader) raw(what string) ([]byte, error) {
	start := r.i
	end, err := mpSkip(r.b, start)
	if err != nil {
		return nil, detailf("reading '%s': %v", what, err)
	}
	r.i = end
	return r.b[start:end:end], nil
}

// skip skips n values.
func (r *mpReader) skip(n int) error {
	for range n {
		end, err := mpSkip(r.b, r.i)
		if err != nil {
			return detailf("reading extra element: %v", err)
		}
		r.i = end
	}
	return nil
}
