package token

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// parsedClaims is the jwt.Claims the verifiers hand to golang-jwt's parser
// in place of jwt.MapClaims. The parser still does everything it did:
// segments, header, alg, signature, and exp/nbf/iat through the same
// validator and its error texts, because each Get method is MapClaims'
// own. Only the payload's decoding differs: golang-jwt runs encoding/json,
// which checks the whole payload is valid JSON and then calls
// UnmarshalJSON, which builds the map without reflection (decodeClaims).
type parsedClaims struct {
	m jwt.MapClaims
}

var (
	_ jwt.Claims       = (*parsedClaims)(nil)
	_ json.Unmarshaler = (*parsedClaims)(nil)
)

// UnmarshalJSON implements json.Unmarshaler. encoding/json calls it with
// one syntactically valid JSON value only; whatever decodeClaims does not
// take (a value other than an object, a number float64 cannot hold) goes
// through encoding/json into a jwt.MapClaims, as golang-jwt did before, so
// the result and any error are the same.
func (c *parsedClaims) UnmarshalJSON(b []byte) error {
	if m, ok := decodeClaims(b); ok {
		c.m = m
		return nil
	}
	m := jwt.MapClaims{}
	err := json.Unmarshal(b, &m)
	c.m = m
	return err
}

// GetExpirationTime implements jwt.Claims as jwt.MapClaims does.
func (c *parsedClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return c.m.GetExpirationTime()
}

// GetIssuedAt implements jwt.Claims as jwt.MapClaims does.
func (c *parsedClaims) GetIssuedAt() (*jwt.NumericDate, error) { return c.m.GetIssuedAt() }

// GetNotBefore implements jwt.Claims as jwt.MapClaims does.
func (c *parsedClaims) GetNotBefore() (*jwt.NumericDate, error) { return c.m.GetNotBefore() }

// GetIssuer implements jwt.Claims as jwt.MapClaims does.
func (c *parsedClaims) GetIssuer() (string, error) { return c.m.GetIssuer() }

// GetSubject implements jwt.Claims as jwt.MapClaims does.
func (c *parsedClaims) GetSubject() (string, error) { return c.m.GetSubject() }

// GetAudience implements jwt.Claims as jwt.MapClaims does.
func (c *parsedClaims) GetAudience() (jwt.ClaimStrings, error) { return c.m.GetAudience() }

// claims returns the decoded payload; an empty map when there was none (a
// JSON null payload, which encoding/json leaves as it was).
func (c *parsedClaims) claims() Claims {
	if c.m == nil {
		return Claims{}
	}
	return Claims(c.m)
}

// decodeClaims decodes b, which encoding/json has already found to be one
// valid JSON value, the way json.Unmarshal decodes it into a
// map[string]any: objects as map[string]any (a repeated name keeps its
// last value), arrays as []any, numbers as float64, strings with their
// escapes resolved and invalid UTF-8 replaced by U+FFFD. ok is false when b
// is not an object or holds a number out of float64's range; the caller
// then lets encoding/json decode it (and report the error).
func decodeClaims(b []byte) (m map[string]any, ok bool) {
	d := claimDecoder{data: b}
	d.space()
	if d.off >= len(d.data) || d.data[d.off] != '{' {
		return nil, false
	}
	v, ok := d.object()
	if !ok {
		return nil, false
	}
	return v, true
}

// claimDecoder walks valid JSON; it never has to report a syntax error.
type claimDecoder struct {
	data []byte
	off  int
}

func (d *claimDecoder) space() {
	for d.off < len(d.data) {
		switch d.data[d.off] {
		case ' ', '\t', '\n', '\r':
			d.off++
		default:
			return
		}
	}
}

// value decodes the value at d.off (after any space).
func (d *claimDecoder) value() (any, bool) {
	d.space()
	switch c := d.data[d.off]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return d.string()
	case c == 't':
		d.off += len("true")
		return true, true
	case c == 'f':
		d.off += len("false")
		return false, true
	case c == 'n':
		d.off += len("null")
		return nil, true
	default:
		return d.number()
	}
}

func (d *claimDecoder) object() (map[string]any, bool) {
	d.off++ // {
	m := make(map[string]any, 8)
	d.space()
	if d.data[d.off] == '}' {
		d.off++
		return m, true
	}
	for {
		d.space()
		k, ok := d.string()
		if !ok {
			return nil, false
		}
		d.space()
		d.off++ // :
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		m[k] = v
		d.space()
		c := d.data[d.off]
		d.off++ // , or }
		if c == '}' {
			return m, true
		}
	}
}

func (d *claimDecoder) array() ([]any, bool) {
	d.off++ // [
	d.space()
	if d.data[d.off] == ']' {
		d.off++
		return []any{}, true
	}
	var out []any
	for {
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		d.space()
		c := d.data[d.off]
		d.off++ // , or ]
		if c == ']' {
			return out, true
		}
	}
}

// string decodes the string literal at d.off. One without escapes and in
// valid UTF-8 is copied as it is; any other goes through encoding/json,
// which resolves escapes (surrogate pairs included) and replaces invalid
// UTF-8 exactly as it would in a whole-payload decode.
func (d *claimDecoder) string() (string, bool) {
	start := d.off
	d.off++ // "
	escaped, high := false, false
	for {
		c := d.data[d.off]
		if c == '"' {
			break
		}
		if c == '\\' {
			escaped = true
			d.off++ // the escaped byte; \uXXXX's hex digits follow as plain bytes
		} else if c >= utf8.RuneSelf {
			high = true
		}
		d.off++
	}
	d.off++ // "
	lit := d.data[start:d.off]
	inner := lit[1 : len(lit)-1]
	if !escaped && (!high || utf8.Valid(inner)) {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		return "", false
	}
	return s, true
}

// number decodes the number at d.off as encoding/json does
// (strconv.ParseFloat); an unsigned integer of up to 15 digits, which a
// float64 holds exactly, is converted without it.
func (d *claimDecoder) number() (any, bool) {
	start := d.off
	digits := true
	for d.off < len(d.data) {
		c := d.data[d.off]
		if c >= '0' && c <= '9' {
			d.off++
			continue
		}
		if c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			digits = false
			d.off++
			continue
		}
		break
	}
	lit := d.data[start:d.off]
	if digits && len(lit) <= 15 {
		var n int64
		for _, c := range lit {
			n = n*10 + int64(c-'0')
		}
		return float64(n), true
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return nil, false
	}
	return f, true
}
