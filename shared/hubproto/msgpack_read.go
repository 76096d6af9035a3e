package hubproto

import (
	"errors"
	"math"
	"unicode/utf8"

	"github.com/tinylib/msgp/msgp"
)

// This file reads the MessagePack subset SignalR needs: nil, booleans,
// integers of every width, float32 and float64, str, bin, array, map, and ext
// (which is skipped over, never interpreted, except that MsgpackToJSON
// converts the timestamp extension -1). Single values are read with the
// github.com/tinylib/msgp primitives; walking nested values is done here,
// iteratively, with element counts checked against the bytes left, so every
// function is linear in the bytes it passes over, none recurses, and
// nesting depth costs nothing (msgp's own Skip recurses).

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

// mpNext reads the value header at b[i] with the msgp primitives. It returns
// the index after the value for scalars, str, bin and ext (their payload is
// b[t.pos:j]), and the index after the header for array and map, whose
// elements follow. The element count of an array or map is as declared:
// callers check it against the bytes left before relying on it.
func mpNext(b []byte, i int) (t mpToken, j int, err error) {
	if i >= len(b) {
		return t, 0, errTruncated
	}
	in := b[i:]
	var rest []byte
	switch typ := msgp.NextType(in); typ {
	case msgp.NilType:
		t.kind = mpNil
		rest, err = msgp.ReadNilBytes(in)
	case msgp.BoolType:
		var v bool
		v, rest, err = msgp.ReadBoolBytes(in)
		t.kind = mpBool
		if v {
			t.u = 1
		}
	case msgp.IntType:
		var v int64
		v, rest, err = msgp.ReadInt64Bytes(in)
		t.kind, t.u = mpInt, uint64(v)
	case msgp.UintType:
		t.kind = mpUint
		t.u, rest, err = msgp.ReadUint64Bytes(in)
	case msgp.Float32Type:
		var f float32
		f, rest, err = msgp.ReadFloat32Bytes(in)
		t.kind, t.u = mpFloat32, uint64(math.Float32bits(f))
	case msgp.Float64Type:
		var f float64
		f, rest, err = msgp.ReadFloat64Bytes(in)
		t.kind, t.u = mpFloat64, math.Float64bits(f)
	case msgp.StrType, msgp.BinType:
		var v []byte
		if typ == msgp.StrType {
			t.kind = mpStr
			v, rest, err = msgp.ReadStringZC(in)
		} else {
			t.kind = mpBin
			v, rest, err = msgp.ReadBytesZC(in)
		}
		t.u, t.pos = uint64(len(v)), len(b)-len(rest)-len(v)
	case msgp.ArrayType, msgp.MapType:
		var n uint32
		if typ == msgp.ArrayType {
			t.kind = mpArray
			n, rest, err = msgp.ReadArrayHeaderBytes(in)
		} else {
			t.kind = mpMap
			n, rest, err = msgp.ReadMapHeaderBytes(in)
		}
		t.u = uint64(n)
	case msgp.ExtensionType, msgp.TimeType, msgp.Complex64Type, msgp.Complex128Type:
		ext := extView{typ: extType(in)}
		rest, err = msgp.ReadExtensionBytes(in, &ext)
		t.kind, t.ext, t.u, t.pos = mpExt, ext.typ, uint64(len(ext.data)), len(b)-len(rest)-len(ext.data)
	default:
		if len(in) > 0 && in[0] == 0xC1 {
			return mpToken{}, 0, errors.New("reserved MessagePack byte 0xc1")
		}
		return mpToken{}, 0, errTruncated // an ext whose type byte is missing
	}
	if err != nil {
		if errors.Is(err, msgp.ErrShortBytes) {
			err = errTruncated
		}
		return mpToken{}, 0, err
	}
	return t, len(b) - len(rest), nil
}

// extType returns the type of the ext whose header starts b, or 0 when b
// ends inside the header (msgp.ReadExtensionBytes then reports it short).
func extType(b []byte) int8 {
	at := 1 // fixext 1-16: marker, type
	switch b[0] {
	case 0xC7: // ext 8: marker, 1-byte length, type
		at = 2
	case 0xC8:
		at = 3
	case 0xC9:
		at = 5
	}
	if at >= len(b) {
		return 0
	}
	return int8(b[at])
}

// extView is a msgp.Extension that keeps the payload of whatever ext type it
// is given, without copying it.
type extView struct {
	typ  int8
	data []byte
}

func (e *extView) ExtensionType() int8               { return e.typ }
func (e *extView) Len() int                          { return len(e.data) }
func (e *extView) MarshalBinaryTo(b []byte) error    { copy(b, e.data); return nil }
func (e *extView) UnmarshalBinary(data []byte) error { e.data = data; return nil }

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
	return msgp.NextType(b) == msgp.ArrayType && isMsgpackValue(b)
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
