package hubproto

// This file is a validating JSON scanner, used instead of json.Valid because
// the decoder needs value boundaries anyway and json.Valid's per-byte state
// machine dominated decode time. It accepts exactly what json.Valid accepts
// (FuzzValidJSON checks this), including its nesting limit, and runs in time
// linear in its input with no allocation for nesting up to 64 levels.
// UTF-8 is checked separately, over the whole record.

// maxDepth is encoding/json's nesting limit, kept so that everything this
// package accepts can later be unmarshalled by encoding/json.
const maxDepth = 10000

// validJSON reports whether b is exactly one JSON value, with optional
// surrounding whitespace.
func validJSON(b []byte) bool {
	end := scanValue(b, skipSpace(b, 0), 0)
	return end >= 0 && skipSpace(b, end) == len(b)
}

// scanValue validates the JSON value starting at b[i] (no leading space),
// nested inside depth open containers, and returns the index just past it, or
// -1 if it is not valid JSON.
func scanValue(b []byte, i, depth int) int {
	var buf [64]byte
	stack := buf[:0] // open containers: '{' or '['
	for {
		// A value is expected at i.
		if i >= len(b) {
			return -1
		}
		switch c := b[i]; c {
		case '{', '[':
			if depth+len(stack) >= maxDepth {
				return -1
			}
			i = skipSpace(b, i+1)
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			if i < len(b) && b[i] == closer {
				i++
				break
			}
			stack = append(stack, c)
			if c == '{' {
				if _, i = scanMemberName(b, i); i < 0 {
					return -1
				}
			}
			continue
		default:
			i = scanScalar(b, i)
		}
		if i < 0 {
			return -1
		}
		// A value ended at i: close containers until one continues.
		for {
			if len(stack) == 0 {
				return i
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return -1
			}
			top := stack[len(stack)-1]
			if b[i] == ',' {
				i = skipSpace(b, i+1)
				if top == '{' {
					if _, i = scanMemberName(b, i); i < 0 {
						return -1
					}
				}
				break
			}
			if (top == '{' && b[i] == '}') || (top == '[' && b[i] == ']') {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			return -1
		}
	}
}

// scanMemberName validates `"name" :` at b[i] and returns the index just past
// the name's closing quote and the index of the member's value (after any
// space); value is -1 if the text is not valid.
func scanMemberName(b []byte, i int) (nameEnd, value int) {
	if i >= len(b) || b[i] != '"' {
		return -1, -1
	}
	if nameEnd = scanString(b, i); nameEnd < 0 {
		return -1, -1
	}
	i = skipSpace(b, nameEnd)
	if i >= len(b) || b[i] != ':' {
		return -1, -1
	}
	return nameEnd, skipSpace(b, i+1)
}

// scanString validates the string starting at b[i] == '"' and returns the
// index just past its closing quote, or -1.
func scanString(b []byte, i int) int {
	i++
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c == '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return -1
				}
				i += 6
			default:
				return -1
			}
		default:
			i++
		}
	}
	return -1
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scanLiteral validates the literal lit at b[i].
func scanLiteral(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// scanNumber validates -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at b[i].
func scanNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && isDigit(b[i]):
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i
}

// scanScalar scans the string, literal or number at b[i] and returns the
// index after it, or -1.
func scanScalar(b []byte, i int) int {
	switch b[i] {
	case '"':
		return scanString(b, i)
	case 't':
		return scanLiteral(b, i, "true")
	case 'f':
		return scanLiteral(b, i, "false")
	case 'n':
		return scanLiteral(b, i, "null")
	}
	return scanNumber(b, i)
}
