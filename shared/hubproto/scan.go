package hubproto

import (
	"bytes"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// This file walks the members of JSON objects and the elements of JSON
// arrays, validating as it goes (see validate.go), and decodes the scalars
// the hub protocol needs. Every function is linear in the bytes it passes
// over, and each byte of a record is passed over a constant number of times.

// checkUTF8 refuses invalid UTF-8 rather than repairing it: it could not be
// relayed in a WebSocket text frame.
func checkUTF8(rec []byte) error {
	if !utf8.Valid(rec) {
		return detailf("invalid UTF-8")
	}
	return nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// objectIter walks the members of a JSON object, validating them.
type objectIter struct {
	b     []byte
	i     int  // next byte to read
	n     int  // members returned so far
	depth int  // containers open around the members, this object included
	bad   bool // the object is not valid JSON
}

// newObjectIter starts walking the object at b[i], itself nested in depth
// containers; ok is false when the value at i does not start an object.
func newObjectIter(b []byte, i, depth int) (it objectIter, ok bool) {
	if i >= len(b) || b[i] != '{' || depth >= maxDepth {
		return objectIter{}, false
	}
	return objectIter{b: b, i: i + 1, depth: depth + 1}, true
}

// next returns the next member's raw key (with quotes) and raw value. ok is
// false at the end of the object, after which it.i is just past the closing
// brace, or when the object is invalid, which sets it.bad.
func (it *objectIter) next() (key, val []byte, ok bool) {
	b := it.b
	i := skipSpace(b, it.i)
	if i < len(b) && b[i] == '}' {
		it.i = i + 1
		return nil, nil, false
	}
	if it.n > 0 {
		if i >= len(b) || b[i] != ',' {
			it.bad = true
			return nil, nil, false
		}
		i = skipSpace(b, i+1)
	}
	ke, vs := scanMemberName(b, i)
	if vs < 0 {
		it.bad = true
		return nil, nil, false
	}
	key = b[i:ke]
	ve := scanValue(b, vs, it.depth)
	if ve < 0 {
		it.bad = true
		return nil, nil, false
	}
	it.i = ve
	it.n++
	return key, b[vs:ve], true
}

// recordObject starts walking rec, a record that must hold one JSON object.
func recordObject(rec []byte) (objectIter, error) {
	if err := checkUTF8(rec); err != nil {
		return objectIter{}, err
	}
	it, ok := newObjectIter(rec, skipSpace(rec, 0), 0)
	if !ok {
		if validJSON(rec) {
			return objectIter{}, detailf("not a JSON object")
		}
		return objectIter{}, detailf("invalid JSON")
	}
	return it, nil
}

// finish reports an error unless the walk reached the end of the object and
// only space follows it.
func (it *objectIter) finish() error {
	if it.bad || skipSpace(it.b, it.i) != len(it.b) {
		return detailf("invalid JSON")
	}
	return nil
}

// arrayIter walks the elements of a JSON array, validating them.
type arrayIter struct {
	b     []byte
	i     int
	n     int
	depth int
	bad   bool
}

// newArrayIter starts walking the array at b[i], itself nested in depth
// containers; ok is false when the value at i does not start an array.
func newArrayIter(b []byte, i, depth int) (it arrayIter, ok bool) {
	if i >= len(b) || b[i] != '[' || depth >= maxDepth {
		return arrayIter{}, false
	}
	return arrayIter{b: b, i: i + 1, depth: depth + 1}, true
}

// next returns the next raw element; ok is false at the end of the array or
// when it is invalid, which sets it.bad.
func (it *arrayIter) next() (val []byte, ok bool) {
	b := it.b
	i := skipSpace(b, it.i)
	if i < len(b) && b[i] == ']' {
		it.i = i + 1
		return nil, false
	}
	if it.n > 0 {
		if i >= len(b) || b[i] != ',' {
			it.bad = true
			return nil, false
		}
		i = skipSpace(b, i+1)
	}
	ve := scanValue(b, i, it.depth)
	if ve < 0 {
		it.bad = true
		return nil, false
	}
	it.i = ve
	it.n++
	return b[i:ve], true
}

// keyName returns the name of a raw key (with quotes), unescaped. Callers
// switch on string(keyName(key)), which does not allocate.
func keyName(key []byte) []byte {
	k := key[1 : len(key)-1]
	if bytes.IndexByte(k, '\\') < 0 {
		return k
	}
	return []byte(unquote(key))
}

// unquote decodes a valid JSON string literal (with quotes). Lone surrogate
// escapes become U+FFFD, as in encoding/json.
func unquote(lit []byte) string {
	s := lit[1 : len(lit)-1]
	if bytes.IndexByte(s, '\\') < 0 {
		return string(s)
	}
	return string(appendUnquoted(make([]byte, 0, len(s)), lit))
}

// appendUnquoted appends the text of the valid JSON string literal lit (with
// quotes). As in encoding/json, lone surrogate escapes and bytes that are not
// valid UTF-8 each become U+FFFD.
func appendUnquoted(out, lit []byte) []byte {
	s := lit[1 : len(lit)-1]
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, r)
			} else {
				out = append(out, s[i:i+size]...)
			}
			i += size
			continue
		}
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		c = s[i+1]
		i += 2
		switch c {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(s[i:])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := unicode.ReplacementChar
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2 = utf16.DecodeRune(r, hex4(s[i+2:]))
				}
				if r2 != unicode.ReplacementChar {
					i += 6
				}
				r = r2
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, c)
		}
	}
	return out
}

// hex4 decodes four hex digits (valid JSON guarantees they are there).
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// parseInt parses a JSON number that must be an integer within
// [minVal, maxVal]; ok is false for fractions, exponents and overflow.
func parseInt(b []byte, minVal, maxVal int64) (n int64, ok bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	// Accumulate as a negative number so that the minimum int64 fits.
	const minInt64 = -1 << 63
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n < (minInt64+d)/10 {
			return 0, false
		}
		n = n*10 - d
	}
	if !neg {
		if n == minInt64 {
			return 0, false
		}
		n = -n
	}
	if n < minVal || n > maxVal {
		return 0, false
	}
	return n, true
}
