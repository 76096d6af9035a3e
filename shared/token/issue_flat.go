package token

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// issueFlat is Issue for the claims negotiate hands out: every value a
// string, a bool or an integer. It writes the payload itself, with the
// bytes golang-jwt's SignedString writes (encoding/json's encoding of the
// map: names sorted, the same string escaping), and signs it with a keyed
// HMAC from a pool (the MAC golang-jwt's signing method computes); the
// token is identical, without a map, a reflective encoding, a header
// encoding and a fresh HMAC per token. ok is false for any
// other claim value, and Issue then takes golang-jwt's path.
func (i *Issuer) issueFlat(audience string, claims map[string]any, now time.Time, lifetime time.Duration) (string, bool) {
	type member struct {
		name string
		val  any
	}
	var stack [8]member
	members := append(stack[:0], member{"aud", audience}, member{"exp", now.Add(lifetime).Unix()},
		member{"iat", now.Unix()}, member{"nbf", now.Unix()})
	for name, v := range claims {
		switch v.(type) {
		case string, bool, int, int64:
		default:
			return "", false
		}
		if reserved[name] {
			name = ReservedPrefix + name
		}
		members = append(members, member{name, v})
	}
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.name, b.name) })
	var buf [512]byte
	js := append(buf[:0], '{')
	for k, m := range members {
		if k > 0 {
			if m.name == members[k-1].name {
				// A caller's claim named like a renamed reserved one
				// ("asrs.u.aud" beside "aud"): the map keeps one of them,
				// golang-jwt's path decides which.
				return "", false
			}
			js = append(js, ',')
		}
		js = appendJSONString(js, m.name)
		js = append(js, ':')
		switch v := m.val.(type) {
		case string:
			js = appendJSONString(js, v)
		case bool:
			js = strconv.AppendBool(js, v)
		case int:
			js = strconv.AppendInt(js, int64(v), 10)
		case int64:
			js = strconv.AppendInt(js, v, 10)
		}
	}
	js = append(js, '}')

	enc := base64.RawURLEncoding
	out := make([]byte, 0, len(i.head)+enc.EncodedLen(len(js))+1+enc.EncodedLen(64))
	out = append(out, i.head...)
	out = enc.AppendEncode(out, js)
	var sig [64]byte
	mac := i.macs.sum(sig[:0], out)
	out = append(out, '.')
	out = enc.AppendEncode(out, mac)
	return string(out), true
}

// headerSegment is the encoded header golang-jwt writes for method, with
// the "." that follows it.
func headerSegment(method jwt.SigningMethod) string {
	h, _ := json.Marshal(map[string]string{"alg": method.Alg(), "typ": "JWT"})
	return base64.RawURLEncoding.EncodeToString(h) + "."
}

// appendJSONString appends s as encoding/json encodes it. Printable ASCII
// other than the characters it escapes is copied; a string with anything
// else goes through encoding/json itself.
func appendJSONString(b []byte, s string) []byte {
	for k := 0; k < len(s); k++ {
		c := s[k]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			e, _ := json.Marshal(s) // a string always encodes
			return append(b, e...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
